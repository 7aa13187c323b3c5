/// How one input of the `input-path` target is run, read from its first four bytes; the
/// rest is the audit stream. Byte 0 holds the switches, bytes 1–3 say where in the
/// stream the tape (`InputTape`) starts that cuts it into chunks, steps the fake clock and
/// makes up the kernel's answers.
///
/// Seeds and regression inputs carry such a header (`Fuzz/seeds.sh` writes every regression
/// file once per combination of switches).
struct InputPathMode: CustomStringConvertible {
    static let headerLength = 4

    /// Plugin mode: events are released as they complete, events without EOE complete by a
    /// monotonic clock (here a fake one, advanced between chunks). Otherwise `--replay`.
    var live: Bool
    /// The byte-level pre-filter in front of libauparse (off: `--no-prefilter`).
    var prefilter: Bool
    /// Kernel lookups: every local LOAD gets a program description and, without SYSCALL
    /// context, maybe a loader recovered from /proc — invented from the input.
    var lookups: Bool
    /// Where the tape starts reading the stream for its choices.
    var seed: UInt64

    init?(_ data: UnsafeBufferPointer<UInt8>) {
        guard data.count >= Self.headerLength else { return nil }
        live = data[0] & 1 != 0
        prefilter = data[0] & 2 == 0
        lookups = data[0] & 4 != 0
        seed = UInt64(data[1]) | UInt64(data[2]) << 8 | UInt64(data[3]) << 16
    }

    var description: String {
        "\(live ? "live" : "replay"), \(prefilter ? "pre-filter" : "no pre-filter"), \(lookups ? "lookups" : "no lookups"), seed \(seed)"
    }
}
