import Foundation
import NodeService
import Replica
import SyncCore
import TestSupport
import Testing
import WireProtocol

/// `pccc keys rotate` between real `pccc serve` processes: a node that joins after a rotation
/// verifies each epoch with the key that signed it, and a revoked key signs nothing past its
/// point at any node that has the new topology, whoever relays the batch.
@Suite(.serialized, .ownThread) struct KeyRotationTests {
    static let region = "region"

    @Test func aNodeJoiningAfterARotationVerifiesBothKeysBatches() throws {
        let region = try LiveRegion(
            nodes: ["a", "b", "c"],
            links: [LiveRegion.Link(from: "a", to: "b"), LiveRegion.Link(from: "c", to: "b")],
            groups: [Self.region: ["a", "b", "c"]]
        )
        try region.start("b")
        try region.start("a")
        try region.waitUntil("a–b session", seconds: 20) { try region.isConnected("a", to: "b") }
        let before = try (1...3).map { try region.addRecord(at: "a", group: Self.region, ["family_name": "KeyOne\($0)"]) }
        try region.waitUntil("a's key-1 records at b", seconds: 20) { try before.allSatisfy { try region.record(at: "b", $0) != nil } }

        region.stop("a")
        let oldStream = try region.writeStream(of: "a", group: Self.region)
        let entry = try region.rotateSigningKey(of: "a", revoke: false)
        let original = try String(contentsOfFile: region.topologyPath, encoding: .utf8)
        let rotated = try LiveRegion.replacingSigningKey(of: "a", in: original, with: entry)
        try region.distributeTopology(rotated, to: ["a", "b", "c"])
        try region.start("a")
        let newEpoch = try region.writeEpoch(at: "a")
        #expect(newEpoch > oldStream.epoch, "a writes in epoch \(newEpoch) after the rotation, not after \(oldStream.epoch)")
        let newStream = StreamID(origin: "a", epoch: newEpoch, group: GroupID(Self.region))
        try region.waitUntil("a–b session after the rotation", seconds: 20) { try region.isConnected("a", to: "b") }
        let after = try (1...3).map { try region.addRecord(at: "a", group: Self.region, ["family_name": "KeyTwo\($0)"]) }
        try region.waitUntil("a's key-2 records at b", seconds: 20) { try after.allSatisfy { try region.record(at: "b", $0) != nil } }

        // c has never run: it catches up from scratch from b, both of a's epochs.
        try region.start("c")
        let caughtUp = try region.waitUntil("c to hold both epochs of a and equal digests", seconds: 30) {
            try (before + after).allSatisfy { try region.record(at: "c", $0) != nil }
                && Set(try ["a", "b", "c"].map { try region.digest(at: $0) }).count == 1
        }
        for stream in [oldStream, newStream] {
            let atA = try region.heldSeq(at: "a", stream)
            let atC = try region.heldSeq(at: "c", stream)
            #expect(atA >= 3 && atC == atA, "c holds \(atC) of \(stream), a \(atA)")
        }
        let status = try region.status(at: "c")
        #expect((status["alarms"] as? [Any])?.isEmpty == true, "c raised alarms: \(status["alarms"] ?? "none")")
        #expect((status["quarantined"] as? NSNumber)?.intValue == 0, "c quarantined \(status["quarantined"] ?? "?")")
        print(
            "key rotation: a rotated from epoch \(oldStream.epoch) to \(newEpoch); c, started afterwards, holds \(oldStream) and \(newStream) "
                + "(6 records) \(String(format: "%.2f", caughtUp)) s after its start; digests of a, b, c equal; no alarms, quarantined 0"
        )
    }

    @Test func aBatchSignedByARevokedKeyAfterItsPointIsRefusedEverywhere() async throws {
        // a–b–c in a chain; m is a member that talks to b; d joins at the end, from c.
        let region = try LiveRegion(
            nodes: ["a", "b", "c", "d"],
            idle: ["m"],
            links: [
                LiveRegion.Link(from: "a", to: "b"), LiveRegion.Link(from: "c", to: "b"), LiveRegion.Link(from: "m", to: "b"),
                LiveRegion.Link(from: "d", to: "c"),
            ],
            groups: [Self.region: ["a", "b", "c", "d", "m"]]
        )
        for node in ["b", "a", "c"] { try region.start(node) }
        try region.waitUntil("a–b and c–b sessions", seconds: 20) { try region.isConnected("a", to: "b") && region.isConnected("c", to: "b") }
        let before = try (1...3).map { try region.addRecord(at: "a", group: Self.region, ["family_name": "Trusted\($0)"]) }
        try region.waitUntil("a's records at c through b", seconds: 20) { try before.allSatisfy { try region.record(at: "c", $0) != nil } }

        // The leak: a copy of a's key file as it was before the rotation.
        region.stop("a")
        let oldStream = try region.writeStream(of: "a", group: Self.region)
        let held = try region.openReplica("a").batches(of: oldStream, after: 0, limit: 100)
        let point = UInt64(held.count)
        let head = try #require(held.last).header
        #expect(head.seq == point)
        let leaked = region.directory.path("a-leaked.signing")
        try FileManager.default.copyItem(atPath: region.folder("a") + "/signing.key", toPath: leaked)
        let oldKey = try NodeDirectory.loadSigningKey(leaked)
        let entry = try region.rotateSigningKey(of: "a", revoke: true)
        #expect(entry.contains("revoked_after: {\(oldStream.epoch)/\(Self.region): \(point)}"), "\(entry)")
        let original = try String(contentsOfFile: region.topologyPath, encoding: .utf8)
        let revoking = try LiveRegion.replacingSigningKey(of: "a", in: original, with: entry)
        // b, the honest relay, keeps the old topology for now.
        try region.distributeTopology(revoking, to: ["a", "c", "d"])
        try region.start("a")
        try region.waitUntil("a–b session after the rotation", seconds: 20) { try region.isConnected("a", to: "b") }
        let cbSince = try #require(try region.sessionStart("c", with: "b"))

        // The thief signs the seq after the point with the old key; m hands it to b.
        let forged = try Self.forge(region, oldStream, seq: point + 1, after: head.hash, name: "Forged1", key: oldKey)
        try await Self.deliver(forged.batch, of: oldStream, to: region, expectAck: true)
        #expect(try region.record(at: "b", forged.id) != nil, "b, on the old topology, did not apply the batch")
        let refused = try region.waitUntil("revoked_key at c and at a for \(oldStream)", seconds: 20) {
            try region.hasAlarm(at: "c", code: "revoked_key", subject: "a", mentioning: "of \(oldStream) is signed")
                && region.hasAlarm(at: "a", code: "revoked_key", subject: "a", mentioning: "of \(oldStream) is signed")
        }
        #expect(try region.record(at: "c", forged.id) == nil, "c applied a batch signed by a revoked key")
        #expect(try region.record(at: "a", forged.id) == nil, "a applied a batch signed by its own revoked key")
        #expect(try region.heldSeq(at: "c", oldStream) == point)
        #expect(try region.sessionStart("c", with: "b") == cbSince, "the b–c session did not stay up")
        let cDigest = try region.digest(at: "c")
        #expect(cDigest == (try region.digest(at: "a")), "c and a differ")
        #expect(cDigest != (try region.digest(at: "b")), "c's digest does not exclude what only b applied")

        // b gets the new topology: the next batch so signed is refused at b too.
        try region.distributeTopology(revoking, to: ["b"])
        let forgedAgain = try Self.forge(region, oldStream, seq: point + 2, after: forged.batch.header.hash, name: "Forged2", key: oldKey)
        try await Self.deliver(forgedAgain.batch, of: oldStream, to: region, expectAck: false)
        try region.waitUntil("revoked_key at b for \(oldStream)", seconds: 20) {
            try region.hasAlarm(at: "b", code: "revoked_key", subject: "a", mentioning: "of \(oldStream) is signed")
        }
        #expect(try region.record(at: "b", forgedAgain.id) == nil, "b applied a batch signed by a revoked key after its reload")
        #expect(try region.heldSeq(at: "b", oldStream) == point + 1)

        // What the old key signed up to the point still verifies at a node that starts now.
        try region.start("d")
        try region.waitUntil("d to catch up from c", seconds: 30) {
            try before.allSatisfy { try region.record(at: "d", $0) != nil } && region.digest(at: "d") == region.digest(at: "c")
        }
        #expect(try region.heldSeq(at: "d", oldStream) == point)
        #expect(try region.record(at: "d", forged.id) == nil)
        let dAlarms = try region.statusList(at: "d", "alarms")
        #expect(dAlarms.isEmpty, "d raised alarms: \(dAlarms)")
        print(
            "revoked key: \(oldStream) revoked after seq \(point); seq \(point + 1) signed by the leaked key → b (old topology) applied it, "
                + "c and a refused it (revoked_key, \(String(format: "%.2f", refused)) s), b–c session up; after b's reload seq \(point + 2) refused at b; "
                + "d, new, holds seqs 1–\(point) and not the forgery"
        )
    }

    /// A batch of `stream` at `seq`, chained to `previous`, creating one person named `name`,
    /// signed by `key`.
    static func forge(
        _ region: LiveRegion, _ stream: StreamID, seq: UInt64, after previous: [UInt8], name: String, key: BatchSigningKey
    ) throws -> (batch: SignedBatch, id: String) {
        let now = ReplicaConfiguration.systemMilliseconds()
        let id = RecordID.make(milliseconds: now, boundTo: RecordBinding(origin: stream.origin, group: stream.group, kind: "person"))
        let change = Change(
            kind: "person", recordID: id, hlc: HybridTimestamp(milliseconds: now, counter: 0), operation: .create([FieldWrite("family_name", name)]))
        let batch = try SignedBatch.make(
            network: "test-region", origin: stream.origin, epoch: stream.epoch, group: stream.group, seq: seq, prevHash: previous,
            leaves: [.full(change)], signingKey: key
        )
        return (batch, id.description)
    }

    /// Sends `batch` to b as the member m would, then PING: b applies batches in arrival order,
    /// so its PONG means it is done with the batch. With `expectAck`, b must acknowledge it;
    /// otherwise b must not have.
    static func deliver(_ batch: SignedBatch, of stream: StreamID, to region: LiveRegion, expectAck: Bool) async throws {
        let m = region.issued["m"]!
        let seq = batch.header.seq
        let nonce: UInt64 = 0x7e57
        let reply = try await RawTLSClient.exchange(
            port: region.ports["b"]!, certificatePEM: m.certificatePEM, keyPEM: m.privateKeyPEM,
            send: RawTLSClient.opening(node: "m") + PeerMessage.batch(batch.envelope).frame.bytes + PeerMessage.ping(nonce).frame.bytes
        ) { messages in
            messages.contains {
                switch $0 {
                case .ack(let heads): expectAck && (heads[stream] ?? 0) >= seq
                case .pong(let echoed): !expectAck && echoed == nonce
                case .error: true
                default: false
                }
            }
        }
        for case .error(let code, let message) in reply.messages {
            throw TestFailure("b closed m's session over batch \(seq) of \(stream): \(code) \(message)")
        }
        let acknowledged = reply.messages.contains { if case .ack(let heads) = $0 { (heads[stream] ?? 0) >= seq } else { false } }
        #expect(acknowledged == expectAck, "b acknowledged batch \(seq) of \(stream): \(acknowledged)")
    }
}
