import Foundation
import Records
import Replica
import SyncCore
import TestSupport
import Testing
import WireProtocol

/// A peer with a valid certificate that sends what the protocol forbids gets ERROR and a
/// closed connection; nothing it sent is stored and the node goes on serving.
@Suite(.serialized, .ownThread) struct HostilePeerTests {
    @Test func garbageOverlongFramesAndForgedBatchesAreAnsweredWithErrorAndNothingIsStored() async throws {
        let region = try LiveRegion(
            nodes: ["a", "b"],
            idle: ["d"],
            links: [LiveRegion.Link(from: "a", to: "b"), LiveRegion.Link(from: "d", to: "b")],
            groups: ["region": ["a", "b", "d"]]
        )
        try region.start("b")
        try region.start("a")
        try region.waitUntil("a–b session", seconds: 10) { try region.isConnected("a", to: "b") }
        let d = region.issued["d"]!
        let digestBefore = try region.digest(at: "b")

        func exchange(_ bytes: [UInt8]) async throws -> RawTLSClient.Reply {
            try await RawTLSClient.exchange(port: region.ports["b"]!, certificatePEM: d.certificatePEM, keyPEM: d.privateKeyPEM, send: bytes)
        }
        func error(in reply: RawTLSClient.Reply) -> (code: String, message: String)? {
            for case .error(let code, let message) in reply.messages { return (code, message) }
            return nil
        }

        // Garbage: a frame of an unknown type, before any HELLO.
        let garbage = try await exchange([0, 0, 0, 5, 0xEE, 0xDE, 0xAD, 0xBE, 0xEF])
        #expect(error(in: garbage)?.code == "malformed_frame")
        #expect(garbage.closedByNode)

        // A length field of 2^31 - 1: refused from the four length bytes alone.
        let overlong = try await exchange(RawTLSClient.opening(node: "d") + [0x7F, 0xFF, 0xFF, 0xFF, 0x03])
        #expect(error(in: overlong)?.code == "frame_too_large")
        #expect(overlong.closedByNode)

        // A batch of d's stream signed with a key that is not d's pinned key.
        let change = Change(
            kind: "person", recordID: RecordID.make(milliseconds: ReplicaConfiguration.systemMilliseconds()),
            hlc: HybridTimestamp(milliseconds: ReplicaConfiguration.systemMilliseconds(), counter: 0),
            operation: .create([FieldWrite("family_name", "Forged")])
        )
        let forged = try SignedBatch.make(
            network: "test-region", origin: "d", group: "region", seq: 1, prevHash: BatchHeader.zeroHash, leaves: [.full(change)],
            signingKey: BatchSigningKey()
        )
        let refused = try await exchange(RawTLSClient.opening(node: "d") + PeerMessage.batch(forged.envelope).frame.bytes)
        let refusal = error(in: refused)
        #expect(refusal?.code == "batch_refused")
        #expect(refusal?.message.hasPrefix("bad_signature") == true, "\(String(describing: refusal))")
        #expect(refused.closedByNode)

        // A HELLO stamped at the end of time, then an audit head past what SQLite can hold: the
        // node judges the clock without overflowing and refuses the head as malformed.
        let overflowing = try await exchange(
            RawTLSClient.opening(node: "d", sentAt: UInt64(1) << 63)
                + Frame(type: PeerMessage.Kind.auditHead.rawValue, body: [0, 0x80, 0, 0, 0, 0, 0, 0, 0] + Array(repeating: 1, count: 32 + 8 + 64)).bytes)
        #expect(error(in: overflowing)?.code == "malformed_frame", "\(overflowing.messages)")
        #expect(region.isRunning("b"), "b survived a HELLO from the end of time")

        #expect(try region.heldSeq(at: "b", origin: "d", group: "region") == 0)
        #expect(try region.digest(at: "b") == digestBefore, "nothing a hostile peer sent changed b")
        #expect(region.replicaBytes("b").range(of: Data("Forged".utf8)) == nil)
        #expect(region.isRunning("b"))
        let id = try region.addRecord(at: "a", group: "region", ["family_name": "AfterTheAttack"])
        try region.waitUntil("a's record at b after the attacks", seconds: 5) { try region.record(at: "b", id) != nil }
    }
}
