/// A set's members compiled once for one field and shared by every rule that tests that
/// field against the set: a large set used by many rules costs its size once, not once per
/// rule, and a membership test is a hash lookup for literal strings and numbers instead of
/// a scan of the members.
public final class CompiledSet: Hashable, Sendable {
    public let name: String
    /// The members as compiled, in file order.
    public let members: [ValuePattern]
    private let literals: Set<HashedBytes>
    /// `lengthBit` of every literal.
    private let literalLengths: UInt64
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
        self.literalLengths = literals.reduce(0) { $0 | Self.lengthBit($1.bytes.count) }
        self.numbers = numbers
        self.others = others
    }

    /// Whether `value` (nil: unknown) is described by a member.
    public func contains(_ value: FieldValue?) -> Bool {
        switch value {
        case nil: return contains(bytes: nil)
        case .bytes(let bytes)?: return contains(bytes: bytes)
        case .number(let number)?: return contains(number: number)
        case .list(let items)?: if items.contains(where: { isLiteral($0) }) { return true }
        case .operation?: break
        }
        return others.contains { $0.contains(value) }
    }

    /// `contains(.bytes(bytes))` (nil: unknown) without building the value.
    public func contains(bytes: [UInt8]?) -> Bool {
        if let bytes, isLiteral(bytes) { return true }
        return others.contains { $0.contains(bytes: bytes) }
    }

    /// `contains(.number(number))` (nil: unknown) without building the value.
    public func contains(number: UInt64?) -> Bool {
        if let number, numbers.contains(number) { return true }
        return others.contains { $0.contains(number: number) }
    }

    /// Whether `bytes` is one of the literal members. A string of a length no literal has is
    /// refused before its bytes are hashed: most executables tested against a set of
    /// paths are not in it.
    private func isLiteral(_ bytes: [UInt8]) -> Bool {
        literalLengths & Self.lengthBit(bytes.count) != 0 && literals.contains(HashedBytes(bytes))
    }

    /// A bit per length up to 63; longer strings share the last bit.
    private static func lengthBit(_ length: Int) -> UInt64 { 1 << UInt64(min(length, 63)) }

    public static func == (lhs: CompiledSet, rhs: CompiledSet) -> Bool {
        lhs === rhs || (lhs.name == rhs.name && lhs.members == rhs.members)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(members.count)
    }
}
