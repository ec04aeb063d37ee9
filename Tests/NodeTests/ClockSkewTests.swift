import Foundation
import TestSupport
import Testing

/// A node whose clock runs an hour ahead (libfaketime, Debian's `faketime`): its batches carry
/// HLCs an hour in the future, so its neighbour holds them back, unacknowledged, with an alarm
/// in status; nothing is lost, and the neighbour applies them once its own clock is within the
/// allowed skew (10 minutes) of theirs.
@Suite(.serialized, .ownThread) struct ClockSkewTests {
    @Test func batchesFromAnHourAheadAreHeldBackWithAnAlarmThenApplied() throws {
        let region = try LiveRegion(nodes: ["a", "b"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        let hourAhead = try FakeClock.environment("+1h", expectedSeconds: 3_600)
        try region.start("b")
        try region.start("a", environment: hourAhead)
        try region.waitUntil("a–b session", seconds: 10) { try region.isConnected("b", to: "a") }

        let ahead = try PCCCExecutable.run(
            ["record", "add", "person", "--set", "category=suspect", "--data", region.folder("a"), "--group", "region", "--set", "family_name=FromTheFuture"],
            environment: hourAhead
        )
        #expect(ahead.status == 0, "\(ahead.error)")
        let id = ahead.output.trimmingCharacters(in: .whitespacesAndNewlines)

        // b holds the batch back and says so.
        let alarm = try region.waitUntil("a clock_skew alarm at b", seconds: 30) {
            try region.statusList(at: "b", "alarms").contains { $0["code"] as? String == "clock_skew" && $0["subject"] as? String == "a" }
        }
        let message = try region.statusList(at: "b", "alarms").first { $0["code"] as? String == "clock_skew" }?["message"] as? String ?? ""
        print("b's alarm after \(String(format: "%.1f", alarm)) s: \(message)")
        #expect(message.contains("held back"))
        #expect(region.log("b").contains("the clock of a is 3600 s ahead of this node's") || region.log("b").contains("the clock of a is 3599 s ahead"))
        #expect(region.log("a").contains("s behind this node's; this node's new batches will be held back there"))
        let skew = (try region.peerEntry(at: "b", "a")["clock_skew_ms"] as? NSNumber)?.int64Value ?? 0
        #expect(skew > 3_500_000, "b's status shows a's clock an hour ahead, not \(skew) ms")
        #expect(try region.record(at: "b", id) == nil, "the batch is held back, not applied")
        #expect(try region.heldSeq(at: "b", origin: "a", group: "region") == 0, "nor acknowledged")
        #expect(try region.record(at: "a", id) != nil, "a keeps its write")

        // The other way is fine: b's batches are in a's past.
        let fromB = try region.addRecord(at: "b", group: "region", ["family_name": "FromThePresent"])
        try region.waitUntil("b's record at a", seconds: 10) { try region.record(at: "a", fromB) != nil }

        // Time passes for b: 55 minutes on, a's batches are within the 10-minute limit.
        region.stop("b")
        try region.start("b", environment: try FakeClock.environment("+55m", expectedSeconds: 3_300))
        let applied = try region.waitUntil("a's held-back record at b", seconds: 30) { try region.record(at: "b", id) != nil }
        try region.waitUntil("equal digests", seconds: 10) { try region.digest(at: "a") == region.digest(at: "b") }
        print("applied \(String(format: "%.1f", applied)) s after b's clock came within the limit")
        #expect(try region.heldSeq(at: "b", origin: "a", group: "region") == 1)
    }
}
