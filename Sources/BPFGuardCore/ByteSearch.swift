/// Byte-level searching and comparing for the per-record path (line reader, record headers,
/// pre-filter), where generic collection algorithms over static arrays were a sizeable part
/// of the plugin's own cost on a BPF-dense stream. BPFGuardCore has no libc (no `memchr`,
/// no `memcmp`).
enum ByteSearch {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The index of the first `byte` in `buffer[start...]`, or nil: sixteen bytes at a time
    /// (a vector compare), the block that holds it read again eight bytes at a time for the
    /// exact index, the tail byte by byte. Every load stays inside the buffer.
    static func firstIndex(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start >= 0, start < buffer.count else { return nil }
        let raw = UnsafeRawBufferPointer(buffer)
        let vector = SIMD16<UInt8>(repeating: byte)
        var index = start
        while index &+ 16 <= buffer.count {
            if any(raw.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self) .== vector) {
                let low = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                if let found = firstMarkedByte(in: low, byte, byte, byte, byte) { return index &+ found }
                let high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index &+ 8, as: UInt64.self))
                return index &+ 8 &+ (firstMarkedByte(in: high, byte, byte, byte, byte) ?? 7)
            }
            index &+= 16
        }
        while index < buffer.count {
            if buffer[index] == byte { return index }
            index &+= 1
        }
        return nil
    }

    /// The index of the first byte in `buffer[start...]` that is `a`, `b`, `c` or `d`, or nil:
    /// eight bytes at a time, as `firstIndex(of:in:from:)` (the lowest marked byte of each
    /// pattern's test is exact, so the lowest of the four is too). Callers that look for fewer
    /// bytes repeat one.
    static func firstIndex(ofAny a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start >= 0, start < buffer.count else { return nil }
        let raw = UnsafeRawBufferPointer(buffer)
        var index = start
        // Sixteen bytes by words first (most words end within them), then sixteen at a time.
        for _ in 0..<2 where index &+ 8 <= buffer.count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            if let found = firstMarkedByte(in: word, a, b, c, d) { return index &+ found }
            index &+= 8
        }
        let vectorA = SIMD16<UInt8>(repeating: a), vectorB = SIMD16<UInt8>(repeating: b)
        let vectorC = SIMD16<UInt8>(repeating: c), vectorD = SIMD16<UInt8>(repeating: d)
        while index &+ 16 <= buffer.count {
            let block = raw.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self)
            if any((block .== vectorA) .| (block .== vectorB) .| (block .== vectorC) .| (block .== vectorD)) {
                let low = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                if let found = firstMarkedByte(in: low, a, b, c, d) { return index &+ found }
                let high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index &+ 8, as: UInt64.self))
                return index &+ 8 &+ (firstMarkedByte(in: high, a, b, c, d) ?? 7)
            }
            index &+= 16
        }
        while index < buffer.count {
            let byte = buffer[index]
            if byte == a || byte == b || byte == c || byte == d { return index }
            index &+= 1
        }
        return nil
    }

    /// The index (0–7) of the first byte of `word` (eight bytes, the first in its low byte)
    /// that is `a`, `b`, `c` or `d`, or nil: the test of `firstIndex(ofAny:)` on one word.
    @inline(__always)
    static func firstMarkedByte(in word: UInt64, _ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> Int? {
        let wordA = word ^ (ones &* UInt64(a)), wordB = word ^ (ones &* UInt64(b))
        let wordC = word ^ (ones &* UInt64(c)), wordD = word ^ (ones &* UInt64(d))
        let found = (((wordA &- ones) & ~wordA) | ((wordB &- ones) & ~wordB) | ((wordC &- ones) & ~wordC) | ((wordD &- ones) & ~wordD))
            & highBits
        return found == 0 ? nil : found.trailingZeroBitCount / 8
    }

    /// Whether `a` and `b` hold the same bytes: eight at a time (a generic comparison went
    /// byte by byte, through the collection protocols).
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        if a.baseAddress == b.baseAddress { return true }
        var index = 0
        while index &+ 8 <= a.count {
            if a.loadUnaligned(fromByteOffset: index, as: UInt64.self) != b.loadUnaligned(fromByteOffset: index, as: UInt64.self) {
                return false
            }
            index &+= 8
        }
        while index < a.count {
            if a[index] != b[index] { return false }
            index &+= 1
        }
        return true
    }

    /// Whether `buffer[offset...]` starts with `literal` (an ASCII literal: compared as bytes).
    @inline(__always)
    static func matches(_ literal: StaticString, in buffer: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset >= 0, count <= buffer.count &- offset else { return false }
        let bytes = literal.utf8Start
        var index = 0
        while index < count {
            if buffer[offset &+ index] != bytes[index] { return false }
            index &+= 1
        }
        return true
    }

    /// Whether `buffer` is exactly `literal`.
    @inline(__always)
    static func equals(_ buffer: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        buffer.count == literal.utf8CodeUnitCount && matches(literal, in: buffer, at: 0)
    }

    /// The offset of the first occurrence of `literal` in `buffer`, or nil.
    static func firstOffset(of literal: StaticString, in buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = literal.utf8CodeUnitCount
        guard count > 0, count <= buffer.count else { return nil }
        let first = literal.utf8Start[0]
        var index = 0
        while let found = firstIndex(of: first, in: buffer, from: index), found &+ count <= buffer.count {
            if matches(literal, in: buffer, at: found) { return found }
            index = found &+ 1
        }
        return nil
    }
}
