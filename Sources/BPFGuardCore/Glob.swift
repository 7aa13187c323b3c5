/// A byte-string pattern in which `*` matches any run of bytes (including `/`).
/// A pattern without a star matches only the identical string.
public struct Glob: Hashable, Sendable {
    public enum Element: Hashable, Sendable {
        case byte(UInt8)
        case star
    }

    /// Literal runs between stars; `segments.count == starCount + 1`.
    private let segments: [[UInt8]]

    public init(_ elements: [Element]) {
        var segments: [[UInt8]] = [[]]
        for element in elements {
            switch element {
            case .byte(let byte): segments[segments.count - 1].append(byte)
            case .star: segments.append([])
            }
        }
        self.segments = segments
    }

    /// A pattern that matches exactly `literal`.
    public init(literal: [UInt8]) {
        self.segments = [literal]
    }

    public var isLiteral: Bool { segments.count == 1 }

    /// The bytes a literal pattern matches (the first segment otherwise).
    public var literalBytes: [UInt8] { segments[0] }

    public func matches(_ subject: [UInt8]) -> Bool {
        if segments.count == 1 { return subject == segments[0] }
        let first = segments[0], last = segments[segments.count - 1]
        // The ends compared as bytes (the generic `starts(with:)` went element by element
        // through the collection protocols, for several globs of every event).
        guard subject.count >= first.count + last.count,
              Self.equal(subject, at: 0, first), Self.equal(subject, at: subject.count - last.count, last)
        else { return false }
        // Middle segments: leftmost placement is optimal for `*`-only patterns.
        var position = first.count
        let end = subject.count - last.count
        for segment in segments.dropFirst().dropLast() {
            guard let found = Self.find(segment, in: subject, from: position, before: end) else { return false }
            position = found + segment.count
        }
        return true
    }

    /// Whether `subject[offset...]` starts with `part` (which fits).
    private static func equal(_ subject: [UInt8], at offset: Int, _ part: [UInt8]) -> Bool {
        subject.withUnsafeBytes { subject in
            part.withUnsafeBytes { part in ByteSearch.equal(UnsafeRawBufferPointer(rebasing: subject[offset..<(offset + part.count)]), part) }
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int, before end: Int) -> Int? {
        if needle.isEmpty { return start }
        guard end - start >= needle.count else { return nil }
        var index = start
        while index + needle.count <= end {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
