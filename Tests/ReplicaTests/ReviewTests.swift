import Foundation
import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// Reviews of personal data: when each record of a node falls due, the owner's decisions to
/// keep (capped, replicated, only the owner's count) or erase with `retention_expired`.
@Suite(.ownThread) struct ReviewTests {
    let staff = AuditActor(user: "ana", purpose: "weekly review")

    static func ms(_ text: String) -> UInt64 { Timestamps.milliseconds(fromISO8601: text)! }

    static func region() throws -> TestRegion {
        try TestRegion(nodes: ["a", "b", "m"], timeZone: TimeZone(identifier: "Europe/Skopje")!)
    }

    func setClocks(_ region: TestRegion, _ time: String) {
        for clock in region.clocks.values { clock.set(Self.ms(time)) }
    }

    @Test func recordsFallDueByKindAndAClosedRequestBringsItsOwnAndItsSubjectsForward() throws {
        let region = try Self.region()
        setClocks(region, "2026-01-10T09:00:00+01:00")
        let person = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Petrović")])
        let firearm = try region["a"].create(.firearm, in: "region", [FieldWrite("serial", "ZT-1")])
        let other = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Other")])
        let theirs = try region["b"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Theirs")])
        try region.syncAll()
        #expect(try region["a"].reviewsDue(now: Self.ms("2027-01-10T08:59:59+01:00")).isEmpty, "nothing is due before its period")
        let dueAYearOn = try region["a"].reviewsDue(now: Self.ms("2027-01-10T09:00:00+01:00"))
        #expect(Set(dueAYearOn.map(\.id)) == [person.description, other.description], "persons after 12 months, firearms after 24, b's not at a")
        #expect(dueAYearOn.allSatisfy { $0.basis == .created && $0.reviewAt == Self.ms("2027-01-10T09:00:00+01:00") })
        #expect(try region["a"].reviewsDue(now: Self.ms("2028-01-10T09:00:00+01:00")).map(\.id).contains(firearm.description))
        #expect(try region["b"].reviewsDue(now: Self.ms("2027-06-01T00:00:00+02:00")).map(\.id) == [theirs.description])

        // A request about the person, closed on 1 March: the request and the person fall due on 1 September.
        let request = try region["a"].sendRequest(to: "b", form: .filled("Known?", subjects: [person.description]), auditedAs: staff)
        try region.syncAll()
        try region["b"].act(on: request, .answer("Yes"), auditedAs: staff)
        try region.syncAll()
        setClocks(region, "2026-03-01T12:00:00+01:00")
        try region["a"].act(on: request, .close, auditedAs: staff)
        try region.syncAll()
        let september = try region["a"].reviewsDue(now: Self.ms("2026-09-01T12:00:00+02:00"))
        #expect(september.map(\.id).sorted() == [person.description, request.description].sorted())
        #expect(september.allSatisfy { $0.basis == .requestClosed && $0.reviewAt == Self.ms("2026-09-01T12:00:00+02:00") })
        #expect(try region["a"].reviewsDue(now: Self.ms("2026-09-01T11:59:59+02:00")).isEmpty)
        #expect(try region["b"].reviewsDue(now: Self.ms("2026-09-01T12:00:00+02:00")).isEmpty, "the request is a's to review")

        // m's own request about a's firearm, closed at once, brings nothing forward at a.
        let about = try region["m"].sendRequest(to: "b", form: .filled("Yours?", subjects: [firearm.description]), auditedAs: staff)
        try region["m"].act(on: about, .close, auditedAs: staff)
        try region.syncAll()
        #expect(try !region["a"].reviewsDue(now: Self.ms("2027-01-01T00:00:00+01:00")).map(\.id).contains(firearm.description))
    }

    /// An open request is reviewed its period after creation; a keep stands until a request
    /// about the record closes after it, and a closed request's subject is never kept longer
    /// than the request's period, however often it is kept.
    @Test func aClosureAfterAKeepBringsTheReviewForwardAndItsCapStays() throws {
        let region = try Self.region()
        setClocks(region, "2026-01-10T09:00:00+01:00")
        let person = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Petrović")])
        let open = try region["a"].sendRequest(to: "b", form: .filled("Still wanted?"), auditedAs: staff)
        #expect(try region["a"].reviewsDue(now: Self.ms("2026-07-10T09:00:00+02:00")).map(\.id) == [open.description], "open for six months")
        try region["a"].keep(person, until: "2026-12-01", reason: "ongoing case", auditedAs: staff)
        let request = try region["a"].sendRequest(to: "b", form: .filled("Known?", subjects: [person.description]), auditedAs: staff)
        setClocks(region, "2026-02-01T09:00:00+01:00")
        try region["a"].act(on: request, .close, auditedAs: staff)
        let person1 = try #require(try region["a"].reviewsDue(now: .max).first { $0.id == person.description })
        #expect(person1.basis == .requestClosed && person1.reviewAt == Self.ms("2026-08-01T09:00:00+02:00"), "the closure after the keep counts")
        #expect(throws: ReplicaError(.invalid, "a review keeps a person for at most 6 months, until 2026-08-01 at the latest", field: "until")) {
            try region["a"].keep(person, until: "2026-09-01", reason: "ongoing case", auditedAs: staff)
        }
        try region["a"].keep(person, until: "2026-07-01", reason: "ongoing case", auditedAs: staff)
        setClocks(region, "2026-07-02T09:00:00+02:00")
        #expect(throws: ReplicaError(.invalid, "a review keeps a person for at most 6 months, until 2027-01-02 at the latest", field: "until")) {
            try region["a"].keep(person, until: "2027-03-01", reason: "still", auditedAs: staff)
        }
        let kept = try #require(try region["a"].reviewsDue(now: .max).first { $0.id == person.description })
        #expect(kept.basis == .kept && kept.reviewAt == Self.ms("2026-07-01T00:00:00+02:00"))
    }

    @Test func theOwnerKeepsUntilADateWithinThePeriodOrErasesAndOthersCannot() throws {
        let region = try Self.region()
        setClocks(region, "2026-01-10T09:00:00+01:00")
        let person = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Petrović")])
        try region.syncAll()
        setClocks(region, "2027-01-11T09:00:00+01:00")
        #expect(try region["a"].listReviewsDue(auditedAs: staff).reviews.map(\.id) == [person.description])
        #expect(try region["a"].auditEntries(user: "ana", since: nil, limit: 5).last?.event.detail == "reviews due")

        #expect(throws: ReplicaError(.invalid, "a review keeps a person for at most 12 months, until 2028-01-11 at the latest", field: "until")) {
            try region["a"].keep(person, until: "2028-01-12", reason: "ongoing case", auditedAs: staff)
        }
        #expect(throws: ReplicaError(.invalid, "until must be a day after today", field: "until")) {
            try region["a"].keep(person, until: "2027-01-10", reason: "ongoing case", auditedAs: staff)
        }
        #expect(throws: ReplicaError(.invalid, "until must be a date written YYYY-MM-DD, not 2027-02-30", field: "until")) {
            try region["a"].keep(person, until: "2027-02-30", reason: "ongoing case", auditedAs: staff)
        }
        #expect(throws: ReplicaError(.invalid, "a review that keeps a record gives the reason", field: "reason")) {
            try region["a"].keep(person, until: "2027-06-01", reason: " ", auditedAs: staff)
        }
        #expect(throws: ReplicaError(.notAllowed, "record \(person) belongs to a, whose staff review it")) {
            try region["b"].keep(person, until: "2027-06-01", reason: "ongoing case", auditedAs: staff)
        }
        try region["a"].keep(person, until: "2027-06-01", reason: "ongoing case KU-2026-0042", auditedAs: staff)
        #expect(try region["a"].reviewsDue(now: Self.ms("2027-05-31T23:59:59+02:00")).isEmpty)
        let kept = try #require(try region["a"].reviewsDue(now: Self.ms("2027-06-01T00:00:00+02:00")).first)
        #expect(kept.basis == .kept && kept.keptReason == "ongoing case KU-2026-0042")

        // m writes a decision on a's record straight from the protocol: no node keeps it.
        let hlc = region.hlc("m")
        let forgedID = RecordID.make(milliseconds: hlc.milliseconds, boundTo: RecordBinding(origin: "m", group: "region", kind: "review"))
        let forged = try region.signed(
            by: "m",
            [
                Change(
                    kind: "review", recordID: forgedID, hlc: hlc,
                    operation: .append([FieldWrite("record_id", person.description), FieldWrite("keep_until", "2099-01-01"), FieldWrite("reason", "m")]))
            ])
        for node in region.nodeIDs { _ = try region[node].apply(envelope: forged.envelope) }
        try region.syncAll()
        for node in region.nodeIDs {
            #expect(try region[node].lookup(forgedID) == .unknown, "\(node) keeps m's decision")
            guard case .live(_, let attachments, _) = try region[node].consult(person, auditedAs: staff) else { throw ScenarioFailure("gone") }
            #expect(attachments.map(\.kind) == [.review], "\(node) holds a's decision")
        }
        #expect(throws: ReplicaError.self) { try region["a"].append(.review, [FieldWrite("record_id", person.description)]) }

        try region["a"].erase(person, reason: Replica.retentionExpired, auditedAs: staff)
        try region.syncAll()
        for node in region.nodeIDs {
            guard case .erased(let tombstone) = try region[node].lookup(person) else { throw ScenarioFailure("\(node) still holds the person") }
            #expect(tombstone.reason == "retention_expired")
        }
        #expect(try region["a"].reviewsDue(now: .max).isEmpty)
        #expect(try region.digests().count == 1)
    }
}
