/// Why learning mode never proposes to allow a load: the safety rules of
/// audisp-bpfguard(8), LEARNING MODE. Such loads are listed in the generated policy's
/// header, each with its reasons, and stay alerts under the base policy.
public enum LoadRefusal: Hashable, Sendable {
    /// A standalone BPF record: no SYSCALL record says who loaded the program.
    case noLoader
    /// The SYSCALL record names no executable.
    case noExecutable
    /// `exe` is an in-memory file (`/memfd:…`): fileless malware.
    case memfdExecutable
    /// `exe` ends in ` (deleted)`, or `exe-trusted=deleted`: the file was removed after it
    /// started.
    case deletedExecutable
    /// `exe-trusted=no` (known with `--lookup` only): the file at the path is not the one
    /// its package installed — a replaced or modified binary.
    case untrustedExecutable(package: String?)
    /// `exe` is not an absolute path.
    case relativeExecutable
    /// Under a directory anyone can write to, or a home directory (the prefix).
    case writablePlace(String)
    /// The real uid is not 0 (the uids are in the statistics).
    case nonRootLoader
    /// The program calls a helper eBPF rootkits use (known with `--lookup` only).
    case dangerousHelper
    /// A directory above the executable is writable by someone other than root on this host.
    case unsafeDirectory(path: [UInt8], reason: String)
    /// The base policy alerts on the load with a rule that must stay above learned rules.
    case baseGuard(line: Int, label: String)

    public var text: String {
        switch self {
        case .noLoader: "no loader: the BPF record came without its SYSCALL record"
        case .noExecutable: "the SYSCALL record names no executable"
        case .memfdExecutable: "in-memory (memfd) executable"
        case .deletedExecutable: "deleted executable"
        case .untrustedExecutable(let package):
            "exe-trusted=no: not the file \(package.map { "package " + AlertEscaping.token(Array($0.utf8)) } ?? "its package") installed"
                + " (replaced or modified)"
        case .relativeExecutable: "the executable is not an absolute path"
        case .writablePlace(let prefix): "in a world-writable place or home directory (\(prefix))"
        case .nonRootLoader: "non-root loader"
        case .dangerousHelper: "the program calls a dangerous helper"
        case .unsafeDirectory(let path, let reason): "directory \(AlertEscaping.quoted(path)) \(reason)"
        case .baseGuard(let line, let label): "the base policy's alert '\(label)' (line \(line)) stays above learned rules"
        }
    }
}

/// The safety rules that depend on the load alone (the directory rule needs this host's
/// facts and is applied by the generator).
public enum LoaderSafety {
    /// Places where anyone can write, and home directories: a loader there is never allowed.
    public static let writablePlaces = ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/", "/run/shm/", "/home/", "/root/"]

    /// Helpers eBPF rootkits use: overwrite user memory, fake a function's return value,
    /// kill processes (the shipped policy's `%dangerous_helpers`).
    public static let dangerousHelpers = ["bpf_probe_write_user", "bpf_override_return", "bpf_send_signal", "bpf_send_signal_thread"]

    /// Every reason not to allow a load by `loader` of `program`, whose executable kernel
    /// lookups described by `facts` (nil without them), in a fixed order; empty when the load
    /// may be proposed.
    public static func refusals(loader: ProcessContext?, program: ProgramLookup, facts: LoaderFacts? = nil) -> [LoadRefusal] {
        guard let loader else { return [.noLoader] }
        var reasons: [LoadRefusal] = []
        if let exe = loader.exe {
            if exe.starts(with: Array("/memfd:".utf8)) {
                reasons.append(.memfdExecutable)
            } else if exe.count >= 10, exe.suffix(10).elementsEqual(" (deleted)".utf8) {
                reasons.append(.deletedExecutable)
            }
            if exe.first != UInt8(ascii: "/") {
                reasons.append(.relativeExecutable)
            } else if let place = writablePlaces.first(where: { exe.starts(with: Array($0.utf8)) }) {
                reasons.append(.writablePlace(place))
            }
        } else {
            reasons.append(.noExecutable)
        }
        switch facts?.trust {
        case .no?:
            var package: String?
            if case .named(let name) = facts?.package { package = name }
            reasons.append(.untrustedExecutable(package: package))
        case .deleted?:
            if !reasons.contains(.deletedExecutable) { reasons.append(.deletedExecutable) }
        default:
            break
        }
        if loader.uid != 0 { reasons.append(.nonRootLoader) }
        if let helpers = program.info?.helpers, helpers.contains(where: dangerousHelpers.contains) {
            reasons.append(.dangerousHelper)
        }
        return reasons
    }
}
