/// A process's command line as the policy's `cmdline` field holds it: the arguments
/// separated by spaces.
///
/// The kernel's PROCTITLE record carries the start of the process's argument area — at
/// most 128 bytes, NUL between arguments — which the process itself can rewrite: it is
/// what the loader says it is, good to tell `bpftool feature probe` from `bpftool prog
/// load`, never proof of anything.
public enum ProcessTitle {
    /// The kernel's limit on the PROCTITLE record's value.
    public static let maximumLength = 128

    /// Arguments joined by spaces: each NUL becomes a space, trailing NULs are dropped.
    public static func text(_ raw: some Collection<UInt8>) -> [UInt8] {
        var bytes = Array(raw)
        while bytes.last == 0 { bytes.removeLast() }
        for index in bytes.indices where bytes[index] == 0 { bytes[index] = UInt8(ascii: " ") }
        return bytes
    }

    /// The same from `/proc/PID/cmdline`, cut at the kernel's 128 bytes as in a PROCTITLE
    /// record (a loader recovered from /proc).
    public static func text(procCmdline bytes: [UInt8]) -> [UInt8] {
        text(bytes.prefix(maximumLength))
    }
}
