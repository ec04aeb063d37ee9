import Foundation
import TestSupport
import Testing

/// An information request between two real nodes: sent, received and acknowledged with a
/// deadline, answered and closed, every step over mutual TLS.
@Suite(.serialized, .ownThread) struct RequestSyncTests {
    @Test func aRequestIsAcknowledgedWithItsDeadlineAnsweredAndClosedAcrossTheLink() throws {
        let region = try LiveRegion(nodes: ["a", "b"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        // Receipts travel with the heartbeat: a fast one keeps the waits short.
        for node in ["b", "a"] { try region.start(node, options: ["--heartbeat-interval", "0.25"]) }
        try region.waitUntil("the a–b session", seconds: 10) { try region.isConnected("a", to: "b") }
        let subject = try region.addRecord(at: "a", group: "region", ["family_name": "Ђорђевић"])
        let request = try region.pccc([
            "request", "new", "--data", region.folder("a"), "--to", "b", "--urgency", "urgent_direct", "--subject", subject,
            "--question", "Is this person known to you?",
        ]).trimmingCharacters(in: .whitespacesAndNewlines)

        func requests(at node: String, _ flags: [String] = []) throws -> [[String: Any]] {
            let output = try region.pccc(["request", "list", "--data", region.folder(node), "--json"] + flags)
            guard let list = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] else {
                throw TestFailure("request list at \(node) printed no JSON list: \(output)")
            }
            return list
        }
        // b acknowledges on its own (its heartbeat), and the acknowledgement travels back to a.
        try region.waitUntil("the acknowledgement at a", seconds: 10) {
            try requests(at: "a", ["--outgoing"]).first?["status"] as? String == "acknowledged"
        }
        let atA = try #require(try requests(at: "a").first)
        let atB = try #require(try requests(at: "b", ["--incoming"]).first)
        #expect(atA["id"] as? String == request && atB["id"] as? String == request)
        #expect(atB["direction"] as? String == "incoming" && atA["direction"] as? String == "outgoing")
        let received = try #require(atA["received_at"] as? String)
        let due = try #require(atA["due_at"] as? String)
        #expect(atB["due_at"] as? String == due)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let span = try #require(formatter.date(from: due)).timeIntervalSince(try #require(formatter.date(from: received)))
        #expect(span == 8 * 3600, "urgent_direct: 8 hours from receipt")
        #expect(try requests(at: "a", ["--overdue"]).isEmpty)

        let refused = try PCCCExecutable.run(["request", "answer", request, "--data", region.folder("a"), "--text", "x"])
        #expect(refused.status != 0 && refused.error.contains("request \(request) was sent to b; only b answers it"))
        _ = try region.pccc(["request", "answer", request, "--data", region.folder("b"), "--text", "Known: wanted since 2025."])
        try region.waitUntil("the answer at a", seconds: 10) { try requests(at: "a").first?["status"] as? String == "answered" }
        #expect(try requests(at: "a").first?["answer"] as? String == "Known: wanted since 2025.")
        _ = try region.pccc(["request", "close", request, "--data", region.folder("a")])
        try region.waitUntil("the close at b", seconds: 10) { try requests(at: "b").first?["status"] as? String == "closed" }
    }
}
