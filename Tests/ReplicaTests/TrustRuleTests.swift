import Foundation
import GRDB
import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// What a change may touch (docs/PROTOCOL.md §6), on real replicas: `m` is an admitted member
/// of `region` only, and signs with its own key the changes the rules do not give it. Every
/// replica, m's own included, ignores them alike; each test also shows the entitled centre
/// doing the same thing with effect.
@Suite(.ownThread) struct TrustRuleTests {
    static let groups: [GroupID: Set<NodeID>] = ["region": ["a", "b", "c", "m"], "ab": ["a", "b"]]
    let ana = AuditActor(user: "ana", purpose: "trust rule test")

    /// Delivers every batch any replica holds to every member of its group, until nothing moves.
    func spread(_ region: TestRegion, _ forged: [SignedBatch] = []) throws {
        for batch in forged {
            for node in region.nodeIDs where Self.groups[batch.header.group]!.contains(node) {
                _ = try region[node].apply(envelope: batch.envelope)
            }
        }
        var moved = true
        while moved {
            moved = false
            for source in region.nodeIDs {
                for target in region.nodeIDs where target != source {
                    let before = try region[target].streamPositions()
                    for batch in try region.batches(of: source) where Self.groups[batch.header.group]!.contains(target) {
                        _ = try region[target].apply(envelope: batch.envelope)
                    }
                    moved = try moved || region[target].streamPositions() != before
                }
            }
        }
    }

    func expectConverged(_ region: TestRegion, _ message: String) throws {
        for (group, members) in Self.groups {
            let digests = Set(try members.map { try region[$0].digest(group: group) })
            #expect(digests.count == 1, "\(message): group \(group) diverged")
        }
    }

    @Test func aMemberOutsideTheGroupCannotEraseChangeOrAnnotateItsRecord() throws {
        let region = try TestRegion(nodes: ["a", "b", "c", "m"], groups: Self.groups)
        let p = try region["a"].create(
            .person, in: "ab", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Protected"), FieldWrite("alert", "wanted")])
        try spread(region)
        let hlc = region.hlc("m", counter: 9)
        let forged = try region.signed(
            by: "m",
            [
                Change(kind: "person", recordID: p, hlc: hlc, operation: .update([FieldWrite("alert", "none"), FieldWrite("given_name", "Forged")])),
                Change(
                    kind: "hit", recordID: RecordID.make(milliseconds: hlc.milliseconds, boundTo: RecordBinding(origin: "m", group: "region", kind: "hit")),
                    hlc: hlc, operation: .append([FieldWrite("record_id", p.description), FieldWrite("place", "Forged place")])
                ),
                Change(
                    kind: "note", recordID: RecordID.make(milliseconds: hlc.milliseconds, boundTo: RecordBinding(origin: "m", group: "region", kind: "note")),
                    hlc: hlc, operation: .append([FieldWrite("record_id", p.description), FieldWrite("text", "Forged note")])
                ),
                Change(kind: "person", recordID: p, hlc: hlc, operation: .erase(reason: "forged")),
            ]
        )
        try spread(region, [forged])
        for node: NodeID in ["a", "b"] {
            #expect(try region[node].heldSeq(origin: "m", group: "region") == 1, "\(node) stores and relays m's batch")
            let record = try #require(try region[node].live(p), "\(node) lost a's record to m's erasure")
            #expect(record.values["alert"] == "wanted" && record.values["given_name"] == nil)
            guard case .live(_, let attachments, _) = try region[node].consult(p, auditedAs: ana) else { throw ScenarioFailure("gone") }
            #expect(attachments.isEmpty, "\(node) shows m's hit or note on a record of ab")
        }
        for node: NodeID in ["c", "m"] {
            #expect(try region[node].digest(group: "ab") == StateDigest().finalize(), "\(node) holds data of ab")
        }
        try expectConverged(region, "after m's batch")

        // The control: b, a member of ab, annotates and changes it; a, its owner, erases it.
        _ = try region["b"].append(.note, [FieldWrite("record_id", p.description), FieldWrite("text", "Seen by b")])
        try region["b"].update(p, [FieldWrite("given_name", "Real")])
        try spread(region)
        guard case .live(let record, let attachments, _) = try region["a"].consult(p, auditedAs: ana) else { throw ScenarioFailure("gone") }
        #expect(record.values["given_name"] == "Real" && attachments.map(\.values["text"]) == ["Seen by b"])
        try region["a"].erase(p, reason: "court_order")
        try spread(region)
        #expect(try region["b"].lookup(p) != .unknown && region["b"].live(p) == nil, "the owner's erasure reaches b")
        try expectConverged(region, "after the owner's erasure")
    }

    @Test func anIdIsOneRecordOfOneKindMadeByOneStream() throws {
        let region = try TestRegion(nodes: ["a", "b", "c", "m"], groups: Self.groups)
        let request = try region["a"].sendRequest(to: "b", form: .filled("Owner?"), group: "region", auditedAs: ana)
        let person = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Original")])
        try spread(region)
        let hlc = region.hlc("m", counter: 3)
        let forged = try region.signed(
            by: "m",
            [
                Change(kind: "person", recordID: request, hlc: hlc, operation: .create([FieldWrite("family_name", "Shadow")])),
                Change(kind: "vehicle", recordID: person, hlc: hlc, operation: .create([FieldWrite("plate", "SHADOW-1")])),
                Change(kind: "person", recordID: person, hlc: hlc, operation: .create([FieldWrite("family_name", "Hijacked")])),
            ]
        )
        try spread(region, [forged])
        for node in region.nodeIDs {
            #expect(try region[node].live(request)?.kind == .request, "\(node) shows the request as something else")
            #expect(try region[node].live(person)?.values["family_name"] == "Original", "\(node) let m take over a's id")
        }
        try region["b"].act(on: request, .answer("Nobody"), auditedAs: ana)
        try spread(region)
        #expect(try region["a"].requests(id: request).first?.answer == "Nobody")
        try expectConverged(region, "after m's borrowed ids")
    }

    @Test func aBorrowedIdIsIgnoredEvenWhereItArrivesBeforeTheRealCreate() throws {
        let region = try TestRegion(nodes: ["a", "b", "c", "m"], groups: Self.groups)
        let request = try region["a"].sendRequest(to: "b", form: .filled("Owner?"), group: "region", auditedAs: ana)
        let forged = try region.signed(
            by: "m", [Change(kind: "person", recordID: request, hlc: region.hlc("m"), operation: .create([FieldWrite("family_name", "First")]))]
        )
        // c holds m's create before a's request: the binding, not the order, decides.
        #expect(try region["c"].apply(envelope: forged.envelope) == .applied(changes: 1))
        #expect(try region["c"].lookup(request) == .unknown)
        try spread(region, [forged])
        #expect(try region["c"].live(request)?.kind == .request)
        try expectConverged(region, "after the race")
    }

    @Test func aRequestMovesOnlyByTheHandsItsWorkflowGivesItTo() throws {
        let region = try TestRegion(nodes: ["a", "b", "c", "m"], groups: Self.groups)
        let request = try region["a"].sendRequest(to: "b", form: .filled("Owner?", urgency: "urgent"), group: "region", auditedAs: ana)
        try spread(region)
        try region["b"].acknowledgeReceivedRequests()
        try spread(region)
        let due = try #require(try region["a"].requests(id: request).first?.dueAt)
        let hlc = region.hlc("m", counter: 7)
        let forged = try region.signed(
            by: "m",
            [
                Change(
                    kind: "request", recordID: request, hlc: hlc,
                    operation: .update([
                        FieldWrite("status", "closed"), FieldWrite("due_at", "2099-12-31T00:00:00.000Z"), FieldWrite("answer", "Forged answer"),
                        FieldWrite("question", "Forged question"),
                    ])
                ),
                Change(
                    kind: "request",
                    recordID: RecordID.make(milliseconds: hlc.milliseconds, boundTo: RecordBinding(origin: "m", group: "region", kind: "request")),
                    hlc: hlc,
                    operation: .create([
                        FieldWrite("from_node", "a"), FieldWrite("to_node", "b"), FieldWrite("urgency", "standard"), FieldWrite("question", "Posing as a"),
                        FieldWrite("status", "open"),
                    ])
                ),
            ]
        )
        try spread(region, [forged])
        for node in region.nodeIDs {
            let held = try #require(try region[node].live(request))
            #expect(held.values["status"] == "acknowledged" && held.values["answer"] == nil && held.values["question"] == "Owner?", "\(node): \(held.values)")
        }
        #expect(try region["a"].requests(id: request).first?.dueAt == due, "m moved the deadline")
        #expect(try region["b"].requests(.incoming).map(\.id) == [request.description], "b lists m's request as a's")

        // Locally, whatever the command, the same rules refuse with one sentence.
        #expect(throws: ReplicaError(.notAllowed, "only the requested centre b writes answer of this request")) {
            try region["a"].update(request, [FieldWrite("answer", "Self-answered")])
        }
        #expect(throws: ReplicaError(.notAllowed, "only the requesting centre a sets status closed of this request")) {
            try region["b"].update(request, [FieldWrite("status", "closed")])
        }
        #expect(throws: ReplicaError.self) { try region["c"].update(request, [FieldWrite("status", "answered")]) }
        #expect(throws: ReplicaError(.notAllowed, "a request made here is from this centre: from_node must be c")) {
            try region["c"].create(.request, in: "region", RequestForm.filled("?").writes(from: "a", to: "b"))
        }

        // The control: b answers, a closes; after that nothing changes it.
        try region["b"].act(on: request, .answer("Petar P."), auditedAs: ana)
        try spread(region)
        try region["a"].act(on: request, .close, auditedAs: ana)
        try spread(region)
        for node in region.nodeIDs {
            let held = try #require(try region[node].live(request))
            #expect(held.values["status"] == "closed" && held.values["answer"] == "Petar P.")
        }
        #expect(throws: ReplicaError(.notAllowed, "request \(request) is closed; nothing in it changes any more")) {
            try region["b"].update(request, [FieldWrite("answer", "Late")])
        }
        try expectConverged(region, "after the workflow")
    }

    @Test func onlyTheOwnerErasesAndOthersAskIt() throws {
        let region = try TestRegion(nodes: ["a", "b", "c", "m"], groups: Self.groups)
        let p = try region["a"].create(.person, in: "ab", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Kept")])
        try spread(region)
        #expect(throws: ReplicaError.self, "b's staff cannot erase a's record") { try region["b"].erase(p, reason: "court_order") }
        let forged = try region.signed(
            by: "b", group: "ab", [Change(kind: "person", recordID: p, hlc: region.hlc("b"), operation: .erase(reason: "court_order"))])
        try spread(region, [forged])
        #expect(try region["a"].live(p) != nil && region["b"].live(p) != nil, "a member's erasure of another centre's record counts nowhere")

        let asked = try region["b"].requestErasure(of: p, reason: "court_order", text: "Judgment 17/2026", auditedAs: ana)
        #expect(throws: ReplicaError.self, "the owner erases its own, it does not ask") {
            try region["a"].requestErasure(of: p, reason: "court_order", text: nil, auditedAs: ana)
        }
        try spread(region)
        let seen = try region["a"].erasureRequests()
        #expect(seen.map(\.id) == [asked.description] && seen.first?.from == "b" && seen.first?.reason == "court_order")
        #expect(seen.first?.text == "Judgment 17/2026" && seen.first?.recordID == p.description)
        #expect(try region["b"].erasureRequests().isEmpty, "only the owner's list shows it")

        try region["a"].erase(p, reason: "court_order")
        try spread(region)
        for node: NodeID in ["a", "b"] {
            #expect(try region[node].live(p) == nil && region[node].erasureRequests().isEmpty)
        }
        try expectConverged(region, "after the owner acted")
    }

    @Test func aNoteAboutAHitGoesWithTheErasedRecordInEitherOrder() throws {
        let region = try TestRegion(nodes: ["a", "b", "c", "m"], groups: Self.groups)
        let p = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Seen")])
        try spread(region)
        let hit = try region["b"].append(.hit, [FieldWrite("record_id", p.description), FieldWrite("place", "Gate 3")])
        try spread(region)
        _ = try region["c"].append(.note, [FieldWrite("record_id", hit.description), FieldWrite("text", "About the hit")])
        // The owner erases the person: its hit goes, and the note about the hit with it.
        try region["a"].erase(p, reason: "court_order")
        let note = try #require(try region["c"].batches(of: StreamID(origin: "c", group: "region"), after: 0).last)
        let erasure = try #require(try region["a"].batches(of: StreamID(origin: "a", group: "region"), after: 0).last)
        // b meets the note, then the erasure; m the other way round.
        for envelope in [note.envelope, erasure.envelope] { _ = try region["b"].apply(envelope: envelope) }
        for envelope in [erasure.envelope, note.envelope] { _ = try region["m"].apply(envelope: envelope) }
        #expect(try region["b"].digest(group: "region") == region["m"].digest(group: "region"))
        #expect(try region["b"].digest(group: "region") == region["a"].digest(group: "region"))
    }

    @Test func receiptsAreAcknowledgedInOneBatchNotOnePerRequest() throws {
        let region = try TestRegion(nodes: ["a", "b", "c", "m"], groups: Self.groups)
        let hlc = region.hlc("m")
        var changes: [Change] = []
        for index in 0..<2_000 {
            changes.append(
                Change(
                    kind: "request",
                    recordID: RecordID.make(milliseconds: hlc.milliseconds, boundTo: RecordBinding(origin: "m", group: "region", kind: "request")),
                    hlc: HybridTimestamp(milliseconds: hlc.milliseconds, counter: UInt16(index)),
                    operation: .create([
                        FieldWrite("from_node", index < 1_990 ? "m" : "a"), FieldWrite("to_node", "b"), FieldWrite("urgency", "standard"),
                        FieldWrite("question", "Flood \(index)"), FieldWrite("status", "open"),
                    ])
                )
            )
        }
        let flood = try region.signed(by: "m", changes)
        #expect(try region["b"].apply(envelope: flood.envelope) == .applied(changes: 2_000))
        let acknowledged = try region["b"].acknowledgeReceivedRequests()
        #expect(acknowledged == 1_990, "the ten posing as a's are no requests at all")
        #expect(try region["b"].heldSeq(origin: "b", group: "region") == 4, "1,990 acknowledgements take four batches of at most 500")
        #expect(try region["b"].requests(.incoming).allSatisfy { $0.status == "received" })
    }

    @Test func changesWaitingForARecordAreBoundedPerOrigin() throws {
        let region = try TestRegion(nodes: ["a", "b", "c", "m"], groups: Self.groups) { $0.maxOrphansPerOrigin = 50 }
        let hlc = region.hlc("m")
        let flood = try region.signed(
            by: "m",
            (0..<80).map { index in
                Change(
                    kind: "person", recordID: RecordID.make(milliseconds: hlc.milliseconds), hlc: hlc,
                    operation: .update([FieldWrite("given_name", "Orphan \(index)")])
                )
            }
        )
        #expect(try region["b"].apply(envelope: flood.envelope) == .applied(changes: 80))
        #expect(try region["b"].alarms().contains { $0.code == "orphans_full" && $0.subject == "m" })
        // Another origin's orphans still wait: m's flood took only m's share.
        let p = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Late")])
        try region["c"].pullChecked(from: region["a"])
        try region["c"].update(p, [FieldWrite("given_name", "Waited")])
        for batch in try region["c"].batches(of: StreamID(origin: "c", group: "region"), after: 0) { _ = try region["b"].apply(envelope: batch.envelope) }
        try region["b"].pullChecked(from: region["a"])
        #expect(try region["b"].live(p)?.values["given_name"] == "Waited")
    }

    @Test func aQuarantinedForkIsRedactedWhenItsRecordIsErased() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a", "b", "c", "m"], groups: Self.groups, directory: folder.url)
        let p = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Plain")])
        try region["b"].pullChecked(from: region["a"])
        // Another seq 1 of a's stream, signed with a's key: a fork, kept at b as evidence.
        let fork = try SignedBatch.make(
            network: TestRegion.network, origin: "a", group: "region", seq: 1, prevHash: BatchHeader.zeroHash,
            leaves: [
                .full(Change(kind: "person", recordID: p, hlc: region.hlc("a", counter: 1), operation: .update([FieldWrite("aliases", "Quarantinedalias")])))
            ],
            signingKey: region.keys["a"]!
        )
        guard case .forked = try region["b"].apply(envelope: fork.envelope) else { throw ScenarioFailure("no fork") }
        let path = folder.url.appendingPathComponent("b.sqlite").path
        #expect(try Self.quarantinedValues(path) == ["Quarantinedalias"], "the test needs the value stored")
        try region["a"].erase(p, reason: "court_order")
        try region["b"].pullChecked(from: region["a"])
        #expect(try Self.quarantinedValues(path).isEmpty)
        #expect(try ErasureScrubTests.occurrences(of: ["Quarantinedalias"], inReplicaAt: path).isEmpty)
    }

    @Test func aRedactionNoErasureExplainsRaisesTheAlarmAndAFullCopyRepairsIt() throws {
        let region = try TestRegion(nodes: ["a", "b", "c", "m"], groups: Self.groups)
        let p = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Censored")])
        let original = try #require(try region["a"].batches(of: StreamID(origin: "a", group: "region"), after: 0).first)
        // m relays a's batch with P's leaf in its redacted form: the signature still verifies.
        let censored = original.replacingLeaves(try original.verifiedLeaves().map(\.redacted))
        #expect(try region["c"].apply(envelope: censored.envelope, relayedBy: "m") == .applied(changes: 0))
        #expect(try region["c"].lookup(p) == .unknown)
        let heads = [StreamPosition(StreamID(origin: "a", group: "region"), seq: 1)]
        let check = try region["c"].checkRedactions(caughtUpWith: "m", through: heads)
        #expect(check.suspect == [StreamPosition(StreamID(origin: "a", group: "region"), seq: 1)])
        let alarm = try #require(try region["c"].alarms().first { $0.code == "redacted_without_tombstone" })
        #expect(alarm.subject == "a/region#1" && alarm.message.contains("relayed by m"))
        // A relay that never lets a catch-up complete is judged by age all the same.
        #expect(try region["b"].apply(envelope: censored.envelope, relayedBy: "m") == .applied(changes: 0))
        #expect(try region["b"].checkStaleRedactions(olderThan: 60_000).isEmpty, "not a minute old yet")
        region.clocks["b"]!.advance(by: 60_000)
        #expect(try region["b"].checkStaleRedactions(olderThan: 60_000) == [StreamPosition(StreamID(origin: "a", group: "region"), seq: 1)])
        #expect(try region["b"].alarms().contains { $0.code == "redacted_without_tombstone" })
        // The same batch from b, in full: stored in place of the redacted copy, and applied.
        #expect(try region["c"].apply(envelope: original.envelope, relayedBy: "b") == .applied(changes: 1))
        #expect(try region["c"].live(p)?.values["family_name"] == "Censored")
        #expect(try region["c"].alarms().allSatisfy { $0.code != "redacted_without_tombstone" })
        #expect(try region["c"].batches(of: StreamID(origin: "a", group: "region"), after: 0) == [original])
        #expect(try region["c"].apply(envelope: original.envelope, relayedBy: "b") == .duplicate)

        // The control: redaction after the owner's erasure is explained by it, and raises nothing.
        try region["a"].erase(p, reason: "court_order")
        for batch in try region["a"].batches(of: StreamID(origin: "a", group: "region"), after: 0) {
            _ = try region["c"].apply(envelope: batch.envelope, relayedBy: "a")
            _ = try region["b"].apply(envelope: batch.envelope, relayedBy: "a")
        }
        #expect(try region["b"].alarms().allSatisfy { $0.code != "redacted_without_tombstone" }, "the erasure that arrived late explains it")
        let relayed = try #require(try region["c"].batches(of: StreamID(origin: "a", group: "region"), after: 0).first)
        #expect(try relayed.verifiedLeaves().allSatisfy { if case .redacted = $0 { true } else { false } })
        for batch in try region["c"].batches(of: StreamID(origin: "a", group: "region"), after: 0) {
            _ = try region["m"].apply(envelope: batch.envelope, relayedBy: "c")
        }
        let explained = try region["m"].checkRedactions(caughtUpWith: "c", through: [StreamPosition(StreamID(origin: "a", group: "region"), seq: 2)])
        #expect(explained == RedactionCheck())
        #expect(try region["m"].alarms().isEmpty)
    }

    /// Every field value in a full leaf of a quarantined envelope, read straight from the file.
    static func quarantinedValues(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path, configuration: SQLiteLibrary.configuration()).read { db in
            try Data.fetchAll(db, sql: "SELECT envelope FROM quarantine").flatMap { envelope in
                let batch = try SignedBatch.decode(envelope: Array(envelope), limits: .default)
                return try batch.verifiedLeaves().flatMap { leaf -> [String] in
                    guard case .full(let change) = leaf else { return [] }
                    return change.fieldWrites.compactMap(\.value)
                }
            }
        }
    }
}

extension Replica {
    /// The last seq this replica holds of one stream.
    func heldSeq(origin: NodeID, group: GroupID) throws -> UInt64 {
        try streamPositions().first { $0.origin == origin && $0.group == group }?.seq ?? 0
    }
}
