/// A BPF event's SYSCALL record cut down, before libauparse parses it, to the fields the
/// extractor reads, with libauparse's view of them unchanged.
///
/// Why: libauparse splits every field of every record it is fed into a name/value list, and
/// parses the ENRICHED part (after 0x1D) into a second list, whether or not anyone asks for
/// them. A SYSCALL record has some 26 fields and 10 interpretations; the plugin reads 11 of
/// them (`uid auid euid gid pid ppid ses tty comm exe key`) and the interpreted `syscall`. On a
/// stream where every event is a BPF load, parsing the rest was a quarter of libauparse's
/// work (issue 10, section 3).
///
/// What libauparse would see of the kept fields is exactly what it sees of the whole record:
/// - the header and the first six counted fields (`arch syscall success exit a0 a1` in a
///   kernel record) are kept byte for byte: libauparse reads the machine, the syscall number and
///   `a0`/`a1` (which interpret `socketcall` and `ipc`) by their *positions* among the counted
///   fields, and those positions do not move;
/// - after them, a field is kept whole, in order, when its name (libauparse drops one leading
///   `(`) is one of the eleven; other fields go, and so do words without `=` or with an empty
///   value, which libauparse skips in a SYSCALL record anyway;
/// - of the ENRICHED part only the word libauparse interprets `syscall` by is kept (the first
///   named `syscall` in any case; none in a socket address's `SADDR=` part): libauparse takes
///   an interpretation from the record when it has one, and from its own tables otherwise.
/// A record this cannot vouch for is kept whole: a NUL byte (libauparse's strings end there),
/// a `msg=` word in the body (libauparse reads those in two ways), fewer than six counted
/// fields, or an `arch` or `syscall` after them (libauparse also reads the machine and the
/// syscall at the positions of a seccomp record's fields).
///
/// `--no-prefilter` feeds every record whole: it is the reference the pre-filter is compared
/// with (tests, the fuzz target's second run, the benchmark).
public enum SyscallRecordTrimming {
    /// Appends `line` (without its newline) and a newline to `out`: trimmed as described above
    /// when it can be, else whole. `bodyStart` is the header's end (`AuditRecordHeader.bodyStart`).
    public static func append(_ line: UnsafeBufferPointer<UInt8>, bodyStart: Int, to out: inout [UInt8]) {
        let mark = out.count
        out.append(contentsOf: line)
        let length = out.withUnsafeMutableBufferPointer { buffer in
            trimmedLength(buffer.baseAddress! + mark, count: line.count, bodyStart: bodyStart)
        }
        if let length {
            out.removeSubrange((mark &+ length)...)
        } else {
            // Kept whole (its bytes may have been moved before the reason showed).
            out.removeSubrange(mark...)
            out.append(contentsOf: line)
        }
        out.append(UInt8(ascii: "\n"))
    }

    /// Counted fields kept in place at the start of the body.
    static let fieldsKeptInPlace = 6

    /// Trims the record at `record` in place (kept words move towards its start) and returns
    /// its new length, or nil when it must be kept whole. Read through a raw pointer, with
    /// unchecked index arithmetic (indices stay below `count`): it runs on every BPF event's
    /// SYSCALL record.
    private static func trimmedLength(_ record: UnsafeMutablePointer<UInt8>, count: Int, bodyStart: Int) -> Int? {
        guard bodyStart <= count else { return nil }
        let line = UnsafeBufferPointer(start: record, count: count)
        let space = UInt8(ascii: " "), equalsSign = UInt8(ascii: "="), enriched: UInt8 = 0x1D
        // The body's words end at its ENRICHED part (the first 0x1D), found on the way.
        var end = count
        var counted = 0
        var position = bodyStart
        var written = 0
        // Kept words separated by single spaces are moved together (a kernel record keeps
        // `ppid` to `euid`, then `tty` to `exe`, in runs): `run` is the span not yet moved.
        var run = 0..<0
        words: while position < count {
            // One word: up to the next space (runs of spaces separate nothing), its name up to
            // its first `=`. A NUL anywhere keeps the record whole.
            let first = record[position]
            if first == space {
                position &+= 1
                continue
            }
            if first == enriched {
                end = position
                break
            }
            let start = position
            if counted >= fieldsKeptInPlace, start &+ 8 <= count {
                // After the sixth field only kept names matter, and none is longer than seven
                // bytes: the name's end is looked for in the word's first eight bytes at once.
                let window = UInt64(littleEndian: UnsafeRawPointer(record + start).loadUnaligned(as: UInt64.self))
                guard let mark = ByteSearch.firstMarkedByte(in: window, equalsSign, space, 0, enriched) else {
                    // A longer name: dropped whatever follows; only a NUL in it matters.
                    position = ByteSearch.firstIndex(ofAny: space, space, 0, enriched, in: line, from: start &+ 8) ?? count
                    if position < count, record[position] == 0 { return nil }
                    continue
                }
                position = start &+ mark
            } else {
                position = ByteSearch.firstIndex(ofAny: equalsSign, space, 0, enriched, in: line, from: start) ?? count
            }
            // A word without `=` (libauparse skips it), unless a NUL is in it.
            guard position < count else { break }
            switch record[position] {
            case 0: return nil
            case equalsSign: break
            default: continue  // a space or the ENRICHED part
            }
            let equals = position
            position = ByteSearch.firstIndex(ofAny: space, space, 0, enriched, in: line, from: equals &+ 1) ?? count
            let last = position < count && record[position] == enriched
            if position < count, record[position] == 0 { return nil }
            if equals == start &+ 3, record[start] == UInt8(ascii: "m"), record[start &+ 1] == UInt8(ascii: "s"),
               record[start &+ 2] == UInt8(ascii: "g") {
                return nil  // `msg=`
            }
            defer { if last { end = position } }
            // A field libauparse counts: a `=` and a value after it.
            guard equals &+ 1 < position else {
                if last { break words }
                continue
            }
            counted &+= 1
            if counted <= fieldsKeptInPlace {
                if counted == fieldsKeptInPlace { written = position }
                if last { break words }
                continue
            }
            let nameStart = record[start] == UInt8(ascii: "(") ? start &+ 1 : start
            switch keptField(record + nameStart, count: equals &- nameStart, readable: count &- nameStart) {
            case 1:
                if !run.isEmpty, run.upperBound &+ 1 == start {
                    run = run.lowerBound..<position
                } else {
                    written = move(run, in: record, to: written)
                    run = start..<position
                }
            case 2:
                return nil
            default:
                break
            }
            if last { break words }
        }
        guard counted >= fieldsKeptInPlace else { return nil }
        written = move(run, in: record, to: written)
        if end < count, let token = syscallInterpretation(record, from: end &+ 1, to: count) {
            record[written] = 0x1D
            (record + (written &+ 1)).update(from: record + token.lowerBound, count: token.count)
            written &+= 1 &+ token.count
        }
        return written
    }

    /// Moves the kept words `run` (if any) to `written`, after a space; returns the new end of
    /// what is written. The words only ever move towards the start (`written` is before them).
    @inline(__always)
    private static func move(_ run: Range<Int>, in record: UnsafeMutablePointer<UInt8>, to written: Int) -> Int {
        guard !run.isEmpty else { return written }
        record[written] = UInt8(ascii: " ")
        (record + (written &+ 1)).update(from: record + run.lowerBound, count: run.count)
        return written &+ 1 &+ run.count
    }

    /// The word of the ENRICHED part that libauparse interprets `syscall` by: the first whose
    /// name is `syscall` in any case (libauparse lowercases the names), unless the part is a
    /// socket address (`SADDR=…`, read apart). Up to a NUL, where libauparse's string ends.
    private static func syscallInterpretation(_ record: UnsafeMutablePointer<UInt8>, from start: Int, to count: Int) -> Range<Int>? {
        // Read only as far as the word (it is near the start), stopping at a NUL.
        if count &- start >= 6, ByteSearch.matches("SADDR=", in: UnsafeBufferPointer(start: record, count: count), at: start) { return nil }
        var position = start
        while position < count, record[position] != 0 {
            if record[position] == UInt8(ascii: " ") {
                position &+= 1
                continue
            }
            let word = position
            while position < count, record[position] != UInt8(ascii: " "), record[position] != 0 { position &+= 1 }
            if position &- word > 7, record[word &+ 7] == UInt8(ascii: "="), isSyscallName(record + word) { return word..<position }
        }
        return nil
    }

    /// `syscall` in any case (ASCII: the plugin runs in the C locale).
    private static func isSyscallName(_ name: UnsafeMutablePointer<UInt8>) -> Bool {
        let expected: StaticString = "syscall"
        for index in 0..<7 where name[index] | 0x20 != expected.utf8Start[index] { return false }
        return true
    }

    /// What becomes of a field after the first six, by its name: 1, read by the extractor
    /// (kept); 2, `arch` or `syscall`, which libauparse may read by position (the record is
    /// kept whole); 0, dropped. `readable`: how many bytes from `name` may be read (eight at
    /// once when there are).
    @inline(__always)
    private static func keptField(_ name: UnsafePointer<UInt8>, count: Int, readable: Int) -> UInt8 {
        guard count >= 3, count <= 7 else { return 0 }
        var word: UInt64 = 0
        if readable >= 8 {
            let window = UInt64(littleEndian: UnsafeRawPointer(name).loadUnaligned(as: UInt64.self))
            word = window & ((1 &<< UInt64(8 &* count)) &- 1)
        } else {
            var index = 0
            while index < count {
                word |= UInt64(name[index]) << UInt64(8 &* index)
                index &+= 1
            }
        }
        switch (count, word) {
        case (3, 0x64_6975), (3, 0x64_6967), (3, 0x64_6970), (3, 0x73_6573), (3, 0x79_7474), (3, 0x65_7865), (3, 0x79_656B):
            return 1  // uid gid pid ses tty exe key
        case (4, 0x6469_7561), (4, 0x6469_7565), (4, 0x6469_7070), (4, 0x6D6D_6F63):
            return 1  // auid euid ppid comm
        case (4, 0x6863_7261), (7, 0x6C_6C61_6373_7973):
            return 2  // arch syscall
        default:
            return 0
        }
    }
}
