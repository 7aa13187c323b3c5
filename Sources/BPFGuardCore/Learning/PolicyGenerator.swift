/// `--generate-policy`: writes the policy learning mode proposes — the base policy's text,
/// unchanged, with a header and two blocks of learned rules: one set and allow rule per
/// group of like loaders above the base's first alert on loads below its guards, and the
/// matching unload allows above its first alert on unloads (`PolicyStructure`).
///
/// A group is proposed commented out, marked `#!!!!`, when it was seen fewer than
/// `minCount` times or on fewer than `minDays` days, when it is a generic loader
/// (`GenericLoaders`, with narrower rules to consider: `GenericLoaderSuggestion`), or when
/// the base decides its loads above its guards. The output is a function of the learner's
/// contents, the base text, the options and the directory facts alone: groups and lists
/// are sorted, nothing depends on the order of hashing or the clock.
public enum PolicyGenerator {
    public struct Options: Sendable {
        /// Loads a group needs to be proposed uncommented.
        public var minCount: UInt64 = 3
        /// Distinct UTC days with loads a group needs to be proposed uncommented.
        public var minDays: Int = 1
        /// The base policy's path, named in the header.
        public var basePath: String
        /// Input lines skipped as malformed (reported in the header).
        public var skippedLines: UInt64 = 0

        public init(basePath: String, minCount: UInt64 = 3, minDays: Int = 1, skippedLines: UInt64 = 0) {
            self.basePath = basePath
            self.minCount = minCount
            self.minDays = minDays
            self.skippedLines = skippedLines
        }
    }

    public struct Result: Sendable {
        public var text: [UInt8]
        /// Groups proposed as active rules, and commented out.
        public var proposed: Int
        public var commented: Int
        /// Loaders (by executable, program type and reasons) never allowed.
        public var refused: Int
    }

    /// One group as it is written.
    struct Proposal {
        var group: LoaderGroup
        var setName: String
        /// `#!!!!` lines: why the group is commented out. Empty: proposed as is.
        var warnings: [String]
        /// Whether the base alerted on the group's unloads below its guards.
        var allowsUnloads: Bool
        /// Remarks on unloads that stay alerts.
        var unloadNotes: [String]

        var isActive: Bool { warnings.isEmpty }
    }

    /// The directories whose `DirectoryFact` the generator will need for `learner`.
    public static func directoriesToCheck(_ learner: PolicyLearner) -> [[UInt8]] {
        LoaderGroup.directoriesToCheck(learner.observations)
    }

    public static func generate(_ learner: PolicyLearner, baseText: [UInt8], facts: [[UInt8]: DirectoryFact], options: Options) -> Result {
        let base = learner.base
        let structure = PolicyStructure(policy: base)
        let loadInsertion = structure.insertionIndex(for: .load)
        let unloadInsertion = structure.insertionIndex(for: .unload)
        let (groups, refusedByHost) = LoaderGroup.groups(learner.observations, facts: facts)
        let refused = learner.observations.filter { if case .refused = $0.key.disposition { true } else { false } }
            .map { (key: $0.key, observation: $0.value) } + refusedByHost

        var usedNames = Set(base.setNames)
        var proposals: [Proposal] = []
        for group in groups {
            let name = uniqueSetName(for: group.key, used: &usedNames)
            var warnings: [String] = []
            let blocking = group.loadAlerts.filter { $0 < loadInsertion }.sorted()
            if !blocking.isEmpty {
                warnings.append("#!!!! the base policy's \(blocking.map { label(base, $0) }.joined(separator: ", ")) decides these loads above its"
                                + " guards, where no learned rule can go: move it below them, or allow by hand")
            }
            let statistics = group.statistics
            var tooFew: [String] = []
            if statistics.loads < options.minCount { tooFew.append("fewer than --min-count \(options.minCount) loads") }
            if statistics.days.count < options.minDays { tooFew.append("on fewer than --min-days \(options.minDays) days") }
            if !tooFew.isEmpty {
                warnings.append("#!!!! review: seen \(LearnedPolicyText.count(statistics.loads, "time")) on \(LearnedPolicyText.count(statistics.days, "day")),"
                                + " \(tooFew.joined(separator: " and "))")
            }
            if group.isGeneric { warnings += GenericLoaderSuggestion.lines(setName: name, group: group) }
            let unloadAlerts = group.unloadAlerts.sorted()
            let kept = unloadAlerts.filter { $0 < unloadInsertion }
            var unloadNotes: [String] = []
            if !kept.isEmpty {
                unloadNotes.append("#   unloads alerted by the base policy's \(kept.map { label(base, $0) }.joined(separator: ", ")) stay alerts")
            }
            proposals.append(Proposal(group: group, setName: name, warnings: warnings,
                                      allowsUnloads: unloadAlerts.contains { $0 >= unloadInsertion }, unloadNotes: unloadNotes))
        }

        let active = proposals.filter(\.isActive).count
        var blocks: [(line: Int, lines: [String])] = []
        if !proposals.isEmpty {
            blocks.append((insertionLine(loadInsertion, base: base, text: baseText), loadBlock(proposals)))
        }
        let unloads = proposals.filter(\.allowsUnloads)
        if !unloads.isEmpty {
            blocks.append((insertionLine(unloadInsertion, base: base, text: baseText), unloadBlock(unloads, base: base)))
        }
        let header = LearnedPolicyText.header(learner, options: options, proposed: active, commented: proposals.count - active, refused: refused)
        return Result(text: splice(baseText, header: header, blocks: blocks), proposed: active, commented: proposals.count - active,
                      refused: refused.count)
    }

    // MARK: - Rules

    /// `allow op=load uid=0 exe=%SET [exe-package=P exe-trusted=yes] [prog-type=T] [EXTRA…]`:
    /// the package and trust when every load of the group ran its package's file
    /// (`LearnedPackageTrust`); `extra` narrows a generic loader's rule
    /// (`GenericLoaderSuggestion`).
    static func ruleText(_ operation: BPFOperation, setName: String, group: LoaderGroup, extra: [String] = []) -> String {
        var words = ["allow", "op=\(operation == .load ? "load" : "unload")", "uid=0", "exe=%\(setName)"]
        words += group.key.trust.conditions
        if let condition = group.key.programType.condition { words.append(condition) }
        return (words + extra).joined(separator: " ")
    }

    static func loadBlock(_ proposals: [Proposal]) -> [String] {
        var lines = ["# ==== loads \(LearnedPolicyText.blockTitle) ===="]
        for proposal in proposals {
            lines.append("")
            lines += LearnedPolicyText.groupComment(proposal.group, setName: proposal.setName)
            lines += proposal.warnings
            let prefix = proposal.isActive ? "" : "# "
            lines.append(prefix + "%\(proposal.setName) = \(proposal.group.key.executableText)")
            lines.append(prefix + ruleText(.load, setName: proposal.setName, group: proposal.group))
        }
        lines.append("# ==== end of learned loads ====")
        return lines
    }

    static func unloadBlock(_ proposals: [Proposal], base: Policy) -> [String] {
        var lines = ["# ==== unloads \(LearnedPolicyText.blockTitle) ===="]
        for proposal in proposals {
            let alerts = proposal.group.unloadAlerts.sorted().map { label(base, $0) }.joined(separator: ", ")
            lines.append("# %\(proposal.setName): \(proposal.group.alertedUnloads) of \(LearnedPolicyText.count(proposal.group.statistics.unloads, "unload"))"
                         + " alerted by the base policy's \(alerts)")
            lines += proposal.unloadNotes
            lines.append((proposal.isActive ? "" : "# ") + ruleText(.unload, setName: proposal.setName, group: proposal.group))
        }
        lines.append("# ==== end of learned unloads ====")
        return lines
    }

    /// `alert 'LABEL'`, or `default = alert` for the default.
    static func label(_ base: Policy, _ index: Int) -> String {
        guard index < base.rules.count, case .alert(let label, _) = base.rules[index].action else { return "'default = alert'" }
        return "alert '\(label)'"
    }

    /// `learned_NAME` from the executable's file name (letters, digits, `_`, `-`, `.`),
    /// then the program type, then a number, until it is not taken.
    static func uniqueSetName(for key: LoaderGroupKey, used: inout Set<String>) -> String {
        let fileName = key.executable.split { $0 == .byte(UInt8(ascii: "/")) }.last ?? []
        var name: [UInt8] = []
        for element in fileName {
            guard case .byte(let byte) = element else { continue }
            let plain = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            let character = plain ? byte : UInt8(ascii: "_")
            if character == UInt8(ascii: "_"), name.last == UInt8(ascii: "_") { continue }
            name.append(character)
        }
        while let last = name.last, last == UInt8(ascii: "_") || last == UInt8(ascii: ".") || last == UInt8(ascii: "-") { name.removeLast() }
        var candidate = "learned_" + (name.isEmpty ? "loader" : String(decoding: name, as: UTF8.self))
        if used.contains(candidate) {
            switch key.programType {
            case .notLookedUp: break
            case .unknown: candidate += "_untyped"
            case .named(let type): candidate += "_" + type
            }
        }
        let stem = candidate
        var number = 2
        while used.contains(candidate) {
            candidate = "\(stem)_\(number)"
            number += 1
        }
        used.insert(candidate)
        return candidate
    }

    // MARK: - Text

    /// The 0-based line of the base text before which the rules for `ruleIndex` go: that
    /// rule's line, moved up over the comment lines directly above it (they describe it);
    /// the end of the text for `rules.count`.
    static func insertionLine(_ ruleIndex: Int, base: Policy, text: [UInt8]) -> Int {
        let lines = splitLines(text)
        guard ruleIndex < base.rules.count else { return lines.count }
        var line = min(base.rules[ruleIndex].line - 1, lines.count)
        while line > 0, isComment(lines[line - 1]) { line -= 1 }
        return line
    }

    /// The header, a blank line, then the base text with each block before its line,
    /// separated from its neighbours by blank lines.
    static func splice(_ text: [UInt8], header: [String], blocks: [(line: Int, lines: [String])]) -> [UInt8] {
        let lines = splitLines(text)
        var out: [UInt8] = []
        var lastBlank = false
        func emit(_ line: some Sequence<UInt8>) {
            out += line
            out.append(UInt8(ascii: "\n"))
            lastBlank = isBlank(Array(line))
        }
        for line in header { emit(line.utf8) }
        emit([])
        for index in 0...lines.count {
            for block in blocks where block.line == index {
                if !lastBlank { emit([]) }
                for line in block.lines { emit(line.utf8) }
                if index < lines.count, !isBlank(lines[index]) { emit([]) }
            }
            if index < lines.count { emit(lines[index]) }
        }
        return out
    }

    /// The lines of a text without their newlines; a final newline ends the last line.
    static func splitLines(_ text: [UInt8]) -> [[UInt8]] {
        var lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    private static func isBlank(_ line: [UInt8]) -> Bool {
        line.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
    }

    private static func isComment(_ line: [UInt8]) -> Bool {
        line.first { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") } == UInt8(ascii: "#")
    }
}
