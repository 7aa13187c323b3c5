import Glibc

/// The decoded string values of recent events' loaders (`tty`, `comm`, `exe`, `key`, the
/// syscall's name, the command line), handed out again when an event repeats one.
///
/// Why: in a flood of BPF loads a few loaders load again and again, and each event decoded
/// the same hex or quoted values into new arrays. A repeated raw value now costs a
/// comparison, and the loader's strings keep one storage from event to event, so that later
/// stages (the program table's string pool, fold keys) find them equal by identity at once.
/// Bounded: a few small entries per field; long values are decoded every time.
struct RepeatedFieldValues {
    /// One field's recent values, in a small table indexed by a cheap digest of the raw bytes.
    struct Field {
        private var entries = [Entry](repeating: Entry(), count: RepeatedFieldValues.entriesPerField)

        private struct Entry {
            var raw: [UInt8] = []
            var value: [UInt8]?
            var filled = false
        }

        /// `decode(bytes)`, or the value it gave for the same bytes before.
        mutating func value(of bytes: UnsafeBufferPointer<UInt8>, decode: (UnsafeBufferPointer<UInt8>) -> [UInt8]?) -> [UInt8]? {
            guard bytes.count <= RepeatedFieldValues.longestRawValue, let base = bytes.baseAddress else { return decode(bytes) }
            let index = Self.index(of: bytes)
            if entries[index].filled, entries[index].raw.count == bytes.count,
               entries[index].raw.withUnsafeBufferPointer({ memcmp($0.baseAddress!, base, bytes.count) == 0 }) {
                return entries[index].value
            }
            let value = decode(bytes)
            entries[index].raw.removeAll(keepingCapacity: true)
            entries[index].raw.append(contentsOf: bytes)
            entries[index].value = value
            entries[index].filled = true
            return value
        }

        /// A digest of the length and up to 16 bytes spread over the value (FNV-1a): cheap,
        /// and values of one field that differ (paths, command lines) differ in it.
        private static func index(of bytes: UnsafeBufferPointer<UInt8>) -> Int {
            let count = bytes.count
            let step = max(1, count / 16)
            var digest: UInt32 = 2_166_136_261 ^ UInt32(truncatingIfNeeded: count)
            var position = count - 1
            while position >= 0 {
                digest = (digest ^ UInt32(bytes[position])) &* 16_777_619
                position -= step
            }
            return Int(digest >> 16) & (RepeatedFieldValues.entriesPerField - 1)
        }
    }

    /// Entries per field (a power of two).
    static let entriesPerField = 32
    /// Raw values longer than this are not kept (a PROCTITLE is at most 256 hex digits).
    static let longestRawValue = 512

    var tty = Field(), comm = Field(), exe = Field(), key = Field(), syscall = Field(), commandLine = Field()
}
