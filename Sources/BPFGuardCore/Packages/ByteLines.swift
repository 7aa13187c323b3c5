/// Lines of a text file held as bytes, without their newline (a trailing carriage return
/// is kept: the package database files never have one).
struct ByteLines: Sequence {
    let bytes: [UInt8]

    struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        var start = 0

        mutating func next() -> ArraySlice<UInt8>? {
            guard start < bytes.count else { return nil }
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            defer { start = end + 1 }
            return bytes[start..<end]
        }
    }

    func makeIterator() -> Iterator { Iterator(bytes: bytes) }
}
