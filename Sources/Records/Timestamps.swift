/// Civil time formatting without Foundation, for columns an analyst reads with sqlite3.
public enum Timestamps {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` for Unix milliseconds (UTC).
    public static func iso8601(milliseconds: UInt64) -> String {
        let totalSeconds = Int64(milliseconds / 1000)
        let millis = Int(milliseconds % 1000)
        let days = totalSeconds / 86_400
        let secondsOfDay = Int(totalSeconds % 86_400)
        // Howard Hinnant's civil_from_days.
        let shifted = days + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return "\(pad(Int(year), 4))-\(pad(Int(month), 2))-\(pad(Int(day), 2))T"
            + "\(pad(secondsOfDay / 3600, 2)):\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2)).\(pad(millis, 3))Z"
    }

    /// Unix milliseconds of a date (`YYYY-MM-DD`, midnight UTC) or a timestamp in the form
    /// `FieldFormat.timestamp` accepts; nil for anything else or a time before 1970.
    public static func milliseconds(fromISO8601 text: String) -> UInt64? {
        if FieldFormat.isDate(Substring(text)) {
            return milliseconds(date: Substring(text), secondsOfDay: 0, fraction: 0, offsetMinutes: 0)
        }
        guard FieldFormat.isTimestamp(text), let t = text.firstIndex(of: "T") else { return nil }
        var time = text[text.index(after: t)...]
        var offsetMinutes = 0
        if time.hasSuffix("Z") {
            time = time.dropLast()
        } else {
            let offset = time.suffix(6)
            let sign = offset.first == "-" ? -1 : 1
            let parts = offset.dropFirst().split(separator: ":").compactMap { Int($0) }
            offsetMinutes = sign * (parts[0] * 60 + parts[1])
            time = time.dropLast(6)
        }
        var fraction = 0
        if let dot = time.firstIndex(of: ".") {
            let digits = time[time.index(after: dot)...].prefix(3)
            fraction = (Int(digits) ?? 0) * [100, 10, 1][digits.count - 1]
            time = time[..<dot]
        }
        let clock = time.split(separator: ":").compactMap { Int($0) }
        let seconds = clock[0] * 3600 + clock[1] * 60 + (clock.count > 2 ? clock[2] : 0)
        return milliseconds(date: text[..<t], secondsOfDay: seconds, fraction: fraction, offsetMinutes: offsetMinutes)
    }

    private static func milliseconds(date: Substring, secondsOfDay: Int, fraction: Int, offsetMinutes: Int) -> UInt64? {
        let parts = date.split(separator: "-").compactMap { Int64($0) }
        // Howard Hinnant's days_from_civil.
        let year = parts[1] <= 2 ? parts[0] - 1 : parts[0]
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let monthIndex = parts[1] > 2 ? parts[1] - 3 : parts[1] + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + parts[2] - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let total = (days * 86_400 + Int64(secondsOfDay) - Int64(offsetMinutes) * 60) * 1000 + Int64(fraction)
        return total < 0 ? nil : UInt64(total)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
