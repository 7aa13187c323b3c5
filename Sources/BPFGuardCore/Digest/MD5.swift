/// MD5 (RFC 1321): the digest of dpkg's `md5sums` files and of old rpm packages. Broken
/// as a cryptographic hash (collisions can be made); used only to compare a file with the
/// package database's record of it.
struct MD5State: BlockCompression {
    static let blockSize = 64
    static let lengthFieldSize = 8
    static let lengthIsBigEndian = false

    private var a: UInt32 = 0x6745_2301, b: UInt32 = 0xEFCD_AB89, c: UInt32 = 0x98BA_DCFE, d: UInt32 = 0x1032_5476

    /// Per-step additive constants: the integer part of 2^32 × |sin(i + 1)|.
    private static let constants: [UInt32] = [
        0xD76A_A478, 0xE8C7_B756, 0x2420_70DB, 0xC1BD_CEEE, 0xF57C_0FAF, 0x4787_C62A, 0xA830_4613, 0xFD46_9501,
        0x6980_98D8, 0x8B44_F7AF, 0xFFFF_5BB1, 0x895C_D7BE, 0x6B90_1122, 0xFD98_7193, 0xA679_438E, 0x49B4_0821,
        0xF61E_2562, 0xC040_B340, 0x265E_5A51, 0xE9B6_C7AA, 0xD62F_105D, 0x0244_1453, 0xD8A1_E681, 0xE7D3_FBC8,
        0x21E1_CDE6, 0xC337_07D6, 0xF4D5_0D87, 0x455A_14ED, 0xA9E3_E905, 0xFCEF_A3F8, 0x676F_02D9, 0x8D2A_4C8A,
        0xFFFA_3942, 0x8771_F681, 0x6D9D_6122, 0xFDE5_380C, 0xA4BE_EA44, 0x4BDE_CFA9, 0xF6BB_4B60, 0xBEBF_BC70,
        0x289B_7EC6, 0xEAA1_27FA, 0xD4EF_3085, 0x0488_1D05, 0xD9D4_D039, 0xE6DB_99E5, 0x1FA2_7CF8, 0xC4AC_5665,
        0xF429_2244, 0x432A_FF97, 0xAB94_23A7, 0xFC93_A039, 0x655B_59C3, 0x8F0C_CC92, 0xFFEF_F47D, 0x8584_5DD1,
        0x6FA8_7E4F, 0xFE2C_E6E0, 0xA301_4314, 0x4E08_11A1, 0xF753_7E82, 0xBD3A_F235, 0x2AD7_D2BB, 0xEB86_D391,
    ]

    /// Left-rotation amounts, four per round.
    private static let shifts: [UInt32] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]

    static let scheduleLength = 16

    mutating func compress(_ block: UnsafeRawBufferPointer, schedule message: UnsafeMutableBufferPointer<UInt32>) {
        for index in 0..<16 { message[index] = block.littleEndianWord32(at: 4 * index) }
        var aa = a, bb = b, cc = c, dd = d
        Self.constants.withUnsafeBufferPointer { constants in
            for step in 0..<64 {
                let mixed: UInt32
                let wordIndex: Int
                switch step {
                case 0..<16: mixed = (bb & cc) | (~bb & dd); wordIndex = step
                case 16..<32: mixed = (dd & bb) | (~dd & cc); wordIndex = (5 &* step &+ 1) & 15
                case 32..<48: mixed = bb ^ cc ^ dd; wordIndex = (3 &* step &+ 5) & 15
                default: mixed = cc ^ (bb | ~dd); wordIndex = (7 &* step) & 15
                }
                let sum = mixed &+ aa &+ constants[step] &+ message[wordIndex]
                aa = dd
                dd = cc
                cc = bb
                bb = bb &+ rotateLeft(sum, Self.shifts[(step >> 4) << 2 | step & 3])
            }
        }
        a &+= aa; b &+= bb; c &+= cc; d &+= dd
    }

    func digest() -> [UInt8] {
        [a, b, c, d].flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * UInt32($0))) } }
    }
}
