/// The policy's rules arranged for evaluation (`Policy.evaluate`), which tests several rules
/// for every event: a rule's `op=OPERATION` condition becomes a single compare made first
/// (nearly every rule has one), and its other conditions are tested cheapest first
/// (`Condition.cost`; ties in file order), so that a rule that cannot match is mostly refused
/// by a compare of an enum or a number before any string or set is looked at. The order
/// cannot change the outcome: every condition must hold, and testing one has no effect.
///
/// The conditions of all rules are in one table, each rule a span of it: the whole table is
/// borrowed once per event (an array per rule was a retain and a release per rule tested).
struct RuleMatchers: Hashable, Sendable {
    /// One rule: its operation (nil: any) and its conditions, `conditions[start..<end]`.
    private struct Entry: Hashable, Sendable {
        var operation: BPFOperation?
        var start: Int
        var end: Int
    }

    private let entries: [Entry]
    private let conditions: [Condition]

    init(_ rules: [Rule]) {
        var entries: [Entry] = []
        var conditions: [Condition] = []
        for rule in rules {
            var tests = rule.conditions.enumerated()
                .sorted { ($0.element.cost, $0.offset) < ($1.element.cost, $1.offset) }
                .map(\.element)
            let operationTest = tests.firstIndex { $0.field == .op && $0.comparison == .equal && $0.pattern.operation != nil }
            let operation = operationTest.map { tests.remove(at: $0).pattern.operation } ?? nil
            entries.append(Entry(operation: operation, start: conditions.count, end: conditions.count + tests.count))
            conditions.append(contentsOf: tests)
        }
        self.entries = entries
        self.conditions = conditions
    }

    /// The index of the first rule `subject` matches (`Rule.matches`), or nil.
    func firstMatch(_ subject: RuleSubject) -> Int? {
        entries.withUnsafeBufferPointer { entries in
            conditions.withUnsafeBufferPointer { conditions in
                for index in entries.indices {
                    let entry = entries[index]
                    if let operation = entry.operation, subject.event.operation != operation { continue }
                    var position = entry.start
                    while position < entry.end, conditions[position].matches(subject) { position &+= 1 }
                    if position == entry.end { return index }
                }
                return nil
            }
        }
    }
}
