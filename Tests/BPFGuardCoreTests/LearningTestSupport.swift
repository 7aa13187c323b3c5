import Glibc
@testable import BPFGuardCore

/// Helpers of the learning-mode tests: the shipped policy, a learner fed with events, and
/// the generated text.
enum Learning {
    /// Packaging/bpfguard.policy of this source tree.
    static let shippedPolicyText: [UInt8] = {
        let repository = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        let fd = open(repository + "/Packaging/bpfguard.policy", O_RDONLY)
        precondition(fd >= 0, "cannot open the shipped policy")
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return bytes }
            bytes += buffer[..<count]
        }
    }()

    static func policy(_ text: [UInt8]) throws -> Policy {
        try compiledPolicy(String(decoding: text, as: UTF8.self))
    }

    static func learner(_ events: [BPFEvent], base: [UInt8] = shippedPolicyText, enrichment: (BPFEvent) -> Engine.Enrichment? = { _ in nil }) throws -> PolicyLearner {
        var learner = PolicyLearner(base: try policy(base))
        for event in events { learner.observe(event, enrichment: enrichment(event)) }
        return learner
    }

    /// Every directory the generator asks about, as a root-owned 0755 directory.
    static func safeFacts(_ learner: PolicyLearner) -> [[UInt8]: DirectoryFact] {
        Dictionary(uniqueKeysWithValues: PolicyGenerator.directoriesToCheck(learner).map { ($0, DirectoryFact.directory(ownerUID: 0, mode: 0o755)) })
    }

    static func generate(_ learner: PolicyLearner, base: [UInt8] = shippedPolicyText, facts: [[UInt8]: DirectoryFact]? = nil,
                         minCount: UInt64 = 3, minDays: Int = 1) -> PolicyGenerator.Result {
        PolicyGenerator.generate(learner, baseText: base, facts: facts ?? safeFacts(learner),
                                 options: PolicyGenerator.Options(basePath: "base.policy", minCount: minCount, minDays: minDays))
    }

    static func text(_ result: PolicyGenerator.Result) -> String { String(decoding: result.text, as: UTF8.self) }

    /// A program's LOAD at `seconds` and its UNLOAD `lifetime` milliseconds later.
    static func program(_ id: UInt32, by loader: ProcessContext?, at seconds: UInt64, lifetime: UInt64 = 5000, node: String? = nil) -> [BPFEvent] {
        let end = seconds * 1000 + lifetime
        return [load(id, at: stamp(seconds, serial: UInt64(id) * 2), node: node, by: loader),
                unload(id, at: stamp(end / 1000, UInt32(end % 1000), serial: UInt64(id) * 2 + 1), node: node, by: loader)]
    }

    /// The labels of the alerts `policy` raises for `events`, in order.
    static func alerts(_ events: [BPFEvent], policy: Policy) -> [String] {
        var engine = Engine(policy: policy)
        return events.compactMap { engine.process($0)?.label }
    }
}
