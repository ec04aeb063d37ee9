import Foundation
import TestSupport
import Testing

/// A running node takes a new topology from its file (watched, or on SIGHUP) without dropping
/// healthy sessions.
@Suite(.serialized, .ownThread) struct TopologyReloadTests {
    static let groups = ["region": ["a", "b", "c"]]
    static let ab = LiveRegion.Link(from: "a", to: "b")
    static let cb = LiveRegion.Link(from: "c", to: "b")

    @Test func aLinkAddedConnectsAndALinkRemovedClosesWhileOthersStayUp() throws {
        let region = try LiveRegion(nodes: ["a", "b", "c"], links: [Self.ab], groups: Self.groups)
        for node in ["b", "a", "c"] { try region.start(node) }
        try region.waitUntil("a–b session", seconds: 10) { try region.isConnected("b", to: "a") }
        let abSince = try region.sessionStart("b", with: "a")

        let withLink = region.topologyYAML(links: [Self.ab, Self.cb], groups: Self.groups)
        try region.installTopology(withLink, on: ["a", "b", "c"], hangUp: false)
        let added = try region.waitUntil("the new c–b link to connect", seconds: 5) { try region.isConnected("b", to: "c") }
        print("new link connected \(String(format: "%.2f", added)) s after the file changed")
        let id = try region.addRecord(at: "c", group: "region", ["family_name": "OverTheNewLink"])
        try region.waitUntil("c's record at a through b", seconds: 5) { try region.record(at: "a", id) != nil }

        try region.installTopology(region.topologyYAML(links: [Self.ab], groups: Self.groups), on: ["a", "b", "c"], hangUp: true)
        let removed = try region.waitUntil("the removed c–b link to close", seconds: 10) { region.log("b").contains("session with c ended") }
        print("removed link closed \(String(format: "%.2f", removed)) s after SIGHUP")
        try region.waitUntil("c to see the session end too", seconds: 10) { region.log("c").contains("session with b ended") }
        #expect(try region.sessionStart("b", with: "a") == abSince, "the healthy a–b session was not dropped")
        #expect(region.log("b").contains("topology reloaded"))
    }

    @Test func aRevokedCertificateLosesItsSessionAndCannotReconnect() throws {
        let region = try LiveRegion(nodes: ["a", "b", "c"], links: [Self.ab, Self.cb], groups: Self.groups)
        for node in ["b", "a", "c"] { try region.start(node) }
        try region.waitUntil("both sessions", seconds: 10) { try region.isConnected("b", to: "a") && region.isConnected("b", to: "c") }
        let abSince = try region.sessionStart("b", with: "a")

        try region.installTopology(region.topologyYAML(links: [Self.ab, Self.cb], groups: Self.groups, revokedNodes: ["c"]), on: ["b"], hangUp: true)
        try region.waitUntil("c's session to close", seconds: 5) { try !region.isConnected("b", to: "c") }
        // c redials at once and then with backoff: two refusals in b's log prove it tried again
        // after the session closed, and got nowhere.
        func refusals() -> Int {
            region.log("b").split(separator: "\n").filter { $0.contains("refused TLS peer") && $0.contains("is revoked") }.count
        }
        try region.waitUntil("two of c's redials refused", seconds: 30) { refusals() >= 2 }
        #expect(try !region.isConnected("b", to: "c"), "c's redials are refused in the handshake")
        #expect(try region.sessionStart("b", with: "a") == abSince)
    }

    @Test func anInvalidFileIsRefusedAndTheTopologyInForceStays() throws {
        let region = try LiveRegion(nodes: ["a", "b"], links: [Self.ab], groups: ["region": ["a", "b"]])
        // Acknowledgements are recorded with the heartbeat: a fast one keeps the wait short.
        for node in ["b", "a"] { try region.start(node, options: ["--heartbeat-interval", "0.25"]) }
        try region.waitUntil("a–b session", seconds: 10) { try region.isConnected("a", to: "b") }
        // b's file is about to break, and the command-line tools read it too: watch from a.
        let abSince = try region.sessionStart("a", with: "b")

        let valid = region.topologyYAML(links: [Self.ab], groups: ["region": ["a", "b"]])
        try region.installTopology(valid.replacingOccurrences(of: "  - [a, b]", with: "  - [a, nobody]"), on: ["b"], hangUp: true)
        try region.waitUntil("b to refuse the file", seconds: 5) {
            region.log("b").contains("topology reload refused: ") && region.log("b").contains("link names unknown node nobody")
        }
        let line = region.log("b").split(separator: "\n").first { $0.contains("topology reload refused") } ?? ""
        #expect(line.contains("/topology.yaml:6: link names unknown node nobody"), "the refusal names the file and line: \(line)")
        let id = try region.addRecord(at: "a", group: "region", ["family_name": "StillInForce"])
        // b applying the record, which a learns from b's acknowledgement, proves the session
        // carried traffic after the refusal.
        let written = try region.heldSeq(at: "a", origin: "a", group: "region")
        try region.waitUntil("b to acknowledge a's record", seconds: 15) {
            let streams = try region.peerEntry(at: "a", "b")["streams"] as? [[String: Any]]
            let stream = streams?.first { $0["origin"] as? String == "a" && $0["group"] as? String == "region" }
            return (stream?["acked"] as? NSNumber)?.uint64Value == written
        }
        #expect(try region.sessionStart("a", with: "b") == abSince, "the session under the old topology stays up")
        #expect(region.isRunning("b"))

        try region.installTopology(valid, on: ["b"], hangUp: false)
        try region.waitUntil("a's record at b", seconds: 5) { try region.record(at: "b", id) != nil }
        #expect(try region.sessionStart("a", with: "b") == abSince)
    }

    @Test func aTopologyDigestMismatchShowsOnBothSidesAndSyncGoesOn() throws {
        let region = try LiveRegion(nodes: ["a", "b"], idle: ["c"], links: [Self.ab], groups: ["region": ["a", "b"]])
        // b runs a newer file: the same links and groups, but c revoked.
        try region.installTopology(
            region.topologyYAML(links: [Self.ab], groups: ["region": ["a", "b"]], revokedNodes: ["c"]), on: ["b"], hangUp: false
        )
        for node in ["b", "a"] { try region.start(node) }
        try region.waitUntil("a–b session", seconds: 10) { try region.isConnected("a", to: "b") }
        for (node, peer) in [("a", "b"), ("b", "a")] {
            let entry = try region.peerEntry(at: node, peer)
            #expect(entry["topology_match"] as? Bool == false, "\(node) must see that \(peer) runs another topology")
        }
        #expect(try region.pccc(["status", "--data", region.folder("a")]).contains("TOPOLOGY DIFFERS"))
        let id = try region.addRecord(at: "a", group: "region", ["family_name": "DespiteTheMismatch"])
        try region.waitUntil("a's record at b", seconds: 5) { try region.record(at: "b", id) != nil }
    }
}
