import BPFGuardCore
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
    /// One field's recent values: a small two-way set-associative table indexed by a digest
    /// of the raw bytes.
    struct Field {
        private var entries = [Entry](repeating: Entry(), count: 2 * RepeatedFieldValues.setsPerField)
        /// Per set, the way used last (the other one is replaced on a miss).
        private var lastUsed = [UInt8](repeating: 0, count: RepeatedFieldValues.setsPerField)

        private struct Entry {
            var raw: [UInt8] = []
            var value: [UInt8]?
            var filled = false
        }

        /// Whether entry `index` holds `bytes` (read in place: no copy of the entry).
        private func holds(_ index: Int, _ bytes: UnsafeBufferPointer<UInt8>, at base: UnsafePointer<UInt8>) -> Bool {
            entries[index].filled && entries[index].raw.count == bytes.count
                && entries[index].raw.withUnsafeBufferPointer { memcmp($0.baseAddress!, base, bytes.count) == 0 }
        }

        /// `decode(bytes)`, or the value it gave for the same bytes before.
        mutating func value(of bytes: UnsafeBufferPointer<UInt8>, decode: (UnsafeBufferPointer<UInt8>) -> [UInt8]?) -> [UInt8]? {
            guard !bytes.isEmpty, bytes.count <= RepeatedFieldValues.longestRawValue, let base = bytes.baseAddress else {
                return decode(bytes)
            }
            let set = Self.digest(of: bytes) & (RepeatedFieldValues.setsPerField - 1)
            for way in 0..<2 where holds(2 * set + way, bytes, at: base) {
                lastUsed[set] = UInt8(way)
                return entries[2 * set + way].value
            }
            let way = 1 - Int(lastUsed[set])
            let index = 2 * set + way
            let value = decode(bytes)
            entries[index].raw.removeAll(keepingCapacity: true)
            entries[index].raw.append(contentsOf: bytes)
            entries[index].value = value
            entries[index].filled = true
            lastUsed[set] = UInt8(way)
            return value
        }

        /// A digest of every byte, eight at a time (values of one field often differ in a
        /// few bytes in their middle: command lines).
        private static func digest(of bytes: UnsafeBufferPointer<UInt8>) -> Int {
            let raw = UnsafeRawBufferPointer(bytes)
            var digest = UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9_7F4A_7C15
            var offset = 0
            while offset + 8 <= raw.count {
                digest = (digest ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x100_0000_01B3
                offset += 8
            }
            while offset < raw.count {
                digest = (digest ^ UInt64(raw[offset])) &* 0x100_0000_01B3
                offset += 1
            }
            return Int(truncatingIfNeeded: digest ^ (digest >> 29) ^ (digest >> 47))
        }
    }

    /// Sets per field (a power of two), of two entries each.
    static let setsPerField = 32
    /// Raw values longer than this are not kept (a PROCTITLE is at most 256 hex digits):
    /// at most 6 × 64 × 320 bytes of raw values, and their decoded forms, are kept.
    static let longestRawValue = 320

    var tty = Field(), comm = Field(), exe = Field(), key = Field(), syscall = Field(), commandLine = Field()

    /// Recent loaders' string objects, by their `exe` and command line, and recent events'
    /// whole contexts (numbers and strings): in sets of two, the last found first. (One entry
    /// per slot let loaders that met in a slot push each other out: on a stream of twenty
    /// loaders a quarter of the events made their strings and contexts anew.)
    private var strings = [ProcessStrings?](repeating: nil, count: 2 * RepeatedFieldValues.recentSets)
    private var contexts = [ProcessContext?](repeating: nil, count: 2 * RepeatedFieldValues.recentSets)
    static let recentSets = 64

    /// The loader context of an event: the SYSCALL record's fields and the command line, the
    /// strings in the object of a recent event when every one is the very array it had (the
    /// fields above hand them out), and the whole context of a recent event of the same
    /// process when its numbers repeat too.
    mutating func context(_ syscall: SyscallFields, commandLine: [UInt8]?) -> ProcessContext {
        let shared = sharedStrings(syscall, commandLine: commandLine)
        let first = 2 &* Self.set(of: UInt64(UInt(syscall.pid ?? 0) &* 31 &+ UInt(syscall.ppid ?? 0) &* 7 &+ UInt(syscall.uid ?? 0))
            ^ UInt64(UInt(bitPattern: ObjectIdentifier(shared)) >> 4))
        for way in 0..<2 {
            if let recent = contexts[first &+ way], recent.strings === shared, recent.uid == syscall.uid, recent.auid == syscall.auid,
               recent.euid == syscall.euid, recent.gid == syscall.gid, recent.pid == syscall.pid, recent.ppid == syscall.ppid,
               recent.ses == syscall.ses {
                if way == 1 { contexts.swapAt(first, first &+ 1) }
                return recent
            }
        }
        let context = ProcessContext(uid: syscall.uid, auid: syscall.auid, euid: syscall.euid, gid: syscall.gid, pid: syscall.pid,
                                     ppid: syscall.ppid, ses: syscall.ses, strings: shared)
        contexts[first &+ 1] = contexts[first]
        contexts[first] = context
        return context
    }

    /// The strings object of a recent event whose strings are the very arrays of these, or a new one.
    private mutating func sharedStrings(_ syscall: SyscallFields, commandLine: [UInt8]?) -> ProcessStrings {
        let first = 2 &* Self.set(of: UInt64(Self.address(syscall.exe) >> 4) &+ UInt64(Self.address(commandLine) >> 4) &* 31)
        for way in 0..<2 {
            if let recent = strings[first &+ way], Self.same(recent.tty, syscall.tty), Self.same(recent.comm, syscall.comm),
               Self.same(recent.exe, syscall.exe), Self.same(recent.key, syscall.key), Self.same(recent.syscall, syscall.syscall),
               Self.same(recent.cmdline, commandLine) {
                if way == 1 { strings.swapAt(first, first &+ 1) }
                return recent
            }
        }
        let shared = ProcessStrings(tty: syscall.tty, comm: syscall.comm, exe: syscall.exe, key: syscall.key, syscall: syscall.syscall,
                                    cmdline: commandLine)
        strings[first &+ 1] = strings[first]
        strings[first] = shared
        return shared
    }

    /// A set of `recentSets` for a key (the high bits of a multiplicative hash).
    private static func set(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & (recentSets - 1)
    }

    /// Both absent, or one storage (and so the same bytes).
    private static func same(_ a: [UInt8]?, _ b: [UInt8]?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (let a?, let b?): a.count == b.count && address(a) == address(b)
        default: false
        }
    }

    private static func address(_ bytes: [UInt8]?) -> UInt {
        bytes?.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } ?? 0
    }
}

/// The fields of a SYSCALL record the plugin keeps, as decoded, before they join the command
/// line in a `ProcessContext` (plain values: nothing to count while they are gathered).
struct SyscallFields {
    var uid: UInt32?, auid: UInt32?, euid: UInt32?, gid: UInt32?, pid: UInt32?, ppid: UInt32?, ses: UInt32?
    var tty: [UInt8]?
    var comm: [UInt8]?
    var exe: [UInt8]?
    var key: [UInt8]?
    var syscall: [UInt8]?
}
