import Foundation
import Records
import Replica
import SyncCore
import TestSupport
import Testing
import WireProtocol

/// The attacks of issue 20 against live `pccc serve` processes. `m` is an admitted member of
/// `region` only, with its own certificate and signing key; the test speaks the protocol as m
/// from docs/PROTOCOL.md, building m's batches with m's key. Each attack is judged by what
/// staff at the victims see, and each has its control: the centre entitled to the same action
/// does take effect.
@Suite(.serialized, .ownThread) struct HostileMemberTests {
    /// a and b share `ab`; c is in `region` only, like m. m talks to b; a, b and c sync.
    func makeRegion() throws -> LiveRegion {
        let region = try LiveRegion(
            nodes: ["a", "b", "c"],
            idle: ["m"],
            links: [LiveRegion.Link(from: "a", to: "b"), LiveRegion.Link(from: "b", to: "c"), LiveRegion.Link(from: "m", to: "b")],
            groups: ["region": ["a", "b", "c", "m"], "ab": ["a", "b"]]
        )
        for node in ["a", "b", "c"] { try region.start(node) }
        try region.waitUntil("a–b and b–c sessions", seconds: 20) { try region.isConnected("a", to: "b") && region.isConnected("c", to: "b") }
        return region
    }

    /// m's stream in `region`, batch after batch, as m would send it.
    final class HostileStream: @unchecked Sendable {
        let region: LiveRegion
        var seq: UInt64 = 0
        var previous = BatchHeader.zeroHash

        init(_ region: LiveRegion) { self.region = region }

        func now(_ counter: UInt16 = 0) -> HybridTimestamp {
            HybridTimestamp(milliseconds: ReplicaConfiguration.systemMilliseconds(), counter: counter)
        }

        func newID(_ kind: String) -> RecordID {
            RecordID.make(milliseconds: ReplicaConfiguration.systemMilliseconds(), boundTo: RecordBinding(origin: "m", group: "region", kind: kind))
        }

        /// Signs the next batch of m's stream and sends it to b, then PING; returns once b has
        /// answered the PING (so it read and applied the batch) and acknowledged the batch.
        func send(_ changes: [Change]) async throws {
            seq += 1
            let batch = try SignedBatch.make(
                network: "test-region", origin: "m", group: "region", seq: seq, prevHash: previous, leaves: changes.map { .full($0) },
                signingKey: region.signingKeys["m"]!
            )
            previous = batch.header.hash
            let stream = StreamID(origin: "m", group: "region")
            let sent = seq
            let m = region.issued["m"]!
            let reply = try await RawTLSClient.exchange(
                port: region.ports["b"]!, certificatePEM: m.certificatePEM, keyPEM: m.privateKeyPEM,
                send: RawTLSClient.opening(node: "m") + PeerMessage.batch(batch.envelope).frame.bytes
            ) { messages in
                messages.contains {
                    if case .ack(let heads) = $0 { (heads[stream] ?? 0) >= sent } else if case .error = $0 { true } else { false }
                }
            }
            for case .error(let code, let message) in reply.messages {
                throw TestFailure("b refused m's batch \(sent): \(code) \(message)")
            }
        }
    }

    func fields(_ record: [String: Any]?) -> [String: String] {
        let fields = record?["fields"] as? [String: [String: Any]] ?? [:]
        return fields.compactMapValues { $0["value"] as? String }
    }

    @Test func aMemberOfRegionCannotEraseOrAnnotateARecordOfAb() async throws {
        let region = try makeRegion()
        let p = try region.addRecord(at: "a", group: "ab", ["family_name": "Protected", "alert": "wanted"])
        try region.waitUntil("P at b", seconds: 20) { try region.record(at: "b", p) != nil }
        let pID = try #require(RecordID(p))
        let m = HostileStream(region)
        try await m.send([
            Change(kind: "person", recordID: pID, hlc: m.now(), operation: .erase(reason: "forged")),
            Change(
                kind: "hit", recordID: m.newID("hit"), hlc: m.now(1),
                operation: .append([FieldWrite("record_id", p), FieldWrite("place", "Forged place")])
            ),
            Change(
                kind: "note", recordID: m.newID("note"), hlc: m.now(2),
                operation: .append([FieldWrite("record_id", p), FieldWrite("text", "Forged note")])
            ),
        ])
        // m's batch travels on to c and a like any other; wait for it there, then look.
        try region.waitUntil("m's batch at a and c", seconds: 20) {
            try region.heldSeq(at: "a", origin: "m", group: "region") == 1 && region.heldSeq(at: "c", origin: "m", group: "region") == 1
        }
        for node in ["a", "b"] {
            let shown = try #require(try region.record(at: node, p), "\(node) lost P to m's erasure")
            #expect(fields(shown)["family_name"] == "Protected")
            #expect((shown["hits"] as? [Any])?.isEmpty == true && (shown["notes"] as? [Any])?.isEmpty == true, "\(node) shows m's hit or note")
        }
        #expect(try region.record(at: "c", p) == nil, "c holds a record of ab")
        #expect(try region.digest(at: "a", group: "ab") == region.digest(at: "b", group: "ab"))
        let shownAtB = try region.record(at: "b", p)
        print(
            "hostile member: m's erasure, hit and note on P of ab → b shows P as \(fields(shownAtB)["family_name"] ?? "gone") with "
                + "\((shownAtB?["hits"] as? [Any])?.count ?? -1) hits and \((shownAtB?["notes"] as? [Any])?.count ?? -1) notes; c holds P: \(try region.record(at: "c", p) != nil)"
        )

        // The control: b notes, a (the owner) erases.
        try region.pccc(["note", "add", p, "--data", region.folder("b"), "--text", "Seen by b"])
        try region.waitUntil("b's note at a", seconds: 20) { (try region.record(at: "a", p)?["notes"] as? [Any])?.count == 1 }
        try region.pccc(["record", "erase", p, "--data", region.folder("a"), "--reason", "court_order"])
        try region.waitUntil("a's erasure at b", seconds: 20) { try region.record(at: "b", p)?["reason"] as? String == "court_order" }
    }

    @Test func aMemberCannotBorrowAnIdOrStepIntoARequestsWorkflow() async throws {
        let region = try makeRegion()
        let r = try region.pccc(
            [
                "request", "new", "--data", region.folder("a"), "--to", "b", "--urgency", "urgent", "--question", "Owner of NI-123?",
                "--group", "region",
            ] + requestFormFlags(urgent: true))
        func listed(at node: String) throws -> [[String: Any]] {
            let text = try region.pccc(["request", "list", "--data", region.folder(node), "--json", "--purpose", "test"])
            guard let list = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
                throw TestFailure("request list at \(node) printed no JSON list: \(text)")
            }
            return list
        }
        try region.waitUntil("R acknowledged by b, seen at a", seconds: 20) {
            try listed(at: "a").first { $0["id"] as? String == r }?["status"] as? String == "received"
        }
        let due = try #require(try listed(at: "a").first { $0["id"] as? String == r }?["due_at"] as? String)
        let rID = try #require(RecordID(r))
        let m = HostileStream(region)
        try await m.send([
            Change(kind: "person", recordID: rID, hlc: m.now(), operation: .create([FieldWrite("family_name", "Shadow")])),
            Change(
                kind: "request", recordID: rID, hlc: m.now(1),
                operation: .update([FieldWrite("status", "closed"), FieldWrite("due_at", "2099-12-31T00:00:00.000Z")])
            ),
            Change(
                kind: "request", recordID: m.newID("request"), hlc: m.now(2),
                operation: .create([
                    FieldWrite("from_node", "a"), FieldWrite("to_node", "b"), FieldWrite("urgency", "standard"),
                    FieldWrite("question", "Posing as a"), FieldWrite("status", "open"),
                ])
            ),
        ])
        try region.waitUntil("m's batch at a", seconds: 20) { try region.heldSeq(at: "a", origin: "m", group: "region") == 1 }
        for node in ["a", "b"] {
            let shown = try #require(try region.record(at: node, r))
            #expect(shown["kind"] as? String == "request", "\(node) shows R as \(shown["kind"] ?? "nothing")")
            #expect(fields(shown)["status"] == "acknowledged", "\(node): m moved R's status")
        }
        #expect(try listed(at: "a").first { $0["id"] as? String == r }?["due_at"] as? String == due, "m moved R's deadline")
        #expect(try listed(at: "b").map { $0["id"] as? String } == [r], "b lists m's request as coming from a")
        let shownR = try region.record(at: "b", r)
        print(
            "hostile member: m's person with R's id, R closed and re-dated, a request posing as a → b shows R as a \(shownR?["kind"] ?? "nothing") "
                + "with status \(fields(shownR)["status"] ?? "none"), due \(try listed(at: "a").first { $0["id"] as? String == r }?["due_at"] ?? "?"); "
                + "b lists \(try listed(at: "b").count) request(s)"
        )

        // The control: b answers, a closes; locally, a third centre cannot.
        let refused = try PCCCExecutable.run(["record", "update", r, "--data", region.folder("c"), "--set", "status=closed"])
        #expect(refused.status == 1 && refused.error.contains("only the requesting centre a sets status closed"), "\(refused.error)")
        try region.pccc(["request", "answer", r, "--data", region.folder("b"), "--text", "Petar P."])
        try region.waitUntil("b's answer at a", seconds: 20) { try fields(region.record(at: "a", r))["answer"] == "Petar P." }
        try region.pccc(["request", "close", r, "--data", region.folder("a")])
        try region.waitUntil("a's close at b", seconds: 20) { try fields(region.record(at: "b", r))["status"] == "closed" }
        #expect(try region.digest(at: "a", group: "region") == region.digest(at: "b", group: "region"))
    }

    @Test func aFloodOfRequestsCostsTheRequestedCentreAFewBatches() async throws {
        let region = try makeRegion()
        let before = try region.heldSeq(at: "b", origin: "b", group: "region")
        let m = HostileStream(region)
        let hlc = m.now()
        try await m.send(
            (0..<2_000).map { index in
                Change(
                    kind: "request", recordID: m.newID("request"),
                    hlc: HybridTimestamp(milliseconds: hlc.milliseconds, counter: UInt16(index)),
                    operation: .create([
                        FieldWrite("from_node", "m"), FieldWrite("to_node", "b"), FieldWrite("urgency", "standard"),
                        FieldWrite("question", "Flood \(index)"), FieldWrite("status", "open"),
                    ])
                )
            }
        )
        // b acknowledges what it received; wait until the acknowledgements reach c, then count.
        let grown = try region.waitUntil("b's acknowledgements of m's 2,000 requests at c", seconds: 60) {
            let text = try region.pccc(["request", "list", "--data", region.folder("b"), "--incoming", "--json", "--purpose", "test"])
            let list = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
            let bHead = try region.heldSeq(at: "b", origin: "b", group: "region")
            let cHead = try region.heldSeq(at: "c", origin: "b", group: "region")
            return list.count == 2_000 && list.allSatisfy { $0["status"] as? String == "received" } && cHead == bHead
        }
        let batches = try region.heldSeq(at: "b", origin: "b", group: "region") - before
        print("hostile member: 2,000 requests in one batch → b acknowledged them in \(batches) batches (\(String(format: "%.1f", grown)) s)")
        #expect(batches <= 4, "b's stream grew by \(batches) batches")
    }

    @Test func textAPeerChoosesCannotForgeALogLine() async throws {
        let region = try makeRegion()
        let m = region.issued["m"]!
        let forged = "ok\n2026-01-01T00:00:00+0000 warning pccc.b : FORGED line\u{1b}[2J\u{202e}"
        let reply = try await RawTLSClient.exchange(
            port: region.ports["b"]!, certificatePEM: m.certificatePEM, keyPEM: m.privateKeyPEM,
            send: RawTLSClient.opening(node: "m") + PeerMessage.error(code: "bye\r\nFORGED code", message: forged).frame.bytes
        )
        #expect(reply.closedByNode || reply.error == nil)
        try region.waitUntil("b to log m's ERROR", seconds: 20) { region.log("b").contains("peer m closed the session") }
        let lines = region.log("b").split(separator: "\n")
        let logged = try #require(lines.first { $0.contains("peer m closed the session") })
        #expect(logged.contains("bye\\u{d}\\u{a}FORGED code") && logged.contains("\\u{a}2026-01-01") && logged.contains("\\u{1b}[2J\\u{202e}"), "\(logged)")
        #expect(!lines.contains { $0.hasPrefix("2026-01-01") || $0.hasPrefix("FORGED") }, "a peer wrote its own line into b's log")
    }

    @Test func aRelayCannotCensorAChangeByRedactingIt() async throws {
        let region = try LiveRegion(
            nodes: ["a", "b", "c"],
            idle: ["m"],
            links: [LiveRegion.Link(from: "a", to: "b"), LiveRegion.Link(from: "b", to: "c"), LiveRegion.Link(from: "m", to: "b")],
            groups: ["region": ["a", "b", "c", "m"]]
        )
        // a is down; its record exists only in its own replica, and m is the only way to b.
        let p = try region.addRecord(at: "a", group: "region", ["family_name": "Censored"])
        let relayed = try region.writeStream(of: "a", group: "region")
        let original = try #require(try region.openReplica("a").batches(of: relayed, after: 0, limit: 1).first)
        let censored = original.replacingLeaves(try original.verifiedLeaves().map(\.redacted))
        try region.start("b", api: true)
        try region.start("c")
        try region.waitUntil("b–c session", seconds: 20) { try region.isConnected("c", to: "b") }

        let m = region.issued["m"]!
        let streams = ["a", "b", "c", "m"].map { StreamID(origin: $0, group: "region") } + [relayed]
        let want = Dictionary(uniqueKeysWithValues: streams.map { ($0, $0 == relayed ? UInt64(2) : 1) })
        _ = try await RawTLSClient.exchange(
            port: region.ports["b"]!, certificatePEM: m.certificatePEM, keyPEM: m.privateKeyPEM,
            send: PeerMessage.hello(Hello(network: "test-region", nodeID: "m", topologyDigest: Array(repeating: 0, count: 32), softwareVersion: "test"))
                .frame.bytes + PeerMessage.want(want).frame.bytes + PeerMessage.batch(censored.envelope).frame.bytes
        ) { messages in
            messages.contains { if case .ack(let heads) = $0 { heads[relayed] == 1 } else if case .error = $0 { true } else { false } }
        }
        try region.waitUntil("the redacted_without_tombstone alarm at b", seconds: 20) {
            try region.statusList(at: "b", "alarms").contains {
                $0["code"] as? String == "redacted_without_tombstone" && $0["subject"] as? String == "\(relayed)#1"
                    && ($0["message"] as? String)?.contains("relayed by m") == true
            }
        }
        #expect(try region.record(at: "b", p) == nil, "b shows a change it only holds redacted")
        #expect(try region.metric("b", #"pccc_alarms_by_code{code="redacted_without_tombstone"}"#) == 1)
        print("hostile member: m relays a's batch with P's leaf redacted → b acknowledges it, raises redacted_without_tombstone for \(relayed)#1, shows no P")

        // a comes up: b asks it for the batch again, stores it in full and applies it.
        try region.start("a")
        let repaired = try region.waitUntil("P at b, from the full batch", seconds: 30) { try region.record(at: "b", p) != nil }
        try region.waitUntil("b's alarm cleared", seconds: 20) {
            try !region.statusList(at: "b", "alarms").contains { $0["code"] as? String == "redacted_without_tombstone" }
        }
        #expect(try region.metric("b", #"pccc_alarms_by_code{code="redacted_without_tombstone"}"#) == 0)
        // c took the redacted copy from b before the repair; its next session with b mends it too.
        region.stop("c")
        try region.start("c")
        try region.waitUntil("P at c after c's next session with b", seconds: 30) { try region.record(at: "c", p) != nil }
        print("hostile member: a's full batch repaired b \(String(format: "%.2f", repaired)) s after a started; c mended at its next session")
        #expect(try region.digest(at: "b", group: "region") == region.digest(at: "a", group: "region"))
    }
}
