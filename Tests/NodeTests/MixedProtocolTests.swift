import Foundation
import GRDB
import Replica
import SyncCore
import TestSupport
import Testing
import WireProtocol

/// A region on two releases at once (docs/PROTOCOL.md §3): real `pccc serve` processes, one of
/// them speaking only protocol version 1, as the release before epochs did.
@Suite(.serialized, .ownThread) struct MixedProtocolTests {
    /// Makes `node`'s folder one the release before epochs made: it writes in epoch 0.
    static func madeBeforeEpochs(_ region: LiveRegion, _ node: String) throws {
        let queue = try DatabaseQueue(path: region.folder(node) + "/replica.sqlite", configuration: SQLiteLibrary.configuration())
        try queue.write { db in try db.execute(sql: "DELETE FROM replica_meta WHERE key LIKE 'write_epoch%'") }
        try queue.close()
    }

    @Test func aNodeOnVersionOneAndANodeOnVersionTwoSyncBothWays() throws {
        let region = try LiveRegion(nodes: ["a", "b"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        for node in ["a", "b"] { try Self.madeBeforeEpochs(region, node) }
        var written = [
            try region.addRecord(at: "a", group: "region", ["family_name": "Before A"]),
            try region.addRecord(at: "b", group: "region", ["family_name": "Before B"]),
        ]
        try region.start("b", options: ["--protocol-versions", "1"])
        try region.start("a")
        try region.waitUntil("a–b session", seconds: 30) { try region.isConnected("a", to: "b") }
        for index in 0..<3 {
            written.append(try region.addRecord(at: "a", group: "region", ["family_name": "During A \(index)"]))
            written.append(try region.addRecord(at: "b", group: "region", ["family_name": "During B \(index)"]))
        }
        let seconds = try region.waitUntil("equal digests", seconds: 30) { try region.digest(at: "a") == region.digest(at: "b") }
        for id in written {
            for node in ["a", "b"] { #expect(try region.record(at: node, id) != nil, "\(id) is missing at \(node)") }
        }
        let software = try region.peerEntry(at: "a", "b")["software"] as? String
        #expect(software?.hasSuffix(", protocol 1") == true, "a's status shows b's protocol: \(software ?? "none")")
        let other = try region.peerEntry(at: "b", "a")["software"] as? String
        #expect(other?.hasSuffix(", protocol 1") == true, "\(other ?? "none")")
        print("mixed protocols: b on version 1, a on 1-3; \(written.count) writes at both, equal digests after \(String(format: "%.2f", seconds)) s")
    }

    @Test func aNodeOfferingOnlyAnUnknownVersionGetsOneClearRefusal() async throws {
        let region = try LiveRegion(nodes: ["b"], idle: ["m"], links: [LiveRegion.Link(from: "m", to: "b")], groups: ["region": ["b", "m"]])
        try region.start("b")
        let m = region.issued["m"]!
        let hello = Hello(protocolVersions: 9...9, network: "test-region", nodeID: "m", topologyDigest: Array(repeating: 0, count: 32), softwareVersion: "9.0")
        let reply = try await RawTLSClient.exchange(
            port: region.ports["b"]!, certificatePEM: m.certificatePEM, keyPEM: m.privateKeyPEM, send: PeerMessage.hello(hello).frame.bytes)
        let errors = reply.messages.compactMap { if case .error(let code, let message) = $0 { (code, message) } else { nil } }
        #expect(errors.count == 1, "\(reply.messages)")
        #expect(errors.first?.0 == "protocol_version")
        #expect(errors.first?.1 == "peer offers protocol versions 9; this node speaks 1-3")
        // And a node told to offer a version this build does not speak refuses to start.
        let refused = try PCCCExecutable.run(["serve", "--data", region.folder("b"), "--protocol-versions", "1-9"])
        #expect(refused.status != 0)
        #expect(refused.error.contains("--protocol-versions 1-9 is outside what this build speaks, 1-3"), "\(refused.error)")
    }
}
