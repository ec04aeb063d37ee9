import Foundation
import Records
import Replica
import SyncCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A node killed in the middle of a long catch-up resumes from its stream heads.
@Suite(.serialized, .ownThread) struct RestartCatchUpTests {
    static let batchCount: UInt64 = 10_000

    @Test func aNodeKilledMidCatchUpResumesWithNoBatchTwiceAndNoneSkipped() throws {
        let region = try LiveRegion(nodes: ["a", "b"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        do {
            let source = try region.openReplica("a")
            for index in 0..<Self.batchCount {
                _ = try source.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Person \(index)")])
            }
        }
        try region.start("a")
        try region.start("b")
        do {
            try region.waitUntil("b to be part-way through the catch-up", seconds: 20, every: 0.02) {
                try region.heldSeq(at: "b", origin: "a", group: "region") >= 500
            }
        } catch {
            print(String(region.log("a").suffix(3000)))
            print(String(region.log("b").suffix(3000)))
            throw error
        }
        region.stop("b", signal: SIGKILL)
        let heldAtKill = try region.heldSeq(at: "b", origin: "a", group: "region")
        print("b held \(heldAtKill) of \(Self.batchCount) batches when killed")
        try #require(heldAtKill < Self.batchCount, "the kill must land mid catch-up for this test to mean anything")

        try region.start("b")
        try region.waitUntil("b to hold every batch", seconds: 120, every: 0.2) {
            try region.heldSeq(at: "b", origin: "a", group: "region") == Self.batchCount
        }
        region.stop("a")
        region.stop("b")
        #expect(try region.digest(at: "a") == region.digest(at: "b"))
        let replica = try region.openReplica("b")
        let stream = try region.writeStream(of: "a", group: "region")
        var expected: UInt64 = 1
        while true {
            let page = try replica.batches(of: stream, after: expected - 1, limit: 2_000)
            guard !page.isEmpty else { break }
            for batch in page {
                #expect(batch.header.seq == expected, "b's log holds seqs 1...N with no gap")
                expected = batch.header.seq + 1
            }
        }
        #expect(expected == Self.batchCount + 1)
        #expect(try replica.quarantinedCount() == 0)
        #expect(try replica.alarms().isEmpty)
    }
}
