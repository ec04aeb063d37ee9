import Records
import SyncCore
import TestSupport
import Testing

/// The fold of a request's thread as a pure function: of the entries alone, whatever their
/// order, and safe from a centre's hostile times.
@Suite struct RequestThreadFoldTests {
    static let hour: UInt64 = 3_600_000
    static let start: UInt64 = 1_800_000_000_000

    static func entry(_ id: String, _ author: NodeID, at: UInt64, _ values: [String: String]) -> RequestEntry {
        RequestEntry(id: id, author: author, hlc: HybridTimestamp(milliseconds: at, counter: 0), values: values)!
    }

    static let request = RequestThread.Request(
        from: "a", to: "b", urgency: "standard", receivedAt: start, dueAtOnReceipt: start + 168 * hour, legacyStatus: "acknowledged")

    @Test(arguments: 0..<20) func anyOrderOfTheSameEntriesFoldsAlike(_ seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        var entries: [RequestEntry] = []
        let steps: [(NodeID, [String: String])] = [
            ("b", ["type": "clarification_asked", "text": "?"]), ("a", ["type": "clarification_given", "text": "!"]),
            ("b", ["type": "partial_answer", "text": "part"]), ("b", ["type": "refusal", "extent": "partial", "grounds": "a,f", "text": "r"]),
            ("b", ["type": "delay", "text": "court", "until": "2027-02-01T00:00:00Z"]), ("b", ["type": "answer", "text": "all"]),
            ("a", ["type": "close"]), ("m", ["type": "answer", "text": "forged"]), ("a", ["type": "answer", "text": "self-answered"]),
        ]
        for index in 0..<30 {
            let (author, values) = steps.randomElement(using: &random)!
            // Equal times on purpose: ties fall to the author, then the id.
            entries.append(Self.entry("e\(index)", author, at: Self.start + UInt64.random(in: 0..<10, using: &random) * Self.hour, values))
        }
        let folded = RequestThread(request: Self.request, entries: entries)
        for _ in 0..<10 {
            #expect(RequestThread(request: Self.request, entries: entries.shuffled(using: &random)) == folded, "seed \(seed)")
        }
        #expect(folded.entries.allSatisfy { $0.author != "m" && !($0.author == "a" && $0.step == .answer) })
    }

    @Test func aReceiptOutsideItsEntryAndItsOwnTimeCountsForNothing() {
        let asked = Self.entry("q", "b", at: Self.start + Self.hour, ["type": "clarification_asked", "text": "?"])
        let given = Self.entry("r", "a", at: Self.start + 5 * Self.hour, ["type": "clarification_given", "text": "!"])
        func receipt(_ id: String, of noted: String, by author: NodeID, at: UInt64, claiming: UInt64) -> RequestEntry {
            Self.entry(id, author, at: at, ["type": "receipt", "entry_id": noted, "received_at": Timestamps.iso8601(milliseconds: claiming)])
        }
        // a claims it had the question before it was written, or after its own receipt says: ignored.
        for claim in [Self.start, Self.start + 3 * Self.hour] {
            let impossible = RequestThread(
                request: Self.request, entries: [asked, given, receipt("x", of: "q", by: "a", at: Self.start + 2 * Self.hour, claiming: claim)])
            #expect(impossible.pausedFor == 4 * Self.hour, "the question's own time starts the pause")
        }
        let honest = RequestThread(
            request: Self.request,
            entries: [
                asked, given, receipt("x", of: "q", by: "a", at: Self.start + 2 * Self.hour, claiming: Self.start + 2 * Self.hour),
                receipt("y", of: "r", by: "b", at: Self.start + 6 * Self.hour, claiming: Self.start + 6 * Self.hour),
                receipt("z", of: "r", by: "a", at: Self.start + 7 * Self.hour, claiming: Self.start + 7 * Self.hour),
            ])
        #expect(
            honest.pausedFor == 4 * Self.hour && honest.dueAt == Self.start + 172 * Self.hour,
            "from a's receipt to b's; a's receipt of its own reply counts for nothing")
        #expect(honest.pauseBoundaries == ["q", "r"])
    }

    @Test func hostileTimesSaturateInsteadOfTrapping() {
        // 80,000 rounds near 1970, each reply's receipt claimed at the last moment of the year
        // 9999 (the latest a timestamp field holds): every pause is that long, and their sum
        // passes what 64 bits hold.
        var entries: [RequestEntry] = []
        let latest: UInt64 = 253_402_300_799_999
        for index in 0..<UInt64(80_000) {
            entries.append(Self.entry("q\(index)", "b", at: 4 * index, ["type": "clarification_asked", "text": "?"]))
            entries.append(Self.entry("r\(index)", "a", at: 4 * index + 1, ["type": "clarification_given", "text": "!"]))
            entries.append(
                Self.entry(
                    "z\(index)", "b", at: latest - index,
                    ["type": "receipt", "entry_id": "r\(index)", "received_at": Timestamps.iso8601(milliseconds: latest - index)]))
        }
        let thread = RequestThread(request: Self.request, entries: entries)
        #expect(thread.dueAt == .max && thread.pausedFor == .max)
        #expect(!thread.isOverdue(now: .max - 1))
    }
}
