/// SHA-1 (FIPS 180-4): one of the file digest algorithms an rpm header may declare.
struct SHA1State: BlockCompression {
    static let blockSize = 64
    static let lengthFieldSize = 8
    static let lengthIsBigEndian = true

    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)

    static let scheduleLength = 80

    mutating func compress(_ block: UnsafeRawBufferPointer, schedule: UnsafeMutableBufferPointer<UInt32>) {
        for index in 0..<16 { schedule[index] = block.bigEndianWord32(at: 4 * index) }
        for index in 16..<80 {
            schedule[index] = rotateLeft(schedule[index - 3] ^ schedule[index - 8] ^ schedule[index - 14] ^ schedule[index - 16], 1)
        }
        var (a, b, c, d, e) = h
        for index in 0..<80 {
            let mixed: UInt32, constant: UInt32
            switch index {
            case 0..<20: mixed = (b & c) | (~b & d); constant = 0x5A82_7999
            case 20..<40: mixed = b ^ c ^ d; constant = 0x6ED9_EBA1
            case 40..<60: mixed = (b & c) | (b & d) | (c & d); constant = 0x8F1B_BCDC
            default: mixed = b ^ c ^ d; constant = 0xCA62_C1D6
            }
            let next = rotateLeft(a, 5) &+ mixed &+ e &+ constant &+ schedule[index]
            e = d; d = c; c = rotateLeft(b, 30); b = a; a = next
        }
        h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
    }

    func digest() -> [UInt8] {
        [h.0, h.1, h.2, h.3, h.4].flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * UInt32($0))) } }
    }
}
