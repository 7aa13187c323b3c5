/// The right-hand side of a condition, compiled for the field it tests.
/// Not `indirect`: no case holds a pattern, and boxing every payload cost a retain and a
/// release per condition tested.
public enum ValuePattern: Hashable, Sendable {
    /// `?`: the event does not carry the field.
    case unknown
    case operation(BPFOperation)
    /// A number, a resolved name, `unset`, a duration in ms, or an inclusive range of them.
    case range(ClosedRange<UInt64>)
    /// A string literal or `*` glob.
    case glob(Glob)
    /// `%NAME`: any member matches (compiled once per set and field, shared).
    case set(CompiledSet)

    /// The operation of an `.operation` pattern.
    var operation: BPFOperation? {
        if case .operation(let operation) = self { return operation }
        return nil
    }

    /// Whether `value` (nil: unknown) is described by this pattern.
    public func contains(_ value: FieldValue?) -> Bool {
        switch value {
        case nil: return contains(bytes: nil)
        case .bytes(let bytes)?: return contains(bytes: bytes)
        case .number(let number)?: return contains(number: number)
        case .operation(let operation)?:
            switch self {
            case .operation(let op): return op == operation
            case .set(let set): return set.contains(value)
            case .unknown, .range, .glob: return false
            }
        case .list(let items)?:
            switch self {
            case .glob(let glob): return items.contains { glob.matches($0) }
            case .set(let set): return set.contains(value)
            case .unknown, .operation, .range: return false
            }
        }
    }

    /// `contains(.bytes(bytes))`, or `contains(nil)` for nil, without building the value:
    /// the policy tests the loader's strings of every event.
    public func contains(bytes: [UInt8]?) -> Bool {
        switch self {
        case .unknown: return bytes == nil
        case .glob(let glob): return bytes.map { glob.matches($0) } ?? false
        case .set(let set): return set.contains(bytes: bytes)
        case .operation, .range: return false
        }
    }

    /// `contains(.number(number))`, or `contains(nil)` for nil, without building the value.
    public func contains(number: UInt64?) -> Bool {
        switch self {
        case .unknown: return number == nil
        case .range(let range): return number.map { range.contains($0) } ?? false
        case .set(let set): return set.contains(number: number)
        case .operation, .glob: return false
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
    ///
    /// The operation, the prog-id and the loader's numbers and strings are tested where they
    /// are stored, without building a `FieldValue` (`RuleSubject.value(of:)`): every event
    /// goes through several rules' conditions, and building, copying and releasing those
    /// values was most of the cost of a rule. Other fields take the general path.
    public func matches(_ subject: RuleSubject) -> Bool {
        switch field {
        case .op:
            guard case .operation(let op) = pattern, !comparison.isOrdering else { break }
            return (subject.event.operation == op) == (comparison == .equal)
        case .progID:
            return matches(number: UInt64(subject.event.programID))
        case .uid, .auid, .euid, .gid, .pid, .ppid, .ses:
            return matches(number: subject.loaderNumber(field).map { UInt64($0) })
        case .tty, .comm, .exe, .key, .syscall, .cmdline:
            switch comparison {
            case .equal: return pattern.contains(bytes: subject.loaderBytes(field))
            case .notEqual: return !pattern.contains(bytes: subject.loaderBytes(field))
            case .less, .lessOrEqual, .greater, .greaterOrEqual: return false
            }
        default:
            break
        }
        return matches(subject.value(of: field))
    }

    /// The test on a value as `RuleSubject.value(of:)` gives it.
    func matches(_ value: FieldValue?) -> Bool {
        switch comparison {
        case .equal: return pattern.contains(value)
        case .notEqual: return !pattern.contains(value)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard case .number(let number)? = value else { return false }
            return isOrdered(number)
        }
    }

    /// The test on a number field's value (nil: unknown).
    private func matches(number: UInt64?) -> Bool {
        switch comparison {
        case .equal: return pattern.contains(number: number)
        case .notEqual: return !pattern.contains(number: number)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard let number else { return false }
            return isOrdered(number)
        }
    }

    /// An ordering comparison of a known number with the pattern's range.
    private func isOrdered(_ number: UInt64) -> Bool {
        guard case .range(let range) = pattern else { return false }
        switch comparison {
        case .less: return number < range.lowerBound
        case .lessOrEqual: return number <= range.upperBound
        case .greater: return number > range.upperBound
        case .greaterOrEqual: return number >= range.lowerBound
        case .equal, .notEqual: return false
        }
    }

    /// A rough cost of testing the condition, for the order a rule tests its conditions in
    /// (`Rule`): an enum or a number costs a compare, a literal string a byte compare, a glob
    /// a scan, a set a hash of the value and a scan of its globs; fields read through
    /// `RuleSubject.value(of:)` may build their value.
    var cost: Int {
        switch field {
        case .op, .progID, .uid, .auid, .euid, .gid, .pid, .ppid, .ses: return 0
        case .tty, .comm, .exe, .key, .syscall, .cmdline:
            switch pattern {
            case .unknown, .operation, .range: return 0
            case .glob(let glob): return glob.isLiteral ? 1 : 2
            case .set: return 3
            }
        case .helpers: return 4
        default:
            if case .set = pattern { return 3 }
            return 2
        }
    }
}
