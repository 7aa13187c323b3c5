/// The block structure MD5 and the SHA-1/SHA-2 family share (Merkle–Damgård): input is cut
/// into fixed-size blocks, each folded into a small state by a compression function, and
/// the last block is padded with 0x80, zeros and the message length in bits.
///
/// Implemented here (no Foundation, no packages) to compare executables with the digests
/// package databases record: dpkg's md5sums, rpm's file digests.
protocol BlockCompression: Sendable {
    /// 64 (MD5, SHA-1, SHA-256) or 128 (SHA-512) bytes.
    static var blockSize: Int { get }
    /// Bytes of the length field at the end of the padding (8, or 16 for SHA-512).
    static var lengthFieldSize: Int { get }
    /// MD5 writes the length little-endian, the SHA family big-endian.
    static var lengthIsBigEndian: Bool { get }
    /// The message schedule: words derived from a block (16 for MD5, 64 or 80 for SHA).
    associatedtype Word
    static var scheduleLength: Int { get }
    /// Folds exactly `blockSize` bytes into the state, with scratch space for the schedule.
    mutating func compress(_ block: UnsafeRawBufferPointer, schedule: UnsafeMutableBufferPointer<Word>)
    /// The digest of the state (after the last block).
    func digest() -> [UInt8]
}

extension BlockCompression {
    /// Folds one block, with the schedule on the stack.
    mutating func compress(_ block: UnsafeRawBufferPointer) {
        withUnsafeTemporaryAllocation(of: Word.self, capacity: Self.scheduleLength) { compress(block, schedule: $0) }
    }
}

/// Streaming driver of a `BlockCompression`: buffers partial blocks, pads at the end.
struct BlockDigest<State: BlockCompression>: Sendable {
    private var state: State
    private var pending: [UInt8] = []
    private var byteCount: UInt64 = 0

    init(_ initial: State) {
        state = initial
        pending.reserveCapacity(State.blockSize)
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        byteCount &+= UInt64(bytes.count)
        var offset = 0
        let size = State.blockSize
        if !pending.isEmpty {
            let take = min(size - pending.count, bytes.count)
            pending += bytes[0..<take]
            offset = take
            if pending.count == size {
                pending.withUnsafeBytes { state.compress($0) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        while bytes.count - offset >= size {
            state.compress(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)]))
            offset += size
        }
        if offset < bytes.count { pending += bytes[offset...] }
    }

    mutating func finish() -> [UInt8] {
        let size = State.blockSize
        let bitCount = byteCount &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % size != size - State.lengthFieldSize { tail.append(0) }
        var length = [UInt8](repeating: 0, count: State.lengthFieldSize)
        for index in 0..<8 {
            let byte = UInt8(truncatingIfNeeded: bitCount >> (8 * UInt64(index)))
            if State.lengthIsBigEndian { length[State.lengthFieldSize - 1 - index] = byte } else { length[index] = byte }
        }
        tail += length
        tail.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                state.compress(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + size)]))
                offset += size
            }
        }
        return state.digest()
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always) func bigEndianWord32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) func bigEndianWord64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always) func littleEndianWord32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}

@inline(__always) func rotateLeft(_ value: UInt32, _ count: UInt32) -> UInt32 { value << count | value >> (32 - count) }
