import BPFGuardCore
import Glibc

/// The policy every input is evaluated with: the shipped default, `Packaging/bpfguard.policy`
/// of the source tree the target was built from (or `$BPFGUARD_FUZZ_POLICY`), parsed once.
enum ShippedPolicy {
    /// A resolver that knows no names: the shipped policy uses none, and the target must not
    /// depend on this machine's user database.
    struct NoNames: NameResolver {
        func userID(named name: String) -> UInt32? { nil }
        func groupID(named name: String) -> UInt32? { nil }
    }

    static let path: String = {
        if let override = getenv("BPFGUARD_FUZZ_POLICY") { return String(cString: override) }
        // This file is Fuzz/InputPath/ShippedPolicy.swift in the repository.
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        return components.joined(separator: "/") + "/Packaging/bpfguard.policy"
    }()

    static let policy: Policy = {
        guard let bytes = readFile(path) else { fuzzFailure("cannot read the policy \(path)") }
        let result = PolicyParser.parse(bytes: bytes, path: path, resolver: NoNames())
        guard let policy = result.policy else {
            fuzzFailure("the policy \(path) is invalid: \(result.diagnostics.map(\.description))")
        }
        return policy
    }()

    private static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return bytes }
            bytes += buffer[..<count]
        }
    }
}
