/// A set's members compiled once for one field and shared by every rule that tests that
/// field against the set: a large set used by many rules costs its size once, not once per
/// rule, and a membership test is a hash lookup for literal strings and numbers instead of
/// a scan of the members.
public final class CompiledSet: Hashable, Sendable {
    public let name: String
    /// The members as compiled, in file order.
    public let members: [ValuePattern]
    private let literals: Set<HashedBytes>
    private let numbers: Set<UInt64>
    /// Globs with a `*`, ranges wider than one value, `?` and operations: tested in turn.
    private let others: [ValuePattern]

    public init(name: String, members: [ValuePattern]) {
        self.name = name
        self.members = members
        var literals = Set<HashedBytes>(), numbers = Set<UInt64>(), others: [ValuePattern] = []
        for member in members {
            switch member {
            case .glob(let glob) where glob.isLiteral: literals.insert(HashedBytes(glob.literalBytes))
            case .range(let range) where range.lowerBound == range.upperBound: numbers.insert(range.lowerBound)
            default: others.append(member)
            }
        }
        self.literals = literals
        self.numbers = numbers
        self.others = others
    }

    /// Whether `value` (nil: unknown) is described by a member.
    public func contains(_ value: FieldValue?) -> Bool {
        switch value {
        case .bytes(let bytes)?: if literals.contains(HashedBytes(bytes)) { return true }
        case .list(let items)?: if items.contains(where: { literals.contains(HashedBytes($0)) }) { return true }
        case .number(let number)?: if numbers.contains(number) { return true }
        default: break
        }
        return others.contains { $0.contains(value) }
    }

    public static func == (lhs: CompiledSet, rhs: CompiledSet) -> Bool {
        lhs === rhs || (lhs.name == rhs.name && lhs.members == rhs.members)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(members.count)
    }
}
