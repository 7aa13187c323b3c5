/// Finding a byte in a buffer eight bytes at a time.
///
/// Why: the line reader looks for every newline of the input, and a byte-by-byte loop over
/// it was a sizeable part of the plugin's own cost on a BPF-dense stream (BPFGuardCore has
/// no libc, so no `memchr`). Every load stays inside the buffer: the words are read at
/// offsets at most `count - 8`, the tail byte by byte.
enum ByteSearch {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The index of the first `byte` in `buffer[start...]`, or nil.
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
}
