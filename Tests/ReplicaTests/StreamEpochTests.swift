import Foundation
import GRDB
import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// A node restored from an older copy of its replica, or rebuilt, never reuses a seq the region
/// has seen with other content, and nothing written on either side of the restore is lost
/// (docs/PROTOCOL.md §5.9). Replicas on disk, batches moved by pull.
@Suite struct StreamEpochTests {
    /// A consistent copy of a live replica file, as a backup or a VM snapshot would hold it.
    static func copy(_ path: String, to copy: String) throws {
        let queue = try DatabaseQueue(path: path, configuration: SQLiteLibrary.configuration())
        try queue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
    }

    @Test func aReplicaPutBackFromAnOlderCopyReissuesItsNewWritesAndTakesBackTheLostOnes() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a", "b"], directory: folder.url)
        try region["a"].beginStreamEpoch(reason: .initialised)
        let epoch = try region["a"].writeEpoch().epoch
        var written: [RecordID] = []
        for index in 0..<2 {
            written.append(try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Before \(index)")]))
        }
        try region["b"].pullChecked(from: region["a"])
        try Self.copy(folder.path("a.sqlite"), to: folder.path("a-copy.sqlite"))
        // After the copy: five writes that reach b, then the disk dies.
        for index in 0..<5 {
            written.append(try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Lost \(index)")]))
        }
        try region["b"].pullChecked(from: region["a"])

        var configuration = region["a"].configuration
        configuration.wallClock = { region.clocks["a"]!.now + 60_000 }
        let restored = try Replica(path: folder.path("a-copy.sqlite"), configuration: configuration)
        #expect(try restored.writeEpoch().epoch == epoch, "the copy writes on in the epoch it was copied in")
        for index in 0..<3 {
            written.append(try restored.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "After \(index)")]))
        }

        // The link comes back: b holds five batches of a's epoch the restored replica does not.
        let back = try restored.pull(from: region["b"])
        #expect(back.refused.isEmpty, "\(back.refused)")
        let now = try restored.writeEpoch()
        #expect(now.reason == .restoreDetected && now.epoch > epoch, "a new epoch begins: \(now)")
        #expect(try restored.alarms().contains { $0.code == "restore_detected" })
        try region["b"].pullChecked(from: restored)
        try restored.pull(from: region["b"])

        for id in written {
            #expect(try restored.lookup(id) != .unknown, "the restored replica lacks \(id)")
            #expect(try region["b"].lookup(id) != .unknown, "b lacks \(id)")
        }
        #expect(try restored.digest() == region["b"].digest())
        #expect(try region["b"].quarantinedCount() == 0 && restored.quarantinedCount() == 0, "nothing ends up in quarantine")
        // The old epoch now holds exactly b's copy; the three new writes travel in the new one.
        let old = StreamID(origin: "a", epoch: epoch, group: "region")
        #expect(try restored.batches(of: old, after: 0, limit: 100).map(\.header.hash) == region["b"].batches(of: old, after: 0, limit: 100).map(\.header.hash))
        let new = StreamID(origin: "a", epoch: now.epoch, group: "region")
        #expect(try region["b"].batches(of: new, after: 0, limit: 100).count == 3, "the 3 written after the restore, and nothing the region held")
    }

    @Test func aBatchOfItsOwnThatExtendsWhatItHoldsIsTakenBackAndTheNodeWritesOnInANewEpoch() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a", "b"], directory: folder.url)
        try region["a"].beginStreamEpoch(reason: .initialised)
        let epoch = try region["a"].writeEpoch().epoch
        _ = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Kept")])
        try Self.copy(folder.path("a.sqlite"), to: folder.path("a-copy.sqlite"))
        let lost = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Lost")])
        try region["b"].pullChecked(from: region["a"])

        var configuration = region["a"].configuration
        configuration.wallClock = { region.clocks["a"]!.now + 60_000 }
        let restored = try Replica(path: folder.path("a-copy.sqlite"), configuration: configuration)
        let lostBatch = try #require(try region["b"].batches(of: StreamID(origin: "a", epoch: epoch, group: "region"), after: 1, limit: 1).first)
        #expect(try restored.apply(envelope: lostBatch.envelope) == .applied(changes: 1))
        #expect(try restored.lookup(lost) != .unknown)
        let now = try restored.writeEpoch()
        #expect(now.epoch > epoch && now.reason == .restoreDetected, "a peer not yet heard from may hold more of the old epoch")
        let next = try restored.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Next")])
        #expect(try restored.streamPositions().contains { $0.stream == StreamID(origin: "a", epoch: now.epoch, group: "region") && $0.seq == 1 })
        try region["b"].pullChecked(from: restored)
        #expect(try region["b"].lookup(next) != .unknown)
    }

    @Test func aPeerAcknowledgingWhatItDoesNotHoldCannotKeepTheCopysNewWritesFromBeingReissued() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a", "b"], directory: folder.url)
        try region["a"].beginStreamEpoch(reason: .initialised)
        let epoch = try region["a"].writeEpoch().epoch
        let old = StreamID(origin: "a", epoch: epoch, group: "region")
        _ = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Kept")])
        try Self.copy(folder.path("a.sqlite"), to: folder.path("a-copy.sqlite"))
        _ = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Lost")])
        try region["b"].pullChecked(from: region["a"])

        var configuration = region["a"].configuration
        configuration.wallClock = { region.clocks["a"]!.now + 60_000 }
        let restored = try Replica(path: folder.path("a-copy.sqlite"), configuration: configuration)
        let new = try restored.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Written after the restore")])
        // A hostile peer claims to have applied the copy's new batch, and more.
        try restored.recordHeartbeat(
            ServingHeartbeat(at: 1, peers: [.init(peer: "b", contact: nil, batchIn: nil, batchOut: nil, acknowledged: [StreamPosition(old, seq: 99)])]))
        let region2 = try #require(try region["b"].batches(of: old, after: 1, limit: 1).first)
        guard case .restoreDetected(let truncated) = try restored.apply(envelope: region2.envelope) else {
            Issue.record("the other batch at seq 2 was not taken as a restore")
            return
        }
        #expect(truncated == [old: 1], "the batches from where the copies parted are dropped, whatever was acknowledged")
        try restored.pull(from: region["b"])
        try region["b"].pullChecked(from: restored)
        #expect(try region["b"].lookup(new) != .unknown, "the write after the restore reached b in the new epoch")
        #expect(try restored.digest() == region["b"].digest())
    }

    /// The session in which the copy saw its restore ended before its old stream came again
    /// (chaos seed 58667): later, the region's branch arrives after the copy's head and does not
    /// chain to it. The copy asks for the stream from its start, finds where it parted, and
    /// re-issues its own branch there; nothing is quarantined and every write arrives.
    @Test func aCopyThatLostTheSessionOfItsRestoreStillFindsWhereItPartedFromTheRegion() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a", "b"], directory: folder.url)
        try region["a"].beginStreamEpoch(reason: .initialised)
        let epoch = try region["a"].writeEpoch().epoch
        let old = StreamID(origin: "a", epoch: epoch, group: "region")
        var written = [try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Everywhere")])]
        try Self.copy(folder.path("a.sqlite"), to: folder.path("a-copy.sqlite"))
        // Seqs 2 to 6 reach b; then a is put back from the copy, which writes seqs 2 to 4 anew.
        for index in 0..<5 {
            written.append(try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Lost \(index)")]))
        }
        try region["b"].pullChecked(from: region["a"])
        var configuration = region["a"].configuration
        configuration.wallClock = { region.clocks["a"]!.now + 60_000 }
        let restored = try Replica(path: folder.path("a-copy.sqlite"), configuration: configuration)
        for index in 0..<3 {
            written.append(try restored.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "After \(index)")]))
        }

        // b's seq 5 follows the copy's head and does not chain to it: a restore, parted where
        // the batch does not say.
        let fifth = try #require(try region["b"].batches(of: old, after: 4, limit: 1).first)
        #expect(try restored.apply(envelope: fifth.envelope) == .restoreDetected(truncated: [old: 0]))
        // That session ends before the stream comes again. In the next, the same batch parts
        // from the copy's branch of what is now an older epoch of its own.
        #expect(try restored.apply(envelope: fifth.envelope) == .partedEarlier(old))
        #expect(try restored.quarantinedCount() == 0)
        // Asked again from its start, b's stream shows the parting at seq 2.
        for batch in try region["b"].batches(of: old, after: 0, limit: 10) {
            let outcome = try restored.apply(envelope: batch.envelope)
            #expect(outcome == (batch.header.seq == 1 ? .duplicate : .applied(changes: 1)), "seq \(batch.header.seq): \(outcome)")
        }
        try region["b"].pullChecked(from: restored)
        for id in written {
            for node in [restored, region["b"]] { #expect(try node.lookup(id) != .unknown, "\(id) is missing somewhere") }
        }
        #expect(try restored.digest() == region["b"].digest())
        #expect(try restored.quarantinedCount() == 0 && region["b"].quarantinedCount() == 0)
        #expect(try restored.alarms().map(\.code) == ["restore_detected"])
        #expect(try region["b"].alarms().isEmpty)
        let new = StreamID(origin: "a", epoch: try restored.writeEpoch().epoch, group: "region")
        #expect(try region["b"].batches(of: new, after: 0, limit: 10).count == 3, "the copy's three writes, re-issued in its new epoch")
    }

    @Test func aPeerThatTookTheCopysNewBatchesFirstGivesThemUpOnceTheyAreReissued() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a", "b", "c"], directory: folder.url)
        try region["a"].beginStreamEpoch(reason: .initialised)
        let epoch = try region["a"].writeEpoch().epoch
        var written = [try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Everywhere")])]
        try region["b"].pullChecked(from: region["a"])
        try region["c"].pullChecked(from: region["a"])
        try Self.copy(folder.path("a.sqlite"), to: folder.path("a-copy.sqlite"))
        // Three writes reach b only; then a's disk dies.
        for index in 0..<3 {
            written.append(try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Lost \(index)")]))
        }
        try region["b"].pullChecked(from: region["a"])

        var configuration = region["a"].configuration
        configuration.wallClock = { region.clocks["a"]!.now + 60_000 }
        let restored = try Replica(path: folder.path("a-copy.sqlite"), configuration: configuration)
        for index in 0..<2 {
            written.append(try restored.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "After \(index)")]))
        }
        // c, which lacked the lost ones, takes the copy's new batches as seqs 2 and 3 of the epoch.
        try region["c"].pullChecked(from: restored)
        // b's branch reaches c first: a fork, kept as evidence.
        let old = StreamID(origin: "a", epoch: epoch, group: "region")
        let second = try #require(try region["b"].batches(of: old, after: 1, limit: 1).first)
        guard case .forked = try region["c"].apply(envelope: second.envelope) else {
            Issue.record("c took b's branch over the one it held before anything was re-issued")
            return
        }
        // b shows the restored node what it lost: it re-issues its new batches in a new epoch.
        try restored.pull(from: region["b"])
        #expect(try restored.writeEpoch().reason == .restoreDetected)
        // With the copies held, the branch c held gives way to the region's, fork and all.
        try region["c"].pullChecked(from: restored)
        #expect(try !region["c"].alarms().contains { $0.code == "fork" })
        try region["b"].pullChecked(from: restored)
        for id in written {
            for node in [restored, region["b"], region["c"]] { #expect(try node.lookup(id) != .unknown, "\(id) is missing somewhere") }
        }
        #expect(Set([try restored.digest(), try region["b"].digest(), try region["c"].digest()]).count == 1)
        #expect(try region["c"].quarantinedCount() == 0)
        #expect(
            try region["c"].batches(of: old, after: 0, limit: 10).map(\.header.hash) == region["b"].batches(of: old, after: 0, limit: 10).map(\.header.hash))
    }

    /// The branch a restored node wrote before it knew, once re-issued, settles every fork it
    /// caused: a node holding the region's branch drops the quarantined batches the copies stand
    /// for and clears the alarm, takes a relay's stale batch of that branch as superseded, not as
    /// a new fork, and a relay that holds the branch gives it up for the region's.
    @Test func aForkOfABranchItsOriginReissuedIsSettledEverywhere() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a", "b", "c"], directory: folder.url)
        try region["a"].beginStreamEpoch(reason: .initialised)
        let epoch = try region["a"].writeEpoch().epoch
        let old = StreamID(origin: "a", epoch: epoch, group: "region")
        var written = [try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Everywhere")])]
        try region["b"].pullChecked(from: region["a"])
        try region["c"].pullChecked(from: region["a"])
        try Self.copy(folder.path("a.sqlite"), to: folder.path("a-copy.sqlite"))
        // Three writes reach c only (seqs 2 to 4); then a is put back from the copy.
        for index in 0..<3 {
            written.append(try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Lost \(index)")]))
        }
        try region["c"].pullChecked(from: region["a"])

        var configuration = region["a"].configuration
        configuration.wallClock = { region.clocks["a"]!.now + 60_000 }
        let restored = try Replica(path: folder.path("a-copy.sqlite"), configuration: configuration)
        // Before it knows, the copy writes seqs 2 to 5 of the same epoch, and b relays them.
        for index in 0..<4 {
            written.append(try restored.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "After \(index)")]))
        }
        try region["b"].pullChecked(from: restored)
        let fifth = try #require(try restored.batches(of: old, after: 4, limit: 1).first)
        guard case .forked = try region["c"].apply(envelope: fifth.envelope) else {
            Issue.record("c took seq 5 of the copy's branch over the region's seq 4")
            return
        }
        #expect(try region["c"].alarms().contains { $0.code == "fork" && $0.subject == old.description })

        // c shows the copy what it lost (its seq 2, as a session does when the copy's stream
        // forks there): the copy re-issues its four new batches in a new epoch.
        let regions2 = try #require(try region["c"].batches(of: old, after: 1, limit: 1).first)
        #expect(try restored.apply(envelope: regions2.envelope) == .restoreDetected(truncated: [old: 1]))
        #expect(try restored.pull(from: region["c"]).refused.isEmpty)
        #expect(try restored.writeEpoch().reason == .restoreDetected)
        let new = StreamID(origin: "a", epoch: try restored.writeEpoch().epoch, group: "region")
        for batch in try restored.batches(of: new, after: 0, limit: 10) {
            #expect(try region["c"].apply(envelope: batch.envelope) == .applied(changes: 1))
        }
        #expect(try region["c"].quarantinedCount() == 0, "the quarantined seq 5 is the copy's, re-issued")
        #expect(try !region["c"].alarms().contains { $0.code == "fork" || $0.code == "quarantine_full" })
        // b still relays the copy's branch: stale, not a new fork.
        #expect(try region["c"].apply(envelope: fifth.envelope) == .superseded)
        #expect(try region["c"].quarantinedCount() == 0)

        // b takes the copies and gives up the branch it held for the region's.
        let firstCopy = try #require(try restored.batches(of: new, after: 0, limit: 1).first)
        #expect(try region["b"].apply(envelope: firstCopy.envelope) == .applied(changes: 1), "not yet: b's head, seq 5, has no copy")
        let rest = try restored.batches(of: new, after: 1, limit: 10)
        for batch in rest.dropLast() { #expect(try region["b"].apply(envelope: batch.envelope) == .applied(changes: 1)) }
        #expect(try region["b"].apply(envelope: rest.last!.envelope) == .appliedGivingWay(changes: 1, truncated: [old: 1]))
        try region["b"].pullChecked(from: region["c"])
        for id in written {
            for node in [restored, region["b"], region["c"]] { #expect(try node.lookup(id) != .unknown, "\(id) is missing somewhere") }
        }
        #expect(Set([try restored.digest(), try region["b"].digest(), try region["c"].digest()]).count == 1)
        for node in [region["b"], region["c"]] {
            #expect(try node.batches(of: old, after: 0, limit: 10).map(\.header.hash) == restored.batches(of: old, after: 0, limit: 10).map(\.header.hash))
            let alarms = try node.alarms()
            #expect(alarms.isEmpty, "\(alarms)")
        }
    }

    @Test func aNewEpochFollowsEveryEpochOfTheNodeHeldHereEvenWhenTheClockIsBehind() throws {
        let region = try TestRegion(nodes: ["a", "b"])
        let first = try region["a"].beginStreamEpoch(reason: .initialised)
        #expect(first == region.clocks["a"]!.now)
        region.clocks["a"]!.set(1_000)
        let second = try region["a"].beginStreamEpoch(reason: .restored)
        #expect(second == first + 1, "the epoch never goes back with the clock")
        #expect(try region["a"].writeEpoch() == WriteEpoch(epoch: second, reason: .restored, startedAt: 1_000))
    }
}
