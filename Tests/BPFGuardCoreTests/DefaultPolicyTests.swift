import Testing
@testable import BPFGuardCore

/// The shipped default policy (Packaging/bpfguard.policy) decided on the facts of issue 9:
/// dangerous helpers for everyone, a path alone never trusted, generic loaders only with
/// verified bytes in a login session, libbpf's probes silent, copies and replaced files
/// flagged. The live counterpart with the real tools is Tests/System/tools.sh.
@Suite struct DefaultPolicyTests {
    static let policy: Policy = {
        let repository = String(#filePath.prefix(upTo: #filePath.firstRange(of: "/Tests/")!.lowerBound))
        let text = try! ProcParsingTests.contents(of: repository + "/Packaging/bpfguard.policy")
        return PolicyParser.parse(bytes: text, path: "bpfguard.policy", resolver: TableResolver()).policy!
    }()

    static let verified = LoaderFacts(package: .named("pkg"), trust: .yes, container: .no)
    static let unpackaged = LoaderFacts(package: .none, trust: .none, container: .no)
    static let replaced = LoaderFacts(package: .named("pkg"), trust: .no, container: .no)
    static let inContainer = LoaderFacts(package: .unknown, trust: .unknown, container: .yes)

    static func program(_ type: UInt32, _ name: String, helpers: [String] = ["bpf_map_lookup_elem"]) -> ProgramLookup {
        .found(ProgramInfo(type: BPFProgramType(rawValue: type), name: Array(name.utf8), tag: "0011223344556677", createdByUID: 0, helpers: helpers))
    }
    static let kprobe: UInt32 = 2, xdp: UInt32 = 6, tracing: UInt32 = 26

    /// The label the policy alerts with (nil: allowed).
    static func decide(_ operation: BPFOperation = .load, exe: String, cmdline: String? = nil, uid: UInt32 = 0, session: Bool = true,
                       facts: LoaderFacts? = verified, program: ProgramLookup = program(tracing, "handle_exec"),
                       lifetime: UInt64? = nil) -> String? {
        var loader = process(uid: uid, auid: session ? 0 : ProcessContext.unsetID, exe: exe)
        loader.cmdline = cmdline.map { Array($0.utf8) }
        let subject = RuleSubject(event: BPFEvent(operation: operation, programID: 7, timestamp: stamp(1_800_000_000)), loader: loader,
                                  lifetimeMilliseconds: lifetime, program: program, identity: facts == nil ? nil : .audit, facts: facts)
        return policy.evaluate(subject).alert?.label
    }

    @Test func dangerousHelpersAlertWhoeverLoadsThem() {
        let signal = Self.program(Self.kprobe, "kill_it", helpers: ["bpf_get_current_comm", "bpf_send_signal"])
        for exe in ["/usr/bin/bpftrace", "/usr/sbin/bpftool", "/usr/lib/systemd/systemd", "/usr/bin/runc", "/usr/sbin/runqlat"] {
            #expect(Self.decide(exe: exe, program: signal) == "dangerous-helper", "\(exe), verified, in a session")
        }
        let kfunc = Self.program(Self.tracing, "k", helpers: ["bpf_send_signal_task"])
        #expect(Self.decide(exe: "/usr/bin/bpftrace", program: kfunc) == "dangerous-helper", "the kfunc of 6.13")
        #expect(Self.decide(exe: "/usr/sbin/bpftool", cmdline: "bpftool prog load evil.o /sys/fs/bpf/x", program: signal) == "dangerous-helper")
    }

    @Test func bpftoolsFeatureProbeIsSilentOnlyVerifiedAndSayingSo() {
        let writeUser = Self.program(Self.kprobe, "", helpers: ["bpf_probe_write_user"])
        #expect(Self.decide(exe: "/usr/sbin/bpftool", cmdline: "bpftool feature probe kernel", program: writeUser) == nil)
        #expect(Self.decide(exe: "/usr/sbin/bpftool", cmdline: "/usr/sbin/bpftool feature probe", session: false, program: writeUser) == nil)
        #expect(Self.decide(exe: "/usr/sbin/bpftool", cmdline: "bpftool feature probe kernel", facts: Self.replaced, program: writeUser) == "replaced-exe")
        #expect(Self.decide(exe: "/usr/sbin/bpftool", cmdline: "bpftool feature probe kernel", facts: Self.unpackaged, program: writeUser)
                == "dangerous-helper", "a path alone says nothing")
        let named = Self.program(Self.kprobe, "evil", helpers: ["bpf_probe_write_user"])
        #expect(Self.decide(exe: "/usr/sbin/bpftool", cmdline: "bpftool feature probe kernel", program: named) == "dangerous-helper",
                "a named program is not a probe, whatever the (possibly stale) command line says")
        #expect(Self.decide(exe: "/usr/sbin/bpftool", cmdline: "bpftool feature probe kernel", facts: nil, program: .notDone) == "bpftool-load",
                "without lookups (replay): trust unknown, fails closed")
    }

    @Test func bpftoolLoadingAProgramAlerts() {
        let pinned = Self.program(Self.xdp, "xdp_pass", helpers: [])
        #expect(Self.decide(exe: "/usr/sbin/bpftool", cmdline: "bpftool prog load xdp.o /sys/fs/bpf/x type xdp", program: pinned) == "bpftool-load")
        #expect(Self.decide(exe: "/usr/sbin/bpftool", cmdline: "bpftool prog load xdp.o /sys/fs/bpf/x", program: .gone) == nil,
                "its libbpf probes, gone before the lookup")
        #expect(Self.decide(.persist, exe: "/usr/sbin/bpftool", program: pinned) == "persist-generic-loader")
    }

    @Test func libbpfProbesOfVerifiedLoadersAreSilentAndOthersAreNot() {
        for exe in ["/usr/sbin/runqlat", "/usr/bin/bpftrace", "/usr/bin/ip", "/usr/sbin/tc"] {
            for session in [true, false] {
                #expect(Self.decide(exe: exe, session: session, program: .gone) == nil, "\(exe): gone before the lookup")
                #expect(Self.decide(exe: exe, session: session, program: Self.program(1, "")) == nil, "\(exe): unnamed probe")
                #expect(Self.decide(exe: exe, session: session, program: Self.program(1, "libbpf_nametest")) == nil)
                #expect(Self.decide(.unload, exe: exe, session: session, program: .gone, lifetime: 0) == nil, "\(exe): its unload")
            }
        }
        #expect(Self.decide(exe: "/usr/sbin/runqlat", session: false, program: .failed("Operation not permitted")) == "bpf-tool",
                "a failed lookup is not a probe")
        #expect(Self.decide(exe: "/usr/local/bin/runqlat", facts: Self.unpackaged, program: .gone) == "unknown-exe")
        #expect(Self.decide(.unload, exe: "/usr/local/bin/runqlat", facts: Self.unpackaged, program: .gone, lifetime: 0) == "short-lived")
    }

    @Test func packagedToolsAndSessionLoadersAreQuietOnlyInALoginSessionWithVerifiedBytes() {
        let real = Self.program(Self.tracing, "sched_switch")
        #expect(Self.decide(exe: "/usr/sbin/runqlat", program: real) == nil)
        #expect(Self.decide(exe: "/usr/sbin/runqlat", session: false, program: real) == "bpf-tool")
        #expect(Self.decide(exe: "/usr/sbin/runqlat", facts: Self.unpackaged, program: real) == "bpf-tool", "a path alone")
        #expect(Self.decide(exe: "/usr/sbin/runqlat", facts: Self.replaced, program: real) == "replaced-exe")
        #expect(Self.decide(exe: "/usr/sbin/runqlat", facts: Self.inContainer, program: real) == "bpf-tool")
        for exe in ["/usr/bin/bpftrace", "/usr/bin/ip", "/usr/sbin/tc"] {
            #expect(Self.decide(exe: exe, program: real) == nil, "\(exe)")
            #expect(Self.decide(exe: exe, session: false, program: real) == "generic-loader", "\(exe) outside a session")
            #expect(Self.decide(exe: exe, facts: Self.unpackaged, program: real) == "generic-loader", "\(exe): a path alone")
            #expect(Self.decide(exe: exe, facts: Self.inContainer, program: real) == "generic-loader", "\(exe) in a container")
        }
        for exe in ["/usr/bin/python3.11", "/usr/bin/perl", "/bin/bash"] {
            #expect(Self.decide(exe: exe, program: real) == "generic-loader", "\(exe): never quiet")
        }
        #expect(Self.decide(exe: "/usr/local/bin/runqlat", facts: Self.unpackaged, program: real) == "tracing-unknown-exe")
        #expect(Self.decide(exe: "/usr/sbin/runqlat", uid: 1000, program: real) == "unexpected-uid")
    }

    @Test func daemonsNeedVerifiedBytes() {
        let cgroup = Self.program(8, "sd_devices", helpers: [])
        for exe in ["/usr/lib/systemd/systemd", "/usr/bin/runc", "/usr/bin/crun", "/usr/bin/containerd"] {
            #expect(Self.decide(exe: exe, session: false, program: cgroup) == nil, "\(exe)")
            #expect(Self.decide(exe: exe, session: false, facts: Self.unpackaged, program: cgroup) == "unknown-exe", "\(exe): a path alone")
            #expect(Self.decide(exe: exe, session: false, facts: nil, program: .notDone) == "unknown-exe", "\(exe): no facts")
            #expect(Self.decide(.persist, exe: exe, session: false, program: cgroup) == nil)
            #expect(Self.decide(.persist, exe: exe, session: false, facts: Self.unpackaged, program: cgroup) == "persist-unknown-exe")
        }
        #expect(Self.decide(exe: "/usr/lib/systemd/systemd-x/evil", session: false, program: cgroup) == "unknown-exe",
                "no prefix globs: a path that merely starts like systemd's")
    }

    @Test func suspiciousExecutables() {
        #expect(Self.decide(exe: "<too_long>", facts: Self.unpackaged) == "unnamed-exe")
        #expect(Self.decide(exe: "/usr/sbin/runqlat (deleted)", facts: LoaderFacts(package: .named("libbpf-tools"), trust: .deleted, container: .no))
                == "deleted-exe")
        #expect(Self.decide(exe: "/usr/sbin/runqlat", facts: LoaderFacts(package: .named("libbpf-tools"), trust: .deleted, container: .no))
                == "deleted-exe")
        #expect(Self.decide(exe: "/tmp/x", facts: Self.unpackaged) == "writable-dir-exe")
    }

    @Test func programsOutlivingTheirLoader() {
        let attached = Self.program(Self.xdp, "xdp_pass", helpers: [])
        #expect(Self.decide(.persist, exe: "/usr/bin/ip", program: attached) == "persist-network-attach")
        #expect(Self.policy.evaluate(RuleSubject(event: BPFEvent(operation: .persist, programID: 7, timestamp: stamp(1)), loader: process(auid: 0, exe: "/usr/bin/ip"),
                                                 program: attached, identity: .audit, facts: Self.verified)).alert?.priority == .notice)
        #expect(Self.decide(.persist, exe: "/usr/bin/ip", session: false, program: attached) == "persist-generic-loader")
        #expect(Self.decide(.persist, exe: "/usr/bin/ip", facts: Self.unpackaged, program: attached) == "persist-generic-loader")
        #expect(Self.decide(.persist, exe: "/opt/vendor/agent", facts: Self.unpackaged, program: attached) == "persist-unknown-exe")
    }
}
