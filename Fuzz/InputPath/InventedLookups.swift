import BPFGuardCore

/// Stands in for the executable's kernel lookups and loader recovery (`KernelLookups`,
/// `LoaderRecoveryStage`): the same rules for which events get an enrichment — a local LOAD
/// gets the kernel's description of the program and, without SYSCALL context, maybe a loader
/// recovered from /proc with the number of processes holding the program; UNLOADs and other
/// nodes' events get none of their own — with answers read from the fuzz input, so that every
/// value the kernel or /proc could hand back reaches the engine and the alert formatter.
struct InventedLookups {
    /// Helper names as /proc/kallsyms gives them, with a few the policy's set names.
    static let helperNames = [
        "bpf_map_lookup_elem", "bpf_probe_read_kernel", "bpf_ktime_get_ns", "bpf_trace_printk",
        "bpf_probe_write_user", "bpf_override_return", "bpf_send_signal", "bpf_send_signal_thread",
        "bpf_get_current_pid_tgid", "bpf_ringbuf_output",
    ]

    let localNode: String?

    /// What the lookups would hand the engine for `event` (only called when lookups are on).
    func enrichment(for event: BPFEvent, tape: inout InputTape) -> Engine.Enrichment {
        guard event.operation == .load, event.node == nil || event.node == localNode else {
            return Engine.Enrichment(program: .notDone)
        }
        let program: ProgramLookup
        switch tape.below(8) {
        case 0: program = .gone
        case 1: program = .failed("bpf_prog_get_fd_by_id(\(event.programID)): Operation not permitted")
        default: program = .found(programInfo(&tape))
        }
        var recovered: ProcessContext?
        var holders: UInt32?
        if event.process == nil && tape.oneIn(2) {
            holders = tape.oneIn(8) ? nil : UInt32(1 + tape.below(4))
            recovered = ProcessContext(
                uid: id(&tape), auid: id(&tape), euid: id(&tape), gid: id(&tape),
                pid: id(&tape), ppid: id(&tape),
                comm: tape.oneIn(8) ? nil : tape.slice(maximum: 16),
                exe: tape.oneIn(8) ? nil : tape.slice(maximum: 300),
                cmdline: tape.oneIn(4) ? nil : tape.slice(maximum: 200))
        }
        return Engine.Enrichment(program: program, recoveredLoader: recovered, holders: holders, loaderFacts: loaderFacts(&tape))
    }

    /// What the executable found out about the loader's file: a package (named from the
    /// input, `none` or unknown), a trust verdict and a container answer, any of them.
    private func loaderFacts(_ tape: inout InputTape) -> LoaderFacts {
        let package: LoaderFacts.Package
        switch tape.below(3) {
        case 0: package = .named(String(decoding: tape.slice(maximum: 40), as: UTF8.self))
        case 1: package = .none
        default: package = .unknown
        }
        let trusts: [LoaderFacts.Trust] = [.yes, .no, .deleted, .none, .unknown]
        let containers: [LoaderFacts.Container] = [.yes, .no, .unknown]
        return LoaderFacts(package: package, trust: trusts[tape.below(trusts.count)], container: containers[tape.below(containers.count)])
    }

    private func programInfo(_ tape: inout InputTape) -> ProgramInfo {
        var helpers: [String]?
        if !tape.oneIn(4) {
            var names: [String] = []
            for _ in 0..<tape.below(5) {
                names.append(tape.oneIn(6)
                    ? String(decoding: tape.slice(maximum: 24), as: UTF8.self)
                    : Self.helperNames[tape.below(Self.helperNames.count)])
            }
            helpers = names
        }
        let tag = (0..<8).map { _ in tape.byte() }
        return ProgramInfo(
            type: BPFProgramType(rawValue: UInt32(tape.below(40))),
            name: tape.slice(maximum: 16),
            tag: ProgramInfo.tagText(tag),
            loadTimeNanoseconds: tape.bits(),
            createdByUID: id(&tape) ?? 0,
            helpers: helpers)
    }

    /// An id as the kernel reports it: mostly small, sometimes the unset value or any value.
    private func id(_ tape: inout InputTape) -> UInt32? {
        switch tape.below(8) {
        case 0: return nil
        case 1: return ProcessContext.unsetID
        case 2: return tape.bits()
        default: return UInt32(tape.below(70000))
        }
    }
}
