/// The choices a target makes (chunk sizes, clock steps, the kernel's answers, subjects to
/// evaluate) read from the fuzz input itself, as a tape that wraps around: libFuzzer's
/// mutations steer them directly, and a finding reproduces from its file alone.
struct InputTape {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position: Int

    /// A tape over `bytes`, read from `start` (taken modulo the length) on.
    init(_ bytes: UnsafeBufferPointer<UInt8>, start: Int = 0) {
        self.bytes = bytes
        self.position = bytes.isEmpty ? 0 : start % bytes.count
    }

    /// The next byte (0 on an empty tape).
    mutating func byte() -> UInt8 {
        guard !bytes.isEmpty else { return 0 }
        defer { position = (position + 1) % bytes.count }
        return bytes[position]
    }

    /// A value of any fixed width, from as many bytes as it has.
    mutating func bits<Value: FixedWidthInteger & UnsignedInteger>(_: Value.Type = Value.self) -> Value {
        var value: Value = 0
        for _ in 0..<(Value.bitWidth / 8) { value = value << 8 | Value(byte()) }
        return value
    }

    /// A value in `0..<bound` (`bound` > 0), from one, two or four bytes.
    mutating func below(_ bound: Int) -> Int {
        let value = bound <= 256 ? Int(byte()) : bound <= 65536 ? Int(bits(UInt16.self)) : Int(bits(UInt32.self))
        return value % bound
    }

    /// True once in `chances` on average (for evenly spread bytes).
    mutating func oneIn(_ chances: Int) -> Bool {
        below(chances) == 0
    }

    /// Up to `maximum` bytes of the tape from a place it chooses: arbitrary bytes that the
    /// fuzzer controls, for names the kernel or /proc would return.
    mutating func slice(maximum: Int) -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        let start = below(bytes.count)
        let count = below(min(maximum, bytes.count - start) + 1)
        return Array(bytes[start..<(start + count)])
    }
}
