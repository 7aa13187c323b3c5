import Glibc

/// The name of an entry readdir(3) returned, read in place.
///
/// `entry.pointee.d_name` copies the whole `struct dirent` (280 bytes), but entries are
/// packed by their `d_reclen`: the last entry of readdir's buffer can end closer than that
/// to the end of the allocation, and the copy then reads past it. (Seen as a SIGSEGV in
/// loader recovery on a /proc/PID/fd with 19,000 entries.) Only the entry's own
/// `d_reclen` bytes are read here.
enum DirectoryEntryName {
    private static let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
    private static let recordLengthOffset = MemoryLayout<dirent>.offset(of: \dirent.d_reclen)!

    /// The name's bytes (without its NUL), valid until the next readdir on the stream.
    static func bytes(_ entry: UnsafeMutablePointer<dirent>) -> UnsafeRawBufferPointer {
        let base = UnsafeRawPointer(entry)
        let recordLength = Int(base.loadUnaligned(fromByteOffset: recordLengthOffset, as: UInt16.self))
        let name = base + nameOffset
        let length = strnlen(name.assumingMemoryBound(to: CChar.self), max(0, recordLength - nameOffset))
        return UnsafeRawBufferPointer(start: name, count: length)
    }

    /// The NUL-terminated name in place, for *at(2) calls.
    static func cString(_ entry: UnsafeMutablePointer<dirent>) -> UnsafePointer<CChar> {
        (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self)
    }

    static func string(_ entry: UnsafeMutablePointer<dirent>) -> String {
        String(decoding: bytes(entry), as: UTF8.self)
    }
}
