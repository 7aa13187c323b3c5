/// Event times as ISO 8601 in UTC with milliseconds (`2026-11-29T09:08:41.831Z`), the form
/// ECS's `@timestamp` takes, computed without Foundation: audit times are UTC seconds since
/// the epoch, and the proleptic Gregorian calendar turns days into dates by arithmetic.
enum UTCTimestampText {
    static func iso8601(milliseconds: UInt64) -> String {
        let days = milliseconds / 86_400_000
        let dayMilliseconds = milliseconds % 86_400_000
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let hour = dayMilliseconds / 3_600_000
        let minute = dayMilliseconds / 60_000 % 60
        let second = dayMilliseconds / 1000 % 60
        let millisecond = dayMilliseconds % 1000
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))T\(padded(hour, 2)):\(padded(minute, 2)):\(padded(second, 2)).\(padded(millisecond, 3))Z"
    }

    /// Year, month (1–12) and day (1–31) of a day counted from 1970-01-01.
    ///
    /// Days are counted from 0000-03-01 instead, so that the leap day is the last day of a
    /// year; 400-year eras then all have 146097 days, and within an era the year, and within
    /// a year the month (March first, five-month cycles of 153 days), follow by division.
    static func civilDate(daysSinceEpoch: UInt64) -> (year: UInt64, month: UInt64, day: UInt64) {
        let shifted = daysSinceEpoch + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = shifted / 146_097
        let dayOfEra = shifted % 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchBasedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * marchBasedMonth + 2) / 5 + 1
        let month = marchBasedMonth < 10 ? marchBasedMonth + 3 : marchBasedMonth - 9
        let year = era * 400 + yearOfEra + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func padded(_ value: UInt64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
