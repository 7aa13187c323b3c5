import Testing
@testable import BPFGuardCore

/// The shortcuts of the per-event path give what the plain definitions give: conditions
/// tested in place (`Condition.matches`) as on `RuleSubject.value(of:)`, rules tested in
/// their `RuleMatchers` order as in file order, sets refusing by length only what they lack,
/// and fold keys found from an alert (`FoldKey.hash(of:keys:)`, `describes`, `FoldGroups`)
/// as the keys built from it.
@Suite struct EvaluationShortcutTests {
    static let loaders: [ProcessContext?] = [
        process(uid: 0, exe: "/usr/sbin/bpftool"),
        process(uid: 1000, auid: 1000, pid: 7, comm: "bpfload", exe: "/tmp/bpfguard-capture/bpfload"),
        process(uid: 5, exe: "/usr/lib/linux-tools/6.8.0-45-generic/bpftool"),
        ProcessContext(uid: nil, exe: nil),
        nil,
    ]

    static let programs: [ProgramLookup] = [
        .notDone, .gone, .failed("EPERM"),
        .found(ProgramInfo(type: BPFProgramType(rawValue: 2), name: Array("probe".utf8), tag: "0011223344556677", createdByUID: 0,
                           helpers: ["bpf_probe_write_user", "bpf_map_lookup_elem"])),
    ]

    static var subjects: [RuleSubject] {
        var subjects: [RuleSubject] = []
        for loader in loaders {
            for program in programs {
                subjects.append(RuleSubject(event: load(9, node: "sensor-a", by: loader), loader: loader, program: program, identity: .audit,
                                            facts: LoaderFacts(package: .named("bpftool"), trust: .yes, container: .no)))
                subjects.append(RuleSubject(event: unload(9, by: loader), loader: loader, unloader: loader, lifetimeMilliseconds: 250,
                                            program: program))
            }
        }
        return subjects
    }

    static let patterns: [ValuePattern] = {
        let set = CompiledSet(name: "mixed", members: [
            .glob(Glob(literal: Array("/usr/sbin/bpftool".utf8))), .glob(Glob([.byte(UInt8(ascii: "/")), .byte(UInt8(ascii: "t")), .star])),
            .range(0...0), .range(900...1100), .unknown, .operation(.unload), .glob(Glob(literal: Array("bpf_probe_write_user".utf8))),
        ])
        return [
            .unknown, .operation(.load), .operation(.unload), .range(0...0), .range(5...1000),
            .glob(Glob(literal: Array("/usr/sbin/bpftool".utf8))), .glob(Glob([.star, .byte(UInt8(ascii: "l"))])),
            .glob(Glob(literal: Array("yes".utf8))), .glob(Glob(literal: Array("found".utf8))), .set(set),
        ]
    }()

    @Test func conditionsTestedInPlaceAgreeWithTheFieldValues() {
        var compared = 0
        for subject in Self.subjects {
            for field in RuleField.allCases {
                let value = subject.value(of: field)
                for pattern in Self.patterns {
                    for comparison in ComparisonOperator.allCases {
                        let condition = Condition(field: field, comparison: comparison, pattern: pattern)
                        #expect(condition.matches(subject) == condition.matches(value), "\(field) \(comparison) \(pattern)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared == Self.subjects.count * RuleField.allCases.count * Self.patterns.count * ComparisonOperator.allCases.count)
    }

    @Test func theDefaultPolicyDecidesAsInFileOrder() {
        let policy = DefaultPolicyTests.policy
        var alerted = 0
        for subject in Self.subjects {
            let decision = policy.evaluate(subject)
            #expect(decision.ruleIndex == policy.rules.firstIndex { $0.matches(subject) })
            if decision.alert != nil { alerted += 1 }
        }
        #expect(alerted > 0 && alerted < Self.subjects.count, "the subjects reach both allow and alert rules")
    }

    @Test func aSetRefusesByLengthOnlyWhatItLacks() {
        let long = Array(repeating: UInt8(ascii: "a"), count: 80)
        let set = CompiledSet(name: "paths", members: [.glob(Glob(literal: Array("/bin/sh".utf8))), .glob(Glob(literal: long)),
                                                       .glob(Glob([.star, .byte(UInt8(ascii: "x"))]))])
        #expect(set.contains(bytes: Array("/bin/sh".utf8)))
        #expect(set.contains(bytes: long))
        #expect(!set.contains(bytes: long + [UInt8(ascii: "a")]), "a longer string shares the length bit but not the bytes")
        #expect(set.contains(bytes: Array("/bin/sx".utf8)), "a glob member still matches a string of a literal's length")
        #expect(!set.contains(bytes: Array("/bin/ss".utf8)))
        #expect(!set.contains(bytes: nil))
    }

    static let foldKeys: [[AlertKey]] = [
        AlertKey.defaultFoldKeys, [.priority, .rule, .info], [.field(.helpers), .field(.uid), .field(.op)],
        [.field(.progName), .field(.cmdline), .field(.comm), .field(.lifetime), .field(.exeTrusted)],
    ]

    @Test func foldKeysAreFoundFromTheAlert() {
        let alerts = Self.subjects.map { Alert(label: "x", priority: .warning, subject: $0, rule: .line(3)) }
        for keys in Self.foldKeys {
            for alert in alerts {
                let key = FoldKey(alert, keys: keys)
                #expect(FoldKey.hash(of: alert, keys: keys) == key.digest)
                #expect(key.describes(alert, keys: keys))
                // Equal values in other storage: the same key.
                let copy = FoldKey(values: key.values.map { $0.map(Self.reallocated) }, digest: key.digest)
                #expect(copy == key && copy.describes(alert, keys: keys))
                for other in alerts where FoldKey(other, keys: keys) != key {
                    #expect(!key.describes(other, keys: keys))
                }
            }
        }
    }

    /// The same value in freshly allocated arrays.
    static func reallocated(_ value: FieldValue) -> FieldValue {
        switch value {
        case .bytes(let bytes): .bytes(Array(bytes[...]) + [])
        case .list(let items): .list(items.map { Array($0[...]) + [] })
        default: value
        }
    }

    @Test func groupsOfKeysWhoseHashesCollideStayApart() {
        let keys = AlertKey.defaultFoldKeys
        let first = Alert(label: "a", priority: .warning, subject: Self.subjects[0], rule: .line(1))
        let second = Alert(label: "b", priority: .warning, subject: Self.subjects[0], rule: .line(1))
        let firstKey = FoldKey(first, keys: keys)
        let colliding = FoldKey(values: FoldKey(second, keys: keys).values, digest: firstKey.digest)
        var groups = FoldGroups<Int>()
        groups.insert(1, for: firstKey)
        groups.insert(2, for: colliding)
        #expect(groups.count == 2)
        let firstSlot = groups.slot(of: first, keys: keys, hash: firstKey.digest)
        let secondSlot = groups.slot(of: second, keys: keys, hash: firstKey.digest)
        #expect(firstSlot.map { groups[$0] } == 1 && secondSlot.map { groups[$0] } == 2)
        if let secondSlot { groups[secondSlot] += 10 }
        #expect(groups.remove(firstKey) == 1)
        #expect(groups.slot(of: first, keys: keys, hash: firstKey.digest) == nil)
        #expect(groups.slot(of: second, keys: keys, hash: firstKey.digest).map { groups[$0] } == 12)
        #expect(groups.remove(colliding) == 12 && groups.isEmpty)
        groups.insert(3, for: colliding)
        #expect(groups.slot(of: second, keys: keys, hash: firstKey.digest).map { groups[$0] } == 3, "a freed slot is reused")
    }
}
