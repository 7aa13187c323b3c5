/// Byte-level searching and comparing for the per-record path (line reader, record headers,
/// pre-filter), where generic collection algorithms over static arrays were a sizeable part
/// of the plugin's own cost on a BPF-dense stream. BPFGuardCore has no libc (no `memchr`,
/// no `memcmp`).
enum ByteSearch {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The index of the first `byte` in `buffer[start...]`, or nil: eight bytes at a time.
    /// Every load stays inside the buffer: words are read at offsets at most `count - 8`,
    /// the tail byte by byte.
    static func firstIndex(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start >= 0, start < buffer.count else { return nil }
        let raw = UnsafeRawBufferPointer(buffer)
        let pattern = ones &* UInt64(byte)
        var index = start
        while index &+ 8 <= buffer.count {
            // A zero byte in `word ^ pattern` is a match. The lowest set high bit of this
            // expression marks the first zero byte exactly (carries only run upwards).
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) ^ pattern
            let found = (word &- ones) & ~word & highBits
            if found != 0 { return index &+ found.trailingZeroBitCount / 8 }
            index &+= 8
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
        while index &+ 8 <= buffer.count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            if let found = firstMarkedByte(in: word, a, b, c, d) { return index &+ found }
            index &+= 8
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
