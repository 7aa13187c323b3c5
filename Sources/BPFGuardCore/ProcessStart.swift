/// What `/proc/PID/stat` says about whether a process is still the loader a LOAD recorded:
/// its state (a zombie has exited, though its pid is not free yet) and when it started. A pid
/// is reused by later processes, so a process that started after the program was loaded is
/// another one: the loader has exited.
public struct ProcessStart: Hashable, Sendable {
    /// The state letter (`R`, `S`, `D`, `Z`, `X`, …).
    public var state: UInt8
    /// Clock ticks after boot when the process started (field 22, `starttime`).
    public var startTicks: UInt64

    public init(state: UInt8, startTicks: UInt64) {
        self.state = state
        self.startTicks = startTicks
    }

    /// Parses `/proc/PID/stat`: `PID (COMM) STATE PPID …`. The command name may hold any
    /// byte, `)` and blanks included, so the fields are counted from the last `)`. Nil when
    /// the text does not have that shape.
    public init?(stat: [UInt8]) {
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = stat[(close + 1)...].split(whereSeparator: { $0 == 0x20 || $0 == 0x0A })
        // After the command: state is field 3, starttime field 22.
        guard fields.count >= 20, fields[0].count == 1, let state = fields[0].first,
              let start = Self.decimal(fields[19]) else { return nil }
        self.state = state
        startTicks = start
    }

    /// Whether the process that loaded a program at `loadTime` (boot-clock nanoseconds) has
    /// exited, given what now has its pid: nothing (`process` nil), a zombie, or a process
    /// that started after the load. `ticksPerSecond` is the kernel's `USER_HZ`. A process
    /// started in the same tick as the load counts as the loader (ticks are coarse): a pid
    /// reused within one tick of the load goes unnoticed, never the other way round.
    public static func loaderHasExited(_ process: ProcessStart?, loadTime: UInt64, ticksPerSecond: UInt64) -> Bool {
        guard let process else { return true }
        if process.state == UInt8(ascii: "Z") || process.state == UInt8(ascii: "X") || process.state == UInt8(ascii: "x") { return true }
        guard ticksPerSecond > 0 else { return false }
        let (whole, overflow) = process.startTicks.multipliedReportingOverflow(by: 1_000_000_000 / ticksPerSecond)
        return overflow || whole > loadTime
    }

    /// A decimal number of up to 64 bits, all digits; nil otherwise.
    private static func decimal(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}
