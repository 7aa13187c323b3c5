/// Which packages list a path: a compact index of every path in a package database, for
/// the one question asked of it — who owns this executable — asked once per executable.
///
/// Each path costs 8 bytes: a 44-bit hash of the path (Swift's `Hasher`, seeded at random
/// for each process, so that nobody can choose a path that collides with another) and a
/// 20-bit package number, in one sorted array. A hit is a candidate only: the caller
/// confirms it in that package's own file list, so a collision costs a read, never a
/// wrong answer. About 1 MB for 120,000 paths (744 Debian packages).
public struct PackagePathIndex: Sendable {
    public private(set) var packageNames: [String] = []
    private var entries: [UInt64] = []
    private var sorted = true

    static let packageBits: UInt64 = 20
    public static let maximumPackages = 1 << 20

    public init() {}

    /// Paths indexed (a path listed by two packages counts twice).
    public var count: Int { entries.count }

    /// Heap bytes of the index, for the benchmark (names at their UTF-8 length).
    public var approximateBytes: Int {
        entries.capacity * 8 + packageNames.reduce(0) { $0 + 16 + max(0, $1.utf8.count - 15) }
    }

    /// Adds a package and its paths. Packages beyond `maximumPackages` are ignored.
    public mutating func add(package: String, paths: some Sequence<ArraySlice<UInt8>>) {
        guard packageNames.count < Self.maximumPackages else { return }
        let number = UInt64(packageNames.count)
        packageNames.append(package)
        for path in paths { entries.append(Self.key(path) | number) }
        sorted = false
    }

    /// Sorts the index; call once after the last `add`.
    public mutating func finish() {
        entries.sort()
        entries.shrinkToFit()
        sorted = true
    }

    /// The packages that may list `path` (to be confirmed in their own lists), in the order
    /// they were added.
    public func candidates(for path: [UInt8]) -> [String] {
        precondition(sorted, "PackagePathIndex.finish() was not called")
        let key = Self.key(path[...])
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle] < key { low = middle + 1 } else { high = middle }
        }
        var numbers: [Int] = []
        let mask: UInt64 = (1 << Self.packageBits) - 1
        while low < entries.count, entries[low] & ~mask == key {
            numbers.append(Int(entries[low] & mask))
            low += 1
        }
        return numbers.sorted().map { packageNames[$0] }
    }

    private static func key(_ path: ArraySlice<UInt8>) -> UInt64 {
        var hasher = Hasher()
        path.withUnsafeBytes { hasher.combine(bytes: $0) }
        return UInt64(bitPattern: Int64(hasher.finalize())) & ~((1 << packageBits) - 1)
    }
}

extension Array {
    /// Drops spare capacity (a sorted index is built once and kept).
    mutating func shrinkToFit() {
        guard capacity > count else { return }
        self = withUnsafeBufferPointer { Array($0) }
    }
}
