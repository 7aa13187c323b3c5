/// The right-hand side of a condition, compiled for the field it tests.
public indirect enum ValuePattern: Hashable, Sendable {
    /// `?`: the event does not carry the field.
    case unknown
    case operation(BPFOperation)
    /// A number, a resolved name, `unset`, a duration in ms, or an inclusive range of them.
    case range(ClosedRange<UInt64>)
    /// A string literal or `*` glob.
    case glob(Glob)
    /// `%NAME`: any member matches (compiled once per set and field, shared).
    case set(CompiledSet)

    /// Whether `value` (nil: unknown) is described by this pattern.
    public func contains(_ value: FieldValue?) -> Bool {
        switch self {
        case .unknown:
            return value == nil
        case .operation(let op):
            return value == .operation(op)
        case .range(let range):
            if case .number(let number)? = value { return range.contains(number) }
            return false
        case .glob(let glob):
            switch value {
            case .bytes(let bytes)?: return glob.matches(bytes)
            case .list(let items)?: return items.contains { glob.matches($0) }
            default: return false
            }
        case .set(let set):
            return set.contains(value)
        }
    }
}

/// `=`, `!=`, `<`, `<=`, `>`, `>=`.
public enum ComparisonOperator: String, Sendable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="

    public var isOrdering: Bool { self != .equal && self != .notEqual }
}

/// `FIELD OP VALUE`.
public struct Condition: Hashable, Sendable {
    public var field: RuleField
    public var comparison: ComparisonOperator
    public var pattern: ValuePattern

    public init(field: RuleField, comparison: ComparisonOperator, pattern: ValuePattern) {
        self.field = field
        self.comparison = comparison
        self.pattern = pattern
    }

    /// `=` matches members of the pattern, `!=` everything else (an unknown value included,
    /// unless the pattern is `?`), and ordering operators compare known numbers only.
    public func matches(_ subject: RuleSubject) -> Bool {
        let value = subject.value(of: field)
        switch comparison {
        case .equal: return pattern.contains(value)
        case .notEqual: return !pattern.contains(value)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard case .number(let number)? = value, case .range(let range) = pattern else { return false }
            switch comparison {
            case .less: return number < range.lowerBound
            case .lessOrEqual: return number <= range.upperBound
            case .greater: return number > range.upperBound
            default: return number >= range.lowerBound
            }
        }
    }
}
