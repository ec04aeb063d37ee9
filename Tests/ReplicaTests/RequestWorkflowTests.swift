import Foundation
import Records
import Replica
import SyncCore
import Synchronization
import TestSupport
import Testing

@Suite(.ownThread) struct RequestWorkflowTests {
    static let hour: UInt64 = 3_600_000

    /// Three centres; `a` asks `b`; `c` is in the group but is not asked.
    static func region() throws -> TestRegion {
        try TestRegion(nodes: ["a", "b", "c"], timeZone: TimeZone(identifier: "Europe/Belgrade")!)
    }

    static func ask(_ region: TestRegion, urgency: String) throws -> RecordID {
        // Written field by field, as an earlier release could: urgent_direct and urgent_indirect
        // are the urgencies a requester picked before the requested centre classified.
        try region["a"].create(.request, in: "region", RequestForm.filled("Owner of NI-123-AB?", urgency: urgency).writes(from: "a", to: "b"))
    }

    @Test func theRequestedNodeAcknowledgesOnReceiptAndBothSidesSeeTheDeadline() throws {
        let region = try Self.region()
        let id = try Self.ask(region, urgency: "urgent_direct")
        // Two hours in transit: the receipt at b, not the creation at a, starts the deadline.
        for node in region.nodeIDs { region.clocks[node]!.advance(by: 2 * Self.hour) }
        let receivedAt = region.clocks["b"]!.now
        try region["b"].pullChecked(from: region["a"])
        region.clocks["b"]!.advance(by: 5_000)
        #expect(try region["b"].acknowledgeReceivedRequests() == 1)
        #expect(try region["b"].acknowledgeReceivedRequests() == 0)
        let atB = try #require(try region["b"].requests(.incoming).first)
        #expect(atB.id == id.description && atB.status == "received")
        #expect(atB.receivedAt == receivedAt && atB.dueAt == receivedAt + 8 * Self.hour)
        #expect(try region["b"].requests(.outgoing).isEmpty)

        try region["a"].pullChecked(from: region["b"])
        let atA = try #require(try region["a"].requests(.outgoing).first)
        #expect(atA.status == "received" && atA.dueAt == receivedAt + 8 * Self.hour)
        #expect(try region["a"].requests(.incoming).isEmpty)
        #expect(try region["a"].live(id)?.provenance["due_at"]?.origin == "b")

        // c holds the request but was not asked: no receipt, no acknowledgement from c.
        try region["c"].pullChecked(from: region["a"])
        #expect(try region["c"].acknowledgeReceivedRequests() == 0)
        #expect(try region["c"].requests().isEmpty)
    }

    /// The serving node's heartbeat and a `pccc request list` acknowledge received requests at
    /// once, from two connections to one file: each request is acknowledged in one batch only,
    /// so a flood still costs the requested centre a bounded number of batches.
    @Test func twoProcessesAcknowledgingAtOnceWriteEachAcknowledgementOnce() throws {
        let requests = 1_200
        for round in 0..<5 {
            let directory = try TemporaryDirectory()
            let region = try TestRegion(nodes: ["a", "b"], directory: directory.url)
            try region["a"].transact(in: "region") { transaction in
                for index in 0..<requests {
                    _ = transaction.create(.request, RequestForm.filled("Flood \(index)").writes(from: "a", to: "b"))
                }
            }
            try region["b"].pullChecked(from: region["a"])
            var configuration = ReplicaConfiguration(nodeID: "b", signingKey: region.keys["b"]!, roster: region.roster)
            let clock = region.clocks["b"]!
            configuration.wallClock = { clock.now }
            let otherProcess = try Replica(path: directory.url.appendingPathComponent("b.sqlite").path, configuration: configuration)
            let before = try region["b"].streamPositions().first { $0.origin == "b" }?.seq ?? 0
            let acknowledgers = [region["b"], otherProcess]
            let counts = Mutex([0, 0])
            let failures = Mutex([String]())
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                do {
                    let count = try acknowledgers[index].acknowledgeReceivedRequests()
                    counts.withLock { $0[index] = count }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty, "round \(round): \(failures.withLock { $0 })")
            // Whatever the first pass left (a chunk the other process took part of) goes next.
            let rest = try region["b"].acknowledgeReceivedRequests()
            let total = counts.withLock { $0[0] + $0[1] } + rest
            let batches = (try region["b"].streamPositions().first { $0.origin == "b" }?.seq ?? 0) - before
            #expect(total == requests, "round \(round): \(total) acknowledgements of \(requests) requests")
            #expect(batches <= UInt64((requests + 499) / 500), "round \(round): b's stream grew by \(batches) batches")
        }
    }

    @Test func overdueDependsOnTheStatusAndTheDueTime() throws {
        let region = try Self.region()
        let id = try Self.ask(region, urgency: "urgent_direct")
        try region["b"].pullChecked(from: region["a"])
        try region["b"].acknowledgeReceivedRequests()
        try region["a"].pullChecked(from: region["b"])
        let due = try #require(try region["a"].requests(id: id).first?.dueAt)
        let request = try #require(try region["a"].requests(id: id).first)
        #expect(!request.thread.isOverdue(now: due))
        #expect(request.thread.isOverdue(now: due + 1))
        try region["b"].update(id, [FieldWrite("answer", "Petar Petrović"), FieldWrite("status", "answered")])
        try region["a"].pullChecked(from: region["b"])
        let answered = try #require(try region["a"].requests(id: id).first)
        #expect(answered.answer == "Petar Petrović" && !answered.thread.isOverdue(now: due + 1), "answered as an earlier release does")
    }

    @Test func aLateAcknowledgementDoesNotReopenAClosedRequest() throws {
        let region = try Self.region()
        let id = try Self.ask(region, urgency: "standard")
        try region["b"].pullChecked(from: region["a"])
        // The requester closes before the acknowledgement reaches it; status is a max register.
        try region["a"].update(id, [FieldWrite("status", "closed")])
        try region["b"].acknowledgeReceivedRequests()
        try region.syncAll()
        for node in region.nodeIDs {
            #expect(try region[node].live(id)?.values["status"] == "closed")
        }
        #expect(try region.digests().count == 1)
    }

    @Test func aRequestErasedBeforeItsAcknowledgementIsNotAcknowledged() throws {
        let region = try Self.region()
        let id = try Self.ask(region, urgency: "urgent_indirect")
        try region["b"].pullChecked(from: region["a"])
        try region["a"].erase(id, reason: "sent_in_error")
        try region["b"].pullChecked(from: region["a"])
        #expect(try region["b"].acknowledgeReceivedRequests() == 0)
        #expect(try region["b"].requests().isEmpty)
    }

    @Test func usersCannotWriteTheReceiptOrTheDeadline() throws {
        let region = try Self.region()
        let id = try Self.ask(region, urgency: "standard")
        try region["b"].pullChecked(from: region["a"])
        #expect(throws: ReplicaError(.invalid, "field due_at is set by the node, not by hand", field: "due_at")) {
            try region["b"].update(id, [FieldWrite("due_at", "2030-01-01T00:00:00Z")])
        }
    }
}
