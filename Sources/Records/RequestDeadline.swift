import Foundation

/// The time limits of Directive (EU) 2023/977 for answering an information request, counted
/// from its receipt at the requested centre.
public enum RequestDeadline {
    /// When a request of `urgency` received at `receivedAt` (Unix milliseconds) is due.
    ///
    /// `urgent_direct` is 8 elapsed hours, as is `urgent` until the requested centre classifies
    /// it (``RequestThread``). `urgent_indirect` and `standard` are 3 and 7
    /// calendar days in the requested centre's time zone: the same wall-clock time that many
    /// days later, so a daylight-saving change makes the span an hour shorter or longer.
    /// Nil for an urgency the directive does not know.
    public static func due(urgency: String, receivedAt: UInt64, timeZone: TimeZone) -> UInt64? {
        switch urgency {
        case "urgent_direct", "urgent":
            return receivedAt + 8 * 3_600_000
        case "urgent_indirect":
            return adding(days: 3, to: receivedAt, in: timeZone)
        case "standard":
            return adding(days: 7, to: receivedAt, in: timeZone)
        default:
            return nil
        }
    }

    private static func adding(days: Int, to milliseconds: UInt64, in timeZone: TimeZone) -> UInt64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        // A wall-clock time skipped by a spring-forward change resolves to the next valid time.
        guard let end = calendar.date(byAdding: .day, value: days, to: start) else {
            return milliseconds + UInt64(days) * 86_400_000
        }
        return UInt64((end.timeIntervalSince1970 * 1000).rounded())
    }
}
