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
        let request = try region.pccc(
            [
                "request", "new", "--data", region.folder("a"), "--to", "b", "--urgency", "urgent", "--subject", subject,
                "--question", "Is this person known to you?",
            ] + requestFormFlags(urgent: true, subjects: true)
        ).trimmingCharacters(in: .whitespacesAndNewlines)

        func requests(at node: String, _ flags: [String] = []) throws -> [[String: Any]] {
            let output = try region.pccc(["request", "list", "--data", region.folder(node), "--json", "--purpose", "test"] + flags)
            guard let list = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] else {
                throw TestFailure("request list at \(node) printed no JSON list: \(output)")
            }
            return list
        }
        // b acknowledges on its own (its heartbeat), and the acknowledgement travels back to a.
        try region.waitUntil("the acknowledgement at a", seconds: 10) {
            try requests(at: "a", ["--outgoing"]).first?["status"] as? String == "received"
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
        #expect(span == 8 * 3600, "urgent and not yet classified: 8 hours from receipt")
        #expect(try requests(at: "a", ["--overdue"]).isEmpty)

        let refused = try PCCCExecutable.run(["request", "answer", request, "--data", region.folder("a"), "--text", "x"])
        #expect(refused.status != 0 && refused.error.contains("request \(request) was sent to b; only b answers it"))

        // The thread, step by step through the command line, each at its own centre.
        _ = try region.pccc(["request", "classify", request, "--data", region.folder("b"), "--indirect"])
        try region.waitUntil("the classification at a", seconds: 10) { try requests(at: "a").first?["urgency_class"] as? String == "urgent_indirect" }
        let badGrounds = try PCCCExecutable.run(["request", "refuse", request, "--data", region.folder("b"), "--grounds", "a,z", "--reasons", "x"])
        #expect(badGrounds.status != 0 && badGrounds.error.contains("--grounds must be distinct letters a to h"), "\(badGrounds.error)")
        _ = try region.pccc([
            "request", "refuse", request, "--data", region.folder("b"), "--partial", "--grounds", "f,a", "--reasons", "Part is sensitive",
        ])
        _ = try region.pccc(["request", "ask-clarification", request, "--data", region.folder("b"), "--text", "Which passport?"])
        try region.waitUntil("the question at a, paused there", seconds: 10) {
            let atA = try requests(at: "a").first
            return atA?["status"] as? String == "clarification_requested" && atA?["paused_since"] is String
        }
        _ = try region.pccc(["request", "clarify", request, "--data", region.folder("a"), "--text", "The Macedonian one"])
        // Both receipts (a's of the question, b's of the reply) travel with the heartbeats.
        try region.waitUntil("the clarification's round trip noted at both", seconds: 20) {
            try ["a", "b"].allSatisfy { node in
                let entries = try requests(at: node).first?["entries"] as? [[String: Any]] ?? []
                return entries.filter { $0["type"] as? String == "receipt" }.count == 2 && entries.contains { $0["type"] as? String == "clarification_given" }
            }
        }
        func shown(_ node: String) throws -> [String: Any] {
            let text = try region.pccc(["request", "show", request, "--data", region.folder(node), "--json", "--purpose", "test"])
            guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw TestFailure("request show at \(node) printed no JSON object: \(text)")
            }
            return object
        }
        let threadAtA = try shown("a")
        let threadAtB = try shown("b")
        #expect(threadAtA["due_at"] as? String == threadAtB["due_at"] as? String && threadAtA["due_at"] is String)
        #expect(
            (threadAtA["entries"] as? [[String: Any]])?.map { $0["id"] as? String } == (threadAtB["entries"] as? [[String: Any]])?.map { $0["id"] as? String })
        let text = try region.pccc(["request", "show", request, "--data", region.folder("b"), "--purpose", "test"])
        #expect(text.contains("refusal partial on grounds a,f: Part is sensitive") && text.contains("clarification_given: The Macedonian one"), "\(text)")

        _ = try region.pccc(["request", "answer", request, "--data", region.folder("b"), "--text", "Known: wanted since 2025."])
        try region.waitUntil("the answer at a", seconds: 10) { try requests(at: "a").first?["status"] as? String == "answered" }
        #expect(try requests(at: "a").first?["answer"] as? String == "Known: wanted since 2025.")
        _ = try region.pccc(["request", "close", request, "--data", region.folder("a")])
        try region.waitUntil("the close at b", seconds: 10) { try requests(at: "b").first?["status"] as? String == "closed" }

        // This year's report at b counts the request from a, its refusal's grounds, its answer.
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        let csv = try region.pccc(["report", "--data", region.folder("b"), "--year", "\(year)", "--format", "csv"])
        for line in ["received,a,urgent_indirect,1", "answered,a,urgent_indirect,1", "refused,a,a,1", "refused,a,f,1"] {
            #expect(csv.split(separator: "\n").contains(Substring(line)), "\(line) missing from\n\(csv)")
        }
        let badYear = try PCCCExecutable.run(["report", "--data", region.folder("b"), "--year", "26"])
        #expect(badYear.status != 0 && badYear.error.contains("--year must be four digits"), "\(badYear.error)")

        // Nothing is due for review yet; the owner keeps its person all the same, within a year.
        #expect(try region.pccc(["review", "list", "--data", region.folder("a"), "--purpose", "test"]) == "no record is due for review")
        let tooLong = try PCCCExecutable.run(["review", "keep", subject, "--data", region.folder("a"), "--until", "2099-01-01", "--reason", "case"])
        #expect(tooLong.status != 0 && tooLong.error.contains("a review keeps a person for at most 6 months"), "\(tooLong.error)")
        let day = ISO8601DateFormatter.string(from: Date().addingTimeInterval(40 * 86_400), timeZone: .current, formatOptions: [.withFullDate])
        _ = try region.pccc(["review", "keep", subject, "--data", region.folder("a"), "--until", day, "--reason", "case MK-2026-1187"])
        let notOwner = try PCCCExecutable.run(["review", "keep", subject, "--data", region.folder("b"), "--until", day, "--reason", "x"])
        #expect(notOwner.status != 0 && notOwner.error.contains("belongs to a, whose staff review it"), "\(notOwner.error)")
    }
}
