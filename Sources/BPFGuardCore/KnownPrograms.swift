/// The programs a run of the plugin accounted for, kept in a small state file (written
/// within a second of a change and at exit) so that the next run can tell the programs loaded while no plugin
/// was reading — unseen — from those it already knew. Load times are boot-clock times, so
/// the file names its boot (`/proc/sys/kernel/random/boot_id`).
///
/// The text, one item per line:
///
///     audisp-bpfguard known programs 1
///     boot_id = 8e0b7c1a-5b0e-4c55-9a3e-2f0d6f1f3a10
///     written = BOOT-NANOSECONDS
///     programs = N
///     PROG-ID LOAD-TIME            (N lines, by id; "-" for a load time the lookup lacked)
///     end
///
/// Anything else — another first line, a count that does not match, a missing `end` — is
/// a foreign or damaged file: it is reported and ignored, never half-read.
public struct KnownPrograms: Hashable, Sendable {
    public struct Program: Hashable, Sendable {
        public var programID: UInt32
        /// Boot-clock nanoseconds; nil when the kernel lookup did not give it.
        public var loadTime: UInt64?

        public init(programID: UInt32, loadTime: UInt64?) {
            self.programID = programID
            self.loadTime = loadTime
        }
    }

    public var bootID: String
    /// Boot-clock nanoseconds when it was written.
    public var written: UInt64
    public var programs: [Program]

    public init(bootID: String, written: UInt64, programs: [Program]) {
        self.bootID = bootID
        self.written = written
        self.programs = programs
    }

    /// Programs a file holds at most (a host with more has the rest reported unseen by the
    /// next run): the file stays under `maximumBytes`.
    public static let maximumPrograms = 1 << 20
    /// The largest file read: the longest lines times `maximumPrograms`, with the header.
    public static let maximumBytes = maximumPrograms * 32 + 4096

    static let header = "audisp-bpfguard known programs 1"

    /// The file's text; beyond `maximumPrograms` the rest is left out (`omitted`).
    public func text() -> (text: String, omitted: Int) {
        let kept = programs.prefix(Self.maximumPrograms)
        var lines = [Self.header, "boot_id = \(bootID)", "written = \(written)", "programs = \(kept.count)"]
        lines.reserveCapacity(kept.count + 5)
        for program in kept { lines.append("\(program.programID) \(program.loadTime.map(String.init) ?? "-")") }
        lines.append("end")
        return (lines.joined(separator: "\n") + "\n", programs.count - kept.count)
    }

    /// Why a file's content is not a state file.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Reads a state file's content.
    public static func parse(_ bytes: [UInt8]) -> Result<KnownPrograms, Problem> {
        guard bytes.count <= maximumBytes else { return .failure(Problem(line: 1, message: "larger than \(maximumBytes) bytes")) }
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)[...]
        if lines.last?.isEmpty == true { lines.removeLast() }
        func text(_ number: Int) -> String? {
            let index = lines.startIndex + number - 1
            return index < lines.endIndex ? String(decoding: lines[index], as: UTF8.self) : nil
        }
        func value(_ number: Int, _ name: String) -> String? {
            guard let line = text(number), line.hasPrefix(name + " = ") else { return nil }
            return String(line.dropFirst(name.count + 3))
        }
        guard text(1) == header else {
            return .failure(Problem(line: 1, message: "not a state file of audisp-bpfguard (expected '\(header)')"))
        }
        guard let bootID = value(2, "boot_id"), isBootID(bootID) else {
            return .failure(Problem(line: 2, message: "expected 'boot_id = UUID'"))
        }
        guard let written = value(3, "written").flatMap({ UInt64($0) }) else {
            return .failure(Problem(line: 3, message: "expected 'written = NUMBER'"))
        }
        guard let count = value(4, "programs").flatMap({ Int($0) }), count >= 0, count <= maximumPrograms else {
            return .failure(Problem(line: 4, message: "expected 'programs = N' with N at most \(maximumPrograms)"))
        }
        guard lines.count == count + 5, text(count + 5) == "end" else {
            return .failure(Problem(line: min(lines.count, count + 5), message: "expected \(count) programs and then 'end' (the file is cut short or has extra lines)"))
        }
        var programs: [Program] = []
        programs.reserveCapacity(count)
        for number in 5..<(count + 5) {
            let fields = lines[lines.startIndex + number - 1].split(separator: 0x20, omittingEmptySubsequences: false)
            guard fields.count == 2, let id = UInt32(String(decoding: fields[0], as: UTF8.self)), id > 0 else {
                return .failure(Problem(line: number, message: "expected 'PROG-ID LOAD-TIME'"))
            }
            let loadText = String(decoding: fields[1], as: UTF8.self)
            let loadTime = UInt64(loadText)
            guard loadTime != nil || loadText == "-" else {
                return .failure(Problem(line: number, message: "expected a load time in nanoseconds or '-'"))
            }
            programs.append(Program(programID: id, loadTime: loadTime))
        }
        return .success(KnownPrograms(bootID: bootID, written: written, programs: programs))
    }

    /// A boot id as the kernel prints it: 36 characters, lower-case hex digits and dashes
    /// at positions 8, 13, 18 and 23.
    public static func isBootID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")) else { return false }
            }
        }
        return true
    }
}
