import Foundation
import Records
import SyncCore
import Testing

@Suite struct RequestDeadlineTests {
    static let belgrade = TimeZone(identifier: "Europe/Belgrade")!
    static let hour: UInt64 = 3_600_000

    static func ms(_ text: String) -> UInt64 {
        Timestamps.milliseconds(fromISO8601: text)!
    }

    @Test(arguments: [
        // No change of offset: exactly 8, 72 and 168 hours.
        ("urgent_direct", "2026-11-20T10:00:00+01:00", "2026-11-20T18:00:00+01:00"),
        ("urgent_indirect", "2026-11-20T10:00:00+01:00", "2026-11-23T10:00:00+01:00"),
        ("standard", "2026-11-20T10:00:00+01:00", "2026-11-27T10:00:00+01:00"),
        // Spring forward (29 March 2026, 02:00 → 03:00): calendar days keep the wall-clock time,
        // so three days are 71 hours; eight hours stay eight elapsed hours (wall clock shows nine).
        ("urgent_indirect", "2026-03-27T10:00:00+01:00", "2026-03-30T10:00:00+02:00"),
        ("urgent_direct", "2026-03-29T00:30:00+01:00", "2026-03-29T09:30:00+02:00"),
        // Fall back (25 October 2026, 03:00 → 02:00): seven days are 169 hours.
        ("standard", "2026-10-23T10:00:00+02:00", "2026-10-30T10:00:00+01:00"),
        // A due wall-clock time the spring change skips moves to the next valid time.
        ("urgent_indirect", "2026-03-26T02:30:00+01:00", "2026-03-29T03:30:00+02:00"),
        // One that the autumn change repeats resolves to its first occurrence.
        ("urgent_indirect", "2026-10-22T02:30:00+02:00", "2026-10-25T02:30:00+02:00"),
        // Across a year end.
        ("standard", "2026-12-28T23:59:59.999+01:00", "2027-01-04T23:59:59.999+01:00"),
    ])
    func dueTimeCountsFromReceiptInTheCentresTimeZone(_ urgency: String, _ received: String, _ due: String) {
        #expect(RequestDeadline.due(urgency: urgency, receivedAt: Self.ms(received), timeZone: Self.belgrade) == Self.ms(due))
    }

    @Test func elapsedHoursAcrossTheChangesAreWhatTheLawsCalendarMakesThem() {
        let spring = Self.ms("2026-03-27T10:00:00+01:00")
        #expect(RequestDeadline.due(urgency: "urgent_indirect", receivedAt: spring, timeZone: Self.belgrade)! - spring == 71 * Self.hour)
        let autumn = Self.ms("2026-10-23T10:00:00+02:00")
        #expect(RequestDeadline.due(urgency: "standard", receivedAt: autumn, timeZone: Self.belgrade)! - autumn == 169 * Self.hour)
        // The same dates in UTC have no change: whole days.
        let utc = TimeZone(identifier: "UTC")!
        #expect(RequestDeadline.due(urgency: "urgent_indirect", receivedAt: spring, timeZone: utc)! - spring == 72 * Self.hour)
    }

    @Test func anUnknownUrgencyHasNoDeadline() {
        #expect(RequestDeadline.due(urgency: "asap", receivedAt: 0, timeZone: Self.belgrade) == nil)
    }

    @Test func overdueStartsOneMillisecondAfterTheDueTimeAndEndsWithTheAnswer() {
        let due = Self.ms("2026-11-20T18:00:00Z")
        func overdue(_ status: String, dueAt: UInt64?, now: UInt64) -> Bool {
            let request = RequestThread.Request(
                from: "a", to: "b", urgency: "standard", receivedAt: dueAt.map { $0 - Self.hour }, dueAtOnReceipt: dueAt, legacyStatus: status)
            return RequestThread(request: request, entries: []).isOverdue(now: now)
        }
        #expect(!overdue("acknowledged", dueAt: due, now: due - 1))
        #expect(!overdue("acknowledged", dueAt: due, now: due))
        #expect(overdue("acknowledged", dueAt: due, now: due + 1))
        #expect(overdue("open", dueAt: due, now: due + 1))
        #expect(!overdue("answered", dueAt: due, now: due + 1), "answered by an earlier release, before threads")
        #expect(!overdue("closed", dueAt: due, now: due + 1))
        #expect(!overdue("open", dueAt: nil, now: due + 1))
    }

    @Test(arguments: [
        ("1970-01-01", 0 as UInt64?), ("2026-11-22T08:00:00Z", 1_795_334_400_000), ("2026-11-22T09:00:00+01:00", 1_795_334_400_000),
        ("2026-11-22T07:30-00:30", 1_795_334_400_000), ("2026-11-22T08:00:00.5Z", 1_795_334_400_500),
        ("2026-11-22T08:00:00.123456Z", 1_795_334_400_123), ("yesterday", nil), ("2026-02-30", nil), ("1969-12-31T23:59:59Z", nil),
    ])
    func timestampsParseToUnixMilliseconds(_ text: String, _ expected: UInt64?) {
        #expect(Timestamps.milliseconds(fromISO8601: text) == expected)
    }

    @Test func parsingInvertsFormatting() {
        for milliseconds: UInt64 in [0, 951_782_400_000, 1_795_334_400_123, 4_102_444_799_999] {
            #expect(Timestamps.milliseconds(fromISO8601: Timestamps.iso8601(milliseconds: milliseconds)) == milliseconds)
        }
    }

    @Test func nodeManagedFieldsAreRefusedFromUsers() {
        #expect(throws: RecordValidationError(field: "due_at", "field due_at is set by the node, not by hand")) {
            try RecordValidation.check([FieldWrite("due_at", "2026-11-22T08:00:00Z")], kind: .request, isCreate: false)
        }
        #expect(throws: Never.self) {
            try RecordValidation.check([FieldWrite("due_at", "2026-11-22T08:00:00Z")], kind: .request, isCreate: false, byNode: true)
        }
    }
}
