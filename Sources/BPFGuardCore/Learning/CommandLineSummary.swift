/// The command lines (`cmdline`, from the PROCTITLE record) of a loader's loads, in bounded
/// space and independent of the order of the logs, and the `cmdline` values learning mode
/// suggests from them to narrow a generic loader's rule (`GenericLoaderSuggestion`).
///
/// A command line is what the loader says about itself: the process can rewrite it, and the
/// kernel keeps only its first 128 bytes (`ProcessTitle`). A rule that tests it narrows what
/// a generic loader is allowed to do; it never makes a loader trustworthy.
public struct CommandLineSummary: Hashable, Sendable {
    /// Distinct command lines suggested as exact values, at most.
    public static let exactLimit = 3
    /// Whole arguments a glob must keep before its `*`: the program and at least one more
    /// (a subcommand, a script), or the glob would allow whatever the program runs.
    public static let minimumGlobArguments = 2

    /// A command line's bytes, ordered byte by byte (a command line sorts before the longer
    /// ones it begins).
    public struct Text: Hashable, Comparable, Sendable {
        public var bytes: [UInt8]

        public static func < (lhs: Text, rhs: Text) -> Bool {
            lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
        }
    }

    /// The smallest distinct command lines; `overflowed` when there were more.
    public private(set) var values = SmallestValues<Text>(limit: exactLimit)
    /// The arguments (split at blanks) every command line begins with; nil before the first.
    public private(set) var commonArguments: [[UInt8]]?
    /// Loads that came without a command line (no PROCTITLE record).
    public private(set) var missing: UInt64 = 0

    public init() {}

    public mutating func add(_ cmdline: [UInt8]?) {
        guard let cmdline else {
            missing &+= 1
            return
        }
        values.insert(Text(bytes: cmdline))
        commonArguments = Self.commonPrefix(commonArguments, Self.arguments(cmdline))
    }

    public mutating func merge(_ other: CommandLineSummary) {
        values.merge(other.values)
        if let arguments = other.commonArguments { commonArguments = Self.commonPrefix(commonArguments, arguments) }
        missing &+= other.missing
    }

    /// The `cmdline` patterns a narrower rule may use, one rule each; empty when none narrows:
    /// - at most `exactLimit` distinct command lines: each one, exactly;
    /// - more, all beginning with the same `minimumGlobArguments` or more whole arguments:
    ///   those arguments, a blank and `*` — and the arguments alone when a load had no more
    ///   (that command line begins all the others, so it is the smallest value);
    /// - otherwise none.
    public var suggestedPatterns: [[Glob.Element]] {
        guard !values.overflowed else {
            guard let common = commonArguments, common.count >= Self.minimumGlobArguments else { return [] }
            let prefix = Array(common.joined(separator: [UInt8(ascii: " ")]))
            var patterns: [[Glob.Element]] = []
            if values.values.first?.bytes == prefix { patterns.append(prefix.map { .byte($0) }) }
            patterns.append(prefix.map { .byte($0) } + [.byte(UInt8(ascii: " ")), .star])
            return patterns
        }
        return values.values.map { $0.bytes.map { .byte($0) } }
    }

    /// A command line's arguments as the `cmdline` field holds them: split at blanks.
    static func arguments(_ cmdline: [UInt8]) -> [[UInt8]] {
        cmdline.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false).map(Array.init)
    }

    /// The arguments `first` (nil: none yet) and `second` both begin with.
    static func commonPrefix(_ first: [[UInt8]]?, _ second: [[UInt8]]) -> [[UInt8]] {
        guard let first else { return second }
        var count = 0
        while count < first.count, count < second.count, first[count] == second[count] { count += 1 }
        return Array(first.prefix(count))
    }
}
