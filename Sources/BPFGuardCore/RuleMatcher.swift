/// A rule's conditions arranged for evaluation (`Policy.evaluate`), which tests several
/// rules for every event: an `op=OPERATION` condition becomes a single compare made first
/// (nearly every rule has one), and the other conditions are tested cheapest first
/// (`Condition.cost`; ties in file order), so that a rule that cannot match is mostly
/// refused by a compare of an enum or a number before any string or set is looked at. The
/// order cannot change the outcome: every condition must hold, and testing one has no effect.
/// Kept apart from `Rule` (one reference to copy per rule tested, not the rule's label and
/// both condition lists).
struct RuleMatcher: Hashable, Sendable {
    private let operation: BPFOperation?
    private let tests: [Condition]

    init(_ rule: Rule) {
        var tests = rule.conditions.enumerated()
            .sorted { ($0.element.cost, $0.offset) < ($1.element.cost, $1.offset) }
            .map(\.element)
        let operationTest = tests.firstIndex { $0.field == .op && $0.comparison == .equal && $0.pattern.operation != nil }
        operation = operationTest.map { tests.remove(at: $0).pattern.operation } ?? nil
        self.tests = tests
    }

    /// `Rule.matches`.
    func matches(_ subject: RuleSubject) -> Bool {
        if let operation, subject.event.operation != operation { return false }
        // Borrowed in place: iterating the array copied each condition out (a retain and a
        // release of its pattern per condition tested).
        return tests.withUnsafeBufferPointer { conditions in
            for index in conditions.indices where !conditions[index].matches(subject) { return false }
            return true
        }
    }
}
