import FaultProxy
import Foundation
import NIOPosix
import TestSupport
import Testing

/// Two nodes whose link runs through a proxy the test cuts and heals.
@Suite(.serialized, .ownThread) struct PartitionTests {
    @Test func conflictingWritesDuringAPartitionConvergeToTheMergeRulesWinner() async throws {
        // The proxy listens first, so the topology can send a to it; it learns b's port after.
        let proxy = FaultProxy(targetHost: "127.0.0.1", targetPort: 0, group: MultiThreadedEventLoopGroup.singleton)
        let proxyPort = try await proxy.start()
        let region = try LiveRegion(
            nodes: ["a", "b"],
            links: [LiveRegion.Link(from: "a", to: "b", viaPort: proxyPort)],
            groups: ["region": ["a", "b"]]
        )
        proxy.retarget(port: region.ports["b"]!)
        try region.start("b")
        try region.start("a")
        let id = try region.addRecord(at: "a", group: "region", ["family_name": "Original", "given_name": "Ana"])
        try region.waitUntil("the record at b", seconds: 10) { try region.record(at: "b", id) != nil }

        proxy.cut()
        try region.waitUntil("both sides to see the link down", seconds: 10) {
            try !region.isConnected("a", to: "b") && !region.isConnected("b", to: "a")
        }
        let monitored = try PCCCExecutable.run(["status", "--data", region.folder("a"), "--down-threshold", "0"])
        #expect(monitored.status == 2, "monitoring sees the peer down")
        #expect(monitored.error.contains("peers down longer than 0 s: b"))
        try region.update(at: "a", id, ["family_name": "FromA", "given_name": "AnaA"])
        try region.update(at: "b", id, ["family_name": "FromB"])
        let newAtA = try region.addRecord(at: "a", group: "region", ["family_name": "OnlyA"])
        let newAtB = try region.addRecord(at: "b", group: "region", ["family_name": "OnlyB"])
        #expect(try region.record(at: "b", newAtA) == nil, "the partition holds")
        #expect(try region.digest(at: "a") != region.digest(at: "b"))

        // The merge rule for lww fields: the greater (hlc, origin) wins.
        func stamp(_ node: String, _ field: String) throws -> (hlc: UInt64, origin: String, value: String) {
            let fields = try #require(try region.record(at: node, id)?["fields"] as? [String: [String: Any]])
            let entry = try #require(fields[field])
            return (UInt64(entry["hlc"] as! String)!, entry["by"] as! String, entry["value"] as! String)
        }
        let fromA = try stamp("a", "family_name")
        let fromB = try stamp("b", "family_name")
        let expected = (fromA.hlc, fromA.origin) > (fromB.hlc, fromB.origin) ? fromA.value : fromB.value

        proxy.heal()
        // a redials with backoff that doubles up to 30 s (``Backoff``): on a busy machine the
        // partition above lasts long enough for the next redial to come that late, so the wait
        // allows one whole step more than that; the figure printed is what it took.
        let seconds = try region.waitUntil("equal digests after the heal", seconds: 45, every: 0.1) {
            try region.digest(at: "a") == region.digest(at: "b")
        }
        print("converged \(String(format: "%.2f", seconds)) s after the heal")
        #expect(try stamp("a", "family_name").value == expected)
        #expect(try stamp("b", "family_name").value == expected)
        #expect(try stamp("b", "given_name").value == "AnaA", "a field written on one side only keeps that write")
        #expect(try region.record(at: "a", newAtB) != nil)
        let healthy = try PCCCExecutable.run(["status", "--data", region.folder("a"), "--down-threshold", "0"])
        #expect(healthy.status == 0, "\(healthy.error)")
        try region.waitUntil("status to show batch times both ways", seconds: 5) {
            let peer = try region.peerEntry(at: "a", "b")
            return peer["last_batch_in"] != nil && peer["last_batch_out"] != nil
        }
        #expect(try region.record(at: "b", newAtA) != nil)
        await proxy.stop()
    }
}
