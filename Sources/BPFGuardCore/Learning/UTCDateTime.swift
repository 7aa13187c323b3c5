/// A date and time in UTC, computed from seconds since the epoch.
///
/// Learning mode counts the days on which a loader was seen and prints when it was first
/// and last seen from the audit records' own timestamps, never from the clock: the same
/// logs give the same policy wherever and whenever it is generated.
public struct UTCDateTime: Hashable, Sendable, CustomStringConvertible {
    public var year: Int64
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(secondsSinceEpoch seconds: UInt64) {
        let days = Int64(seconds / 86_400)
        let secondOfDay = Int(seconds % 86_400)
        // Days to a proleptic Gregorian date, by 400-year eras that start on 1 March (so that
        // the leap day is the last day of an era's year).
        let shifted = days + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
    }

    /// The UTC day a timestamp falls on, as days since 1970-01-01.
    public static func dayNumber(secondsSinceEpoch seconds: UInt64) -> UInt64 {
        seconds / 86_400
    }

    /// `YYYY-MM-DD`.
    public var dateText: String {
        "\(Self.padded(year, 4))-\(Self.padded(Int64(month), 2))-\(Self.padded(Int64(day), 2))"
    }

    /// ISO 8601: `YYYY-MM-DDTHH:MM:SSZ`.
    public var description: String {
        "\(dateText)T\(Self.padded(Int64(hour), 2)):\(Self.padded(Int64(minute), 2)):\(Self.padded(Int64(second), 2))Z"
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
