import Foundation
import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// Who holds each request a centre must act on, and the shift handover: on real replicas, with
/// the requested centre's clock moved by the test. Holders are local and every change is audited.
@Suite(.ownThread) struct HandoverTests {
    static let hour: UInt64 = 3_600_000

    /// a sends b an urgent and a standard request; b (users ana, bob, cleo) has received both.
    struct Centres {
        let region: TestRegion
        let urgent: RecordID
        let standard: RecordID
        var b: Replica { region["b"] }

        init() throws {
            region = try TestRegion(nodes: ["a", "b"])
            let a = region["a"]
            urgent = try a.create(.request, in: "region", RequestForm.filled("Owner of NI-123-AB?", urgency: "urgent").writes(from: "a", to: "b"))
            standard = try a.create(.request, in: "region", RequestForm.filled("Owner of SK-777-ZZ?").writes(from: "a", to: "b"))
            let b = region["b"]
            try b.addUser("ana", role: .admin, addedBy: nil)
            for user in ["bob", "cleo"] { try b.addUser(user, role: .staff, addedBy: AuditActor(user: "ana")) }
            try b.pullChecked(from: a)
            _ = try b.acknowledgeReceivedRequests()
        }

        /// The handover as `user` sees it: (request, holder, due soon), most urgent first.
        func handover(as user: String) throws -> [(RecordID, String?, Bool)] {
            try b.handover(auditedAs: AuditActor(user: user, purpose: "shift handover")).items.map { (RecordID($0.request.id)!, $0.holder, $0.dueSoon) }
        }

        func lastAudit() throws -> String {
            let entry = try #require(try b.auditEntries(limit: 1).last)
            return "\(entry.event.user) \(entry.event.action) \(entry.event.detail ?? "") \(entry.event.recordIDs.count)"
        }
    }

    @Test func requestsAreTakenHandedAndAcceptedAtAHandoverAndEachChangeIsAudited() throws {
        let centres = try Centres()
        let b = centres.b
        #expect(try b.unheldUrgentCount() == 1, "the urgent request waits for someone to take it")
        let first = try centres.handover(as: "bob")
        #expect(first.map(\.0) == [centres.urgent, centres.standard], "the urgent request, due in 8 hours, comes first")
        #expect(first.map(\.1) == [nil, nil])
        #expect(first.map(\.2) == [true, false], "only the urgent one falls due within 12 hours")

        try b.takeRequest(centres.urgent, auditedAs: AuditActor(user: "bob"))
        #expect(try centres.lastAudit() == "bob request_take to bob 1")
        #expect(try b.unheldUrgentCount() == 0, "taken, it is no longer highlighted")
        try b.handRequest(centres.standard, to: "cleo", auditedAs: AuditActor(user: "bob"))
        #expect(try centres.lastAudit() == "bob request_hand to cleo 1")
        #expect(try centres.handover(as: "ana").map(\.1) == ["bob", "cleo"])

        // The incoming shift: cleo accepts both.
        try b.acceptHandover([centres.urgent, centres.standard], auditedAs: AuditActor(user: "cleo"))
        #expect(try centres.lastAudit() == "cleo handover_accept to cleo from bob, cleo 2")
        #expect(try centres.handover(as: "cleo").map(\.1) == ["cleo", "cleo"])

        // Time passes: the standard request now falls due within the next 12 hours.
        centres.region.clocks["b"]!.advance(by: 7 * 24 * Self.hour - 11 * Self.hour)
        #expect(try centres.handover(as: "cleo").first { $0.0 == centres.standard }?.2 == true)
        // Answered, a request leaves the handover.
        _ = try b.act(on: centres.urgent, .answer("The owner is known to us."), auditedAs: AuditActor(user: "cleo"))
        #expect(try centres.handover(as: "cleo").map(\.0) == [centres.standard])
    }

    @Test func onlyEnabledColleaguesHoldAndOnlyRequestsThisCentreMustActOn() throws {
        let centres = try Centres()
        let b = centres.b
        let bob = AuditActor(user: "bob")
        func refusal(_ body: () throws -> Void) -> ReplicaError.Code? {
            do {
                try body()
                return nil
            } catch let error as ReplicaError {
                return error.code
            } catch {
                return nil
            }
        }
        #expect(refusal { try b.handRequest(centres.standard, to: "mallory", auditedAs: bob) } == .notAllowed)
        try b.disableUser("cleo", by: AuditActor(user: "ana"))
        #expect(refusal { try b.handRequest(centres.standard, to: "cleo", auditedAs: bob) } == .notAllowed)
        #expect(refusal { try b.acceptHandover([], auditedAs: bob) } == .invalid)
        // a's own request waits for b, not for a: nobody at a takes it.
        let a = centres.region["a"]
        try a.addUser("dan", role: .admin, addedBy: nil)
        #expect(refusal { try a.takeRequest(centres.standard, auditedAs: AuditActor(user: "dan")) } == .invalid)
        #expect(try a.handover(auditedAs: AuditActor(user: "dan", purpose: "shift handover")).items.isEmpty)
        // A record that is not a request, or not there, is refused too.
        let person = try b.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Hoxha")])
        #expect(refusal { try b.takeRequest(person, auditedAs: bob) } == .invalid)
        #expect(try b.holder(of: centres.standard) == nil, "nothing refused left a holder")
    }
}
