import Foundation
import Records
import SyncCore
import TestSupport
import Testing

@testable import Replica

/// A request's life as a thread (Directive (EU) 2023/977): each step at the right centre only,
/// the clocks both centres compute alike, and the same thread and state at every node whatever
/// order concurrent entries meet in.
@Suite(.ownThread) struct RequestThreadTests {
    let staff = AuditActor(user: "ana")
    static let hour: UInt64 = 3_600_000
    static let day: UInt64 = 24 * hour

    static func ms(_ text: String) -> UInt64 {
        Timestamps.milliseconds(fromISO8601: text)!
    }

    /// a asks b, c shares the group; a's and b's countries and b's languages are in the roster.
    static func region(
        _ nodes: [NodeID] = ["a", "b", "c"], zones: [NodeID: String] = [:], directory: URL? = nil
    ) throws -> TestRegion {
        try TestRegion(nodes: nodes, directory: directory) { configuration in
            let roster = configuration.roster
            configuration.roster = Roster(
                network: roster.network, keyHistories: roster.signingKeys, groups: roster.groups,
                countries: ["a": "MK", "b": "RS", "c": "ME"], languages: ["b": ["en", "sr"]])
            if let zone = zones[configuration.nodeID] { configuration.timeZone = TimeZone(identifier: zone)! }
        }
    }

    /// Sends a request from a to b, delivers it and its acknowledgement; returns its id.
    static func delivered(_ region: TestRegion, urgency: String = "urgent", actor: AuditActor) throws -> RecordID {
        let id = try region["a"].sendRequest(to: "b", form: .filled("Owner of NI-123-AB?", urgency: urgency), auditedAs: actor)
        try region.syncAll()
        try region["b"].acknowledgeReceivedRequests()
        try region.syncAll()
        return id
    }

    static func refusal(_ body: () throws -> Void) -> ReplicaError? {
        do {
            try body()
            return nil
        } catch {
            return error as? ReplicaError
        }
    }

    // MARK: The right centre

    @Test func eachStepWorksAtItsCentreAndIsRefusedAtAnyOther() throws {
        let region = try Self.region()
        let id = try Self.delivered(region, actor: staff)
        let later = region.clocks["b"]!.now + Self.day
        let requestedSteps: [RequestAction] = [
            .classify(direct: false), .partialAnswer("part"), .refuse(whole: false, grounds: [.a], reasons: "not held"),
            .askClarification("Which vehicle?"), .announceDelay(reason: "court order needed", until: later), .answer("Petar P."),
        ]
        for action in requestedSteps {
            #expect(
                Self.refusal { try region["a"].act(on: id, action, auditedAs: staff) }
                    == ReplicaError(.notAllowed, "request \(id) was sent to b; only b \(Self.verb(action)) it"), "\(action) at a")
            #expect(
                Self.refusal { try region["c"].act(on: id, action, auditedAs: staff) }
                    == ReplicaError(.notAllowed, "request \(id) is neither to nor from this centre"), "\(action) at c")
        }
        for action in [RequestAction.giveClarification("The grey one"), .close] {
            #expect(Self.refusal { try region["b"].act(on: id, action, auditedAs: staff) }?.code == .notAllowed, "\(action) at b")
            #expect(Self.refusal { try region["c"].act(on: id, action, auditedAs: staff) }?.code == .notAllowed, "\(action) at c")
        }
        // A step that does not fit where the thread stands is refused at the right centre too.
        #expect(
            Self.refusal { try region["a"].act(on: id, .giveClarification("unasked"), auditedAs: staff) }
                == ReplicaError(.invalid, "request \(id) waits for no clarification"))
        #expect(Self.refusal { try region["b"].act(on: id, .refuse(whole: true, grounds: [.b], reasons: " "), auditedAs: staff) }?.field == "reasons")

        // Each step at its own centre, in order; the thread at both centres is the same.
        try region["b"].act(on: id, .classify(direct: false), auditedAs: staff)
        try region["b"].act(on: id, .askClarification("Which vehicle?"), auditedAs: staff)
        #expect(
            Self.refusal { try region["b"].act(on: id, .askClarification("Again?"), auditedAs: staff) }
                == ReplicaError(.invalid, "request \(id) already waits for a clarification"))
        try region.syncAll()
        try region["a"].acknowledgeReceivedRequests()
        try region["a"].act(on: id, .giveClarification("The grey one"), auditedAs: staff)
        try region.syncAll()
        try region["b"].acknowledgeReceivedRequests()
        try region["b"].act(on: id, .announceDelay(reason: "court order needed", until: later), auditedAs: staff)
        try region["b"].act(on: id, .partialAnswer("Registered to a company"), auditedAs: staff)
        try region["b"].act(on: id, .refuse(whole: false, grounds: [.f, .a], reasons: "the rest is sensitive"), auditedAs: staff)
        try region["b"].act(on: id, .answer("Petar P."), auditedAs: staff)
        #expect(
            Self.refusal { try region["b"].act(on: id, .answer("Again"), auditedAs: staff) } == ReplicaError(.invalid, "request \(id) is already answered"))
        try region.syncAll()
        try region["a"].act(on: id, .close, auditedAs: staff)
        try region.syncAll()
        #expect(
            Self.refusal { try region["b"].act(on: id, .partialAnswer("late"), auditedAs: staff) }
                == ReplicaError(.notAllowed, "request \(id) is closed; nothing in it changes any more"))
        let atA = try #require(try region["a"].requests(id: id).first)
        let atB = try #require(try region["b"].requests(id: id).first)
        #expect(atA.thread == atB.thread)
        #expect(atA.thread.state == .closed && atA.thread.outcome == .answered && atA.answer == "Petar P.")
        #expect(atA.thread.refusalGrounds == [.a, .f] && atA.thread.urgencyClass == "urgent_indirect")
        #expect(
            atA.thread.entries.map(\.step) == [
                .classification, .clarificationAsked, .receipt, .clarificationGiven, .receipt, .delay, .partialAnswer, .refusal, .answer, .close,
            ])
        // The record's own status field moves as earlier releases expect.
        #expect(try region["c"].live(id)?.values["status"] == "closed" && region["c"].live(id)?.values["answer"] == "Petar P.")
        #expect(try region.digests().count == 1)
    }

    static func verb(_ action: RequestAction) -> String {
        switch action {
        case .classify: "classifies"
        case .answer, .partialAnswer: "answers"
        case .refuse: "refuses"
        case .askClarification: "asks clarification of"
        case .announceDelay: "delays"
        default: "?"
        }
    }

    /// A member writing straight from the protocol: steps of a centre it is not, and entries on
    /// what is not a request, are ignored at every node alike.
    @Test func entriesFromACentreTheStepDoesNotBelongToAreIgnoredEverywhere() throws {
        let region = try Self.region(["a", "b", "c", "m"])
        let id = try Self.delivered(region, actor: staff)
        let person = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Petrović")])
        try region.syncAll()
        func entry(_ counter: UInt16, on parent: RecordID, _ writes: [FieldWrite], by node: NodeID = "m") -> Change {
            let hlc = region.hlc(node, counter: counter)
            return Change(
                kind: "request_entry",
                recordID: RecordID.make(
                    milliseconds: hlc.milliseconds + UInt64(counter), boundTo: RecordBinding(origin: node, group: "region", kind: "request_entry")),
                hlc: hlc, operation: .append([FieldWrite("record_id", parent.description)] + writes))
        }
        let forged = try region.signed(
            by: "m",
            [
                entry(1, on: id, [FieldWrite("type", "answer"), FieldWrite("text", "Forged answer")]),
                entry(2, on: id, [FieldWrite("type", "close")]),
                entry(3, on: id, [FieldWrite("type", "refusal"), FieldWrite("extent", "whole"), FieldWrite("grounds", "a"), FieldWrite("text", "x")]),
                entry(4, on: person, [FieldWrite("type", "answer"), FieldWrite("text", "On a person")]),
            ])
        // b writing a's steps, and a's own entry on a record that is no request.
        let byB = try region.signed(by: "b", [entry(5, on: id, [FieldWrite("type", "close")], by: "b")])
        let byA = try region.signed(
            by: "a", [entry(6, on: id, [FieldWrite("type", "delay"), FieldWrite("text", "x"), FieldWrite("until", "2099-01-01T00:00:00Z")], by: "a")])
        for node in region.nodeIDs {
            for batch in [forged, byB, byA] { _ = try region[node].apply(envelope: batch.envelope) }
        }
        try region.syncAll()
        // Merge keeps none of them: not only does the thread leave them out, no node holds them.
        let ignored = try [forged, byB, byA].flatMap { batch in
            try batch.verifiedLeaves().compactMap { leaf -> RecordID? in
                guard case .full(let change) = leaf else { return nil }
                return change.recordID
            }
        }
        #expect(ignored.count == 6)
        for node in region.nodeIDs {
            for entryID in ignored { #expect(try region[node].lookup(entryID) == .unknown, "\(node) holds \(entryID)") }
        }
        for node: NodeID in ["a", "b"] {
            let request = try #require(try region[node].requests(id: id).first)
            #expect(request.thread.entries.isEmpty && request.status == "received" && request.answer == nil, "\(node): \(request.thread.entries)")
        }
        #expect(try region.digests().count == 1)
    }

    /// A hostile requester signs a second create of its request, earlier by its clock, naming
    /// another centre and another urgency; and a request to itself, and a step with an unbound
    /// id. Whatever order nodes meet them in, the request stays between its first two centres,
    /// the requested centre's steps and deadline stand, and the rest is kept nowhere.
    @Test func aRequesterCannotReaddressOrRegradeItsRequestOrAskItself() throws {
        let region = try Self.region(["a", "b", "c", "x", "y"])
        let first = try region.signed(
            by: "a",
            [
                Change(
                    kind: "request",
                    recordID: RecordID.make(milliseconds: region.clocks["a"]!.now, boundTo: RecordBinding(origin: "a", group: "region", kind: "request")),
                    hlc: region.hlc("a", counter: 5), operation: .create(RequestForm.filled("Owner?", urgency: "urgent").writes(from: "a", to: "b")))
            ])
        let id = try #require(
            first.verifiedLeaves().compactMap { leaf -> RecordID? in
                guard case .full(let change) = leaf else { return nil }
                return change.recordID
            }.first)
        _ = try region["b"].apply(envelope: first.envelope)
        try region["b"].acknowledgeReceivedRequests()
        try region["b"].act(on: id, .classify(direct: false), auditedAs: staff)
        try region["b"].act(on: id, .partialAnswer("Part of it"), auditedAs: staff)
        let fromB = try region.batches(of: "b").filter { $0.header.origin == "b" }
        let regraded = try region.signed(
            by: "a",
            [
                Change(
                    kind: "request", recordID: id, hlc: region.hlc("a", counter: 1), operation: .create(RequestForm.filled("Owner?").writes(from: "a", to: "c"))
                ),
                Change(
                    kind: "request",
                    recordID: RecordID.make(milliseconds: region.clocks["a"]!.now + 1, boundTo: RecordBinding(origin: "a", group: "region", kind: "request")),
                    hlc: region.hlc("a", counter: 6), operation: .create(RequestForm.filled("Myself?").writes(from: "a", to: "a"))),
                Change(
                    kind: "request_entry", recordID: try #require(RecordID("0190f7c2-0000-7000-8000-00000000000b")), hlc: region.hlc("a", counter: 7),
                    operation: .append([FieldWrite("record_id", id.description), FieldWrite("type", "close")])),
            ])
        // x meets b's steps before the second create; y after it.
        for batch in [first] + fromB + [regraded] { _ = try region["x"].apply(envelope: batch.envelope) }
        for batch in [first, regraded] + fromB { _ = try region["y"].apply(envelope: batch.envelope) }
        try region.syncAll()
        for node in region.nodeIDs {
            let held = try #require(try region[node].live(id), "\(node)")
            #expect(held.values["to_node"] == "b", "\(node): re-addressed to \(held.values["to_node"] ?? "nobody")")
            let thread = try #require(try Self.thread(of: id, at: region[node]))
            #expect(thread.urgencyClass == "urgent_indirect" && thread.entries.map(\.step) == [.classification, .partialAnswer], "\(node)")
            #expect(thread.dueAt == thread.entries.first?.dueAt && thread.state == .partiallyAnswered, "\(node): the deadline b set stands")
        }
        #expect(try region["a"].requests().count == 1, "a request to itself is no request")
        #expect(try region.digests().count == 1)
    }

    // MARK: Clocks

    /// a keeps UTC and b Belgrade time; the request is received the Friday before summer time
    /// starts, classified indirect (3 calendar days), paused by a clarification across the
    /// change, then delayed. Both centres compute every time alike.
    @Test func classificationPauseAndDelaySetTheSameTimesAtBothCentresAcrossSummerTime() throws {
        let region = try Self.region(zones: ["a": "UTC", "b": "Europe/Belgrade", "c": "Asia/Tokyo"])
        // Every clock moves together: a batch from a clock far ahead is held back (clock skew).
        func at(_ node: NodeID, _ time: String) { for clock in region.clocks.values { clock.set(Self.ms(time)) } }
        func thread(_ node: NodeID, _ id: RecordID) throws -> RequestThread { try #require(try Self.thread(of: id, at: region[node])) }
        at("a", "2026-03-27T08:00:00+01:00")
        let id = try region["a"].sendRequest(to: "b", form: .filled("Owner?", urgency: "urgent"), auditedAs: staff)
        at("b", "2026-03-27T10:00:00+01:00")
        try region["b"].pullChecked(from: region["a"])
        try region["b"].acknowledgeReceivedRequests()
        try region["a"].pullChecked(from: region["b"])
        // Unclassified: 8 hours from receipt, shown as such.
        for node: NodeID in ["a", "b"] {
            #expect(try thread(node, id).urgencyClass == "urgent" && thread(node, id).dueAt == Self.ms("2026-03-27T18:00:00+01:00"))
        }
        at("b", "2026-03-27T10:30:00+01:00")
        try region["b"].act(on: id, .classify(direct: false), auditedAs: staff)
        try region["a"].pullChecked(from: region["b"])
        // Three calendar days in Belgrade: 71 hours, as summer time starts on the 29th.
        let base = Self.ms("2026-03-30T10:00:00+02:00")
        for node: NodeID in ["a", "b"] { #expect(try thread(node, id).dueAt == base && thread(node, id).urgencyClass == "urgent_indirect") }

        at("b", "2026-03-28T09:00:00+01:00")
        try region["b"].act(on: id, .askClarification("Which of the two vehicles?"), auditedAs: staff)
        at("a", "2026-03-28T12:00:00+01:00")
        try region["a"].pullChecked(from: region["b"])
        try region["a"].acknowledgeReceivedRequests()
        try region["b"].pullChecked(from: region["a"])
        for node: NodeID in ["a", "b"] {
            let paused = try thread(node, id)
            #expect(paused.pausedSince == Self.ms("2026-03-28T12:00:00+01:00"), "the pause starts when a has the question")
            #expect(paused.state == .clarificationRequested && !paused.isOverdue(now: base + 10 * Self.day))
        }
        at("a", "2026-03-29T09:00:00+02:00")
        try region["a"].act(on: id, .giveClarification("The grey one"), auditedAs: staff)
        at("b", "2026-03-29T15:00:00+02:00")
        try region["b"].pullChecked(from: region["a"])
        try region["b"].acknowledgeReceivedRequests()
        try region["a"].pullChecked(from: region["b"])
        // Paused from 11:00Z on the 28th to 13:00Z on the 29th: 26 hours.
        let due = Self.ms("2026-03-31T12:00:00+02:00")
        for node: NodeID in ["a", "b"] {
            let resumed = try thread(node, id)
            #expect(resumed.pausedFor == 26 * Self.hour && resumed.dueAt == due && resumed.pausedSince == nil, "\(node)")
            #expect(!resumed.isOverdue(now: due) && resumed.isOverdue(now: due + 1))
        }

        at("b", "2026-03-31T09:00:00+02:00")
        try region["b"].act(on: id, .announceDelay(reason: "a judge must authorise", until: Self.ms("2026-04-03T12:00:00+02:00")), auditedAs: staff)
        try region.syncAll()
        for node in region.nodeIDs {
            let delayed = try thread(node, id)
            #expect(delayed.dueAt == due, "the original due time is kept for statistics")
            #expect(!delayed.isOverdue(now: Self.ms("2026-04-02T12:00:00+02:00")), "overdue counts from the announced date")
            #expect(delayed.isOverdue(now: Self.ms("2026-04-03T12:00:00.001+02:00")))
            #expect(delayed.state == .delayed)
        }
        at("b", "2026-04-02T12:00:00+02:00")
        try region["b"].act(on: id, .answer("Registered to Petar P."), auditedAs: staff)
        try region.syncAll()
        for node in region.nodeIDs {
            let answered = try thread(node, id)
            #expect(answered.respondedAt == Self.ms("2026-04-02T12:00:00+02:00") && answered.respondedAt! > answered.dueAt!, "late for the statistics")
            #expect(!answered.isOverdue(now: .max - 1))
        }
    }

    // MARK: Concurrency

    /// Both centres take steps concurrently and exchange them in random orders, relayed or not;
    /// then a fresh node applies every batch in a random interleaving of the streams. Every node
    /// ends with the same thread, state and due time.
    @Test(arguments: 0..<12) func concurrentEntriesGiveTheSameThreadInEveryOrder(_ seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &* 7919 &+ 17)
        let region = try Self.region(["a", "b", "c", "d"])
        let id = try region["a"].sendRequest(to: "b", form: .filled("Owner?", urgency: "urgent"), auditedAs: staff)
        try region["b"].pullChecked(from: region["a"])
        try region["b"].acknowledgeReceivedRequests()
        let requested: [RequestAction] = [
            .classify(direct: true), .classify(direct: false), .answer("All of it"), .partialAnswer("Part"),
            .refuse(whole: true, grounds: [.c], reasons: "Judge said no"), .refuse(whole: false, grounds: [.a, .h], reasons: "Some is foreign"),
            .askClarification("Which one?"), .announceDelay(reason: "court", until: Self.ms("2099-01-01T00:00:00Z")),
        ]
        let requester: [RequestAction] = [.giveClarification("This one"), .close]
        let pairs: [(NodeID, NodeID)] = [("a", "b"), ("b", "a"), ("a", "c"), ("c", "a"), ("b", "c"), ("c", "b")]
        for _ in 0..<6 {
            for node: NodeID in ["a", "b"].shuffled(using: &random) {
                region.clocks[node]!.advance(by: UInt64.random(in: 0..<120_000, using: &random))
                let pool = node == "a" ? requester : requested
                for _ in 0..<Int.random(in: 0...2, using: &random) {
                    // A step the local thread does not allow is refused; that is part of the run.
                    _ = try? region[node].act(on: id, pool.randomElement(using: &random)!, auditedAs: staff)
                }
                if Bool.random(using: &random) { try region[node].acknowledgeReceivedRequests() }
            }
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                let (to, from) = pairs.randomElement(using: &random)!
                try region[to].pullChecked(from: region[from])
            }
        }
        for _ in 0..<2 {
            for node: NodeID in ["a", "b"] { try region[node].acknowledgeReceivedRequests() }
            for node: NodeID in ["a", "b", "c"] {
                for other: NodeID in ["a", "b", "c"] where other != node { try region[node].pullChecked(from: region[other]) }
            }
        }
        // d meets every batch afresh, the streams interleaved at random.
        var queues = try ["a", "b", "c"].map { node in
            try region[node].streamPositions().filter { $0.origin == node }.flatMap { try region[node].batches(of: $0.stream, after: 0, limit: .max) }
        }
        while let index = queues.indices.filter({ !queues[$0].isEmpty }).randomElement(using: &random) {
            let batch = queues[index].removeFirst()
            _ = try region["d"].apply(envelope: batch.envelope)
        }
        let threads = try ["a", "b", "c", "d"].map { node in try #require(try Self.thread(of: id, at: region[NodeID(node)])) }
        for (node, thread) in zip(["b", "c", "d"], threads.dropFirst()) {
            #expect(thread == threads[0], "seed \(seed): \(node) differs from a")
        }
        #expect(try region.digests().count == 1, "seed \(seed)")
    }

    /// The thread of request `id` as `replica` folds it, whether or not it is a party.
    static func thread(of id: RecordID, at replica: Replica) throws -> RequestThread? {
        try replica.writer.read { db in
            try Replica.requestSummaries(db, where: "request.id = ?1", arguments: [id.description]).first?.thread
        }
    }
}
