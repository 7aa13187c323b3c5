/// `enum bpf_prog_type` of the kernel, with the names bpftool prints.
public struct BPFProgramType: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Names in kernel enum order (include/uapi/linux/bpf.h).
    public static let names = [
        "unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp", "perf_event",
        "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb", "cgroup_device",
        "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2", "sk_reuseport",
        "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt", "tracing", "struct_ops",
        "ext", "lsm", "sk_lookup", "syscall", "netfilter",
    ]

    /// The name, or `type_N` for a type newer than this table.
    public var name: String {
        rawValue < Self.names.count ? Self.names[Int(rawValue)] : "type_\(rawValue)"
    }

    public var description: String { name }
}
