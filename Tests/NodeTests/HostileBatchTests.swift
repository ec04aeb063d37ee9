import Foundation
import Records
import Replica
import SyncCore
import TestSupport
import Testing
import WireProtocol

/// A linked peer with a valid certificate and its own pinned signing key (d) sends b every kind
/// of bad batch. Each is answered as the protocol says (ERROR and close, an alarm, or a silent
/// no-op), b's visible state does not move, its memory stays bounded, and a keeps syncing.
@Suite(.serialized, .ownThread) struct HostileBatchTests {
    @Test func everyBadBatchIsRefusedWithoutChangingARowOrGrowingMemory() async throws {
        // b is not in "east", so nothing of it may reach b.
        let region = try LiveRegion(
            nodes: ["a", "b"],
            idle: ["d"],
            links: [LiveRegion.Link(from: "a", to: "b"), LiveRegion.Link(from: "d", to: "b")],
            groups: ["region": ["a", "b", "d"], "east": ["a", "d"]]
        )
        try region.start("b")
        try region.start("a")
        try region.waitUntil("a–b session", seconds: 10) { try region.isConnected("a", to: "b") }
        let owned = try region.addRecord(at: "a", group: "region", ["family_name": "Owned", "handling_code": "H1"])
        try region.waitUntil("a's record at b", seconds: 10) { try region.record(at: "b", owned) != nil }
        let d = region.issued["d"]!
        let dKey = region.signingKeys["d"]!
        let digestBefore = try region.digest(at: "b")
        let residentBefore = try region.residentBytes("b")
        let peakBefore = try region.residentBytes("b", peak: true)

        func exchange(_ bytes: [UInt8], until done: (@Sendable ([PeerMessage]) -> Bool)? = nil) async throws -> RawTLSClient.Reply {
            try await RawTLSClient.exchange(port: region.ports["b"]!, certificatePEM: d.certificatePEM, keyPEM: d.privateKeyPEM, send: bytes, until: done)
        }
        /// Sends `batch` and then PING: the PONG proves b read past the batch and kept the
        /// session, where waiting a while would prove nothing.
        func sendBatch(_ batch: SignedBatch) async throws -> RawTLSClient.Reply {
            let nonce: UInt64 = 0x5EED
            return try await exchange(
                RawTLSClient.opening(node: "d") + PeerMessage.batch(batch.envelope).frame.bytes + PeerMessage.ping(nonce).frame.bytes
            ) { messages in
                messages.contains { if case .pong(nonce) = $0 { true } else if case .error = $0 { true } else { false } }
            }
        }
        let helloArrived: @Sendable ([PeerMessage]) -> Bool = { messages in
            messages.contains { if case .hello = $0 { true } else { false } }
        }
        func now() -> HybridTimestamp {
            HybridTimestamp(milliseconds: ReplicaConfiguration.systemMilliseconds(), counter: 0)
        }
        func person(_ name: String) -> Change {
            Change(
                kind: "person", recordID: RecordID.make(milliseconds: ReplicaConfiguration.systemMilliseconds()), hlc: now(),
                operation: .create([FieldWrite("family_name", name)])
            )
        }
        func signed(_ changes: [Change], origin: NodeID = "d", group: GroupID = "region", seq: UInt64 = 1, key: BatchSigningKey? = nil) throws -> SignedBatch {
            try SignedBatch.make(
                network: "test-region", origin: origin, group: group, seq: seq, prevHash: BatchHeader.zeroHash, leaves: changes.map { .full($0) },
                signingKey: key ?? dKey
            )
        }
        /// The same signed header over another payload: the signature still verifies.
        func swapped(_ batch: SignedBatch, payload: [UInt8], rawLength: Int) -> SignedBatch {
            SignedBatch(header: batch.header, signature: batch.signature, payload: payload, rawLength: rawLength)
        }
        /// The refusal's code (and for batch_refused, the batch code the message starts with).
        func refusal(_ reply: RawTLSClient.Reply) -> String? {
            for case .error(let code, let message) in reply.messages {
                return code == "batch_refused" ? "batch_refused/" + (message.split(separator: ":").first.map(String.init) ?? "") : code
            }
            return nil
        }

        let good = try signed([person("Hostile")])
        let megabyteOfZeros = Zlib.deflate([UInt8](repeating: 0, count: 1 << 20))
        let gigabyteOfZeros = Zlib.deflate([UInt8](repeating: 0, count: 1 << 30))
        var flipped = good.payload
        flipped[flipped.count / 2] ^= 0x10
        let cases: [(name: String, bytes: [UInt8], expected: String)] = [
            ("a length field of 0", RawTLSClient.opening(node: "d") + [0, 0, 0, 0], "malformed_frame"),
            ("a length field of 2^31-1", RawTLSClient.opening(node: "d") + [0x7F, 0xFF, 0xFF, 0xFF, 0x03], "frame_too_large"),
            (
                "a batch of a's stream re-signed with the relay's own key",
                RawTLSClient.opening(node: "d") + PeerMessage.batch(try signed([person("Forged")], origin: "a").envelope).frame.bytes,
                "batch_refused/bad_signature"
            ),
            (
                "a batch with one flipped bit",
                RawTLSClient.opening(node: "d") + PeerMessage.batch(swapped(good, payload: flipped, rawLength: good.rawLength).envelope).frame.bytes,
                "batch_refused/"
            ),
            (
                "a double-compressed payload",
                RawTLSClient.opening(node: "d")
                    + PeerMessage.batch(swapped(good, payload: Zlib.deflate(good.payload), rawLength: good.payload.count).envelope).frame.bytes,
                "batch_refused/"
            ),
            (
                "a \(megabyteOfZeros.count)-byte payload inflating to 1 MiB, declared as 1 KiB",
                RawTLSClient.opening(node: "d") + PeerMessage.batch(swapped(good, payload: megabyteOfZeros, rawLength: 1024).envelope).frame.bytes,
                "batch_refused/"
            ),
            (
                "a \(gigabyteOfZeros.count)-byte payload inflating to 1 GiB, declared as 1 GiB",
                RawTLSClient.opening(node: "d") + PeerMessage.batch(swapped(good, payload: gigabyteOfZeros, rawLength: 1 << 30).envelope).frame.bytes,
                "batch_refused/inflate_limit"
            ),
            (
                "a \(gigabyteOfZeros.count)-byte payload inflating to 1 GiB, declared as 32 MiB",
                RawTLSClient.opening(node: "d") + PeerMessage.batch(swapped(good, payload: gigabyteOfZeros, rawLength: 32 << 20).envelope).frame.bytes,
                "batch_refused/"
            ),
            (
                "a gap in seq (3 before 1)", RawTLSClient.opening(node: "d") + PeerMessage.batch(try signed([person("Gap")], seq: 3).envelope).frame.bytes,
                "batch_refused/out_of_order"
            ),
            (
                "a batch of group east, which b is not in",
                RawTLSClient.opening(node: "d") + PeerMessage.batch(try signed([person("East")], group: "east").envelope).frame.bytes, "not_member"
            ),
        ]
        for (name, bytes, expected) in cases {
            let reply = try await exchange(bytes)
            let code = refusal(reply)
            #expect(code?.hasPrefix(expected) == true, "\(name): expected \(expected), got \(String(describing: code)) \(reply.messages)")
            #expect(reply.closedByNode, "\(name): the node must close the connection")
            #expect(try region.digest(at: "b") == digestBefore, "\(name) changed b")
            print("hostile: \(name) → ERROR \(code ?? "none"), closed")
        }

        // A truncated frame: the BATCH header promises more than ever comes; d closes once b has
        // said HELLO. b still waiting for the rest when the connection ends is what it logs then.
        let cut = Array(PeerMessage.batch(good.envelope).frame.bytes.prefix(40))
        let truncated = try await exchange(RawTLSClient.opening(node: "d") + cut, until: helloArrived)
        #expect(refusal(truncated) == nil, "a truncated frame is waited for, not answered")
        try region.waitUntil("b to see the connection end inside the frame", seconds: 30) {
            region.log("b").contains("the connection ended inside a frame (\(cut.count) bytes left)")
        }
        #expect(try region.heldSeq(at: "b", origin: "d", group: "region") == 0)

        // A replay: a's first batch, relayed again by d. Held already, so acknowledged, no change.
        let aFirst = try region.writeStream(of: "a", group: "region")
        let first = try region.openReplica("a").batches(of: aFirst, after: 0, limit: 1)
        let replayed = try await exchange(RawTLSClient.opening(node: "d") + PeerMessage.batch(try #require(first.first).envelope).frame.bytes) {
            $0.contains { if case .ack(let heads) = $0 { heads[aFirst] == 1 } else if case .error = $0 { true } else { false } }
        }
        #expect(refusal(replayed) == nil && !replayed.closedByNode, "a replay is a no-op, not an error")
        #expect(replayed.messages.contains { if case .ack(let heads) = $0 { heads[aFirst] == 1 } else { false } })

        // d writes handling_code, an owner-only field, on a's record: the batch is sound and
        // stored, but the write does not count.
        let ownerOnly = try signed([
            Change(kind: "person", recordID: try #require(RecordID(owned)), hlc: now(), operation: .update([FieldWrite("handling_code", "H3")]))
        ])
        let ownerReply = try await sendBatch(ownerOnly)
        #expect(refusal(ownerReply) == nil && !ownerReply.closedByNode)
        try region.waitUntil("b to store d's seq 1", seconds: 5) { try region.heldSeq(at: "b", origin: "d", group: "region") == 1 }
        let fields = try #require(try region.record(at: "b", owned)?["fields"] as? [String: [String: Any]])
        #expect(fields["handling_code"]?["value"] as? String == "H1" && fields["handling_code"]?["by"] as? String == "a")

        // A fork: another batch 1 of d's stream, validly signed. Quarantined, with an alarm.
        let fork = try await sendBatch(try signed([person("ForkTwin")]))
        #expect(refusal(fork) == nil && !fork.closedByNode, "a fork is quarantined and the session goes on")
        try region.waitUntil("a fork alarm in b's status", seconds: 5) {
            try region.statusList(at: "b", "alarms").contains { $0["code"] as? String == "fork" && $0["subject"] as? String == "d/region" }
        }
        #expect(try region.digest(at: "b") == digestBefore, "nothing d sent changed what b shows")
        for marker in ["Forged", "East", "Gap"] {
            #expect(region.replicaBytes("b").range(of: Data(marker.utf8)) == nil, "\(marker) reached b's files")
        }

        let growth = try region.residentBytes("b") - residentBefore
        let peakGrowth = try region.residentBytes("b", peak: true) - peakBefore
        print("hostile: b's resident memory grew \(growth / 1024) KiB over every case; its peak rose \(peakGrowth / 1024) KiB")
        #expect(peakGrowth < 64 << 20, "b's peak memory rose \(peakGrowth >> 20) MiB")
        #expect(region.isRunning("b"))
        let after = try region.addRecord(at: "a", group: "region", ["family_name": "AfterTheBatches"])
        try region.waitUntil("a's record at b after the attacks", seconds: 5) { try region.record(at: "b", after) != nil }
    }
}
