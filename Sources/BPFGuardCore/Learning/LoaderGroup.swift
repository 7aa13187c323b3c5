/// What makes loaders "alike" for learning mode: one group gets one set and one allow rule
/// per operation in the generated policy.
///
/// A group is an executable pattern (a path, or a versioned path's glob), a program type
/// (with `--lookup`), and what `--lookup` found out about the executable's package and
/// trust (`LearnedPackageTrust`): loads of one path that ran the packaged file and loads
/// that ran something else are different loaders. A trusted group's rules require
/// `exe-package=` and `exe-trusted=yes` (see `PolicyGenerator.ruleText`). The executable
/// stays in the key, so a set holds one pattern and every group keeps its own statistics.
public struct LoaderGroupKey: Hashable, Sendable {
    /// The executable pattern: a literal path, or a glob from `VersionedPathGlobs`.
    public var executable: [Glob.Element]
    public var programType: LearnedProgramType
    public var trust: LearnedPackageTrust = .notLookedUp

    /// The pattern as the policy writes it.
    public var executableText: String { PolicyValueText.pattern(executable) }
}

/// The candidate loads of one group: their statistics, the base rules that alerted on them,
/// and what the generator found out about the executables on this host.
public struct LoaderGroup: Sendable {
    public var key: LoaderGroupKey
    /// The executables seen (escaped, sorted).
    public var executables = SmallestValues<String>(limit: 8)
    public var statistics = LoaderStatistics()
    public var loadAlerts: Set<Int> = []
    public var unloadAlerts: Set<Int> = []
    public var alertedUnloads: UInt64 = 0
    /// Remarks for the comment: the glob applied, directories not checked.
    public var notes = SmallestValues<String>(limit: 8)
    /// A generic loader (`GenericLoaders`).
    public var isGeneric = false

    /// Groups the candidate observations, applying the directory rule with this host's
    /// `facts` (directories with no fact count as not examined). Candidates whose
    /// executable lies below an unsafe directory are returned as refused instead.
    public static func groups(
        _ observations: [PolicyLearner.ObservationKey: PolicyLearner.Observation], facts: [[UInt8]: DirectoryFact]
    ) -> (groups: [LoaderGroup], refused: [(key: PolicyLearner.ObservationKey, observation: PolicyLearner.Observation)]) {
        var groups: [LoaderGroupKey: LoaderGroup] = [:]
        var refused: [(key: PolicyLearner.ObservationKey, observation: PolicyLearner.Observation)] = []
        for (key, observation) in observations {
            guard key.disposition == .candidate, let exe = key.executable else { continue }
            let safety = DirectoryFact.directories(above: exe).map { ($0, facts[$0]?.safety ?? .unknown("was not examined")) }
            if let unsafe = firstUnsafe(safety) {
                var refusedKey = key
                refusedKey.disposition = .refused([.unsafeDirectory(path: unsafe.directory, reason: unsafe.reason)])
                refused.append((refusedKey, observation))
                continue
            }
            var notes: [String] = []
            // The deepest such directory: the one the executable is in, when it is missing here.
            if let unknown = firstNotSafe(safety.reversed()) {
                notes.append("not checked: directory \(AlertEscaping.quoted(unknown.directory)) \(unknown.reason)")
            }
            var pattern: [Glob.Element] = exe.map { .byte($0) }
            if let match = VersionedPathGlobs.glob(exe) {
                let anchorChain = DirectoryFact.directories(downTo: match.anchor).map { ($0, facts[$0]?.safety ?? .unknown("was not examined")) }
                if let unknown = firstNotSafe(anchorChain) {
                    notes.append("not globbed (\(match.entry.rawValue)): directory \(AlertEscaping.quoted(unknown.directory)) \(unknown.reason)")
                } else {
                    pattern = match.pattern
                    notes.append("globbed: \(match.entry.rawValue)")
                }
            }
            let groupKey = LoaderGroupKey(executable: pattern, programType: key.programType, trust: key.trust)
            var group = groups[groupKey] ?? LoaderGroup(key: groupKey)
            group.executables.insert(AlertEscaping.quoted(exe))
            group.statistics.merge(observation.statistics)
            group.loadAlerts.formUnion(observation.loadAlerts)
            group.unloadAlerts.formUnion(observation.unloadAlerts)
            group.alertedUnloads &+= observation.alertedUnloads
            for note in notes { group.notes.insert(note) }
            if GenericLoaders.isGeneric(exe) { group.isGeneric = true }
            groups[groupKey] = group
        }
        let sorted = groups.values.sorted {
            ($0.key.executableText, $0.key.programType, $0.key.trust) < ($1.key.executableText, $1.key.programType, $1.key.trust)
        }
        return (sorted, refused)
    }

    /// The directories whose facts `groups` needs for these observations, sorted.
    public static func directoriesToCheck(_ observations: [PolicyLearner.ObservationKey: PolicyLearner.Observation]) -> [[UInt8]] {
        var directories = Set<[UInt8]>()
        for key in observations.keys where key.disposition == .candidate {
            guard let exe = key.executable else { continue }
            // A glob's anchor is one of these: the directory above the component it replaces.
            directories.formUnion(DirectoryFact.directories(above: exe))
        }
        return directories.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The first directory known to be unsafe, and why.
    private static func firstUnsafe(_ chain: [([UInt8], DirectoryFact.Safety)]) -> (directory: [UInt8], reason: String)? {
        for (directory, safety) in chain {
            if case .unsafe(let reason) = safety { return (directory, reason) }
        }
        return nil
    }

    /// The first directory not known to be safe, and why.
    private static func firstNotSafe(_ chain: some Sequence<([UInt8], DirectoryFact.Safety)>) -> (directory: [UInt8], reason: String)? {
        for (directory, safety) in chain {
            switch safety {
            case .safe: continue
            case .unknown(let reason), .unsafe(let reason): return (directory, reason)
            }
        }
        return nil
    }
}
