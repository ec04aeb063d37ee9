import Foundation
import GRDB
import NIOConcurrencyHelpers
import Replica
import SyncCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// b's `pccc serve` is killed with SIGKILL 200 times at random moments while it applies a's
/// batches as fast as a makes them and while staff write at b through the CLI. After every
/// kill its file passes `integrity_check`, holds only whole batches, has not lost a batch it
/// held before, and holds every local write whose command exited 0.
@Suite(.serialized, .ownThread) struct CrashLoopTests {
    static let recordsPerBatch = 4

    /// Minutes of blocking work, which the suite's own thread carries.
    @Test func twoHundredKillsDuringApplyAndLocalWritesLoseNothing() throws {
        let kills = Int(ProcessInfo.processInfo.environment["PCCC_CRASH_KILLS"] ?? "") ?? 200
        // b dials a, so each restart reconnects at once instead of waiting out a's backoff.
        let region = try LiveRegion(nodes: ["a", "b"], links: [LiveRegion.Link(from: "b", to: "a")], groups: ["region": ["a", "b"]])
        try region.start("a", logLevel: "info")
        try region.start("b", logLevel: "info")
        let stop = NIOLockedValueBox(false)
        let acknowledged = NIOLockedValueBox<Set<String>>([])
        let sourceReplica = try region.openReplica("a")
        // a's replica written by this process: a serves each new batch as soon as it is committed.
        let workers = DispatchGroup()
        workers.enter()
        workers.enter()
        let source = Thread {
            defer { workers.leave() }
            var batch = 0
            while !stop.withLockedValue({ $0 }) {
                batch += 1
                try? sourceReplica.transact(in: "region") { transaction in
                    for index in 0..<Self.recordsPerBatch {
                        transaction.create(.person, [FieldWrite("category", "suspect"), FieldWrite("family_name", "LoopA \(batch)-\(index)")])
                    }
                }
                // About 100 batches a second: b keeps applying, yet catches up at the end.
                usleep(10_000)
            }
        }
        // Staff at b, through the CLI, whether b's serve is up or not.
        let staff = Thread {
            defer { workers.leave() }
            var count = 0
            while !stop.withLockedValue({ $0 }) {
                count += 1
                let result = try? PCCCExecutable.run([
                    "record", "add", "person", "--set", "category=suspect", "--data", region.folder("b"), "--group", "region", "--set",
                    "family_name=LoopB \(count)",
                ])
                if let result, result.status == 0 {
                    let id = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
                    acknowledged.withLockedValue { _ = $0.insert(id) }
                }
            }
        }
        source.start()
        staff.start()
        // On every way out, so the region (and its processes) goes when the test does.
        defer {
            stop.withLockedValue { $0 = true }
            workers.wait()
        }

        var generator = SystemRandomNumberGenerator()
        var heldBefore = 0
        var killedWhileApplying = 0
        let started = Date()
        for kill in 1...kills {
            if kill > 1 { try region.start("b", logLevel: "info") }
            usleep(UInt32.random(in: 200_000...800_000, using: &generator))
            region.stop("b", signal: SIGKILL)
            // Taken before the file is read, so every id in it was committed before that read.
            let acknowledgedBefore = acknowledged.withLockedValue { $0 }
            let state = try Self.inspect(region.folder("b") + "/replica.sqlite")
            #expect(state.integrity == ["ok"], "kill \(kill): integrity_check \(state.integrity)")
            #expect(
                state.batchRows == state.head && state.maxSeq == state.head,
                "kill \(kill): batch log \(state.batchRows) rows up to \(state.maxSeq), head \(state.head)")
            #expect(
                state.sourceRecords == state.head * Self.recordsPerBatch, "kill \(kill): \(state.sourceRecords) of a's records for \(state.head) whole batches")
            #expect(state.head >= heldBefore, "kill \(kill): b held a's batch \(heldBefore) before and \(state.head) after")
            let missing = acknowledgedBefore.subtracting(state.localIDs)
            #expect(missing.isEmpty, "kill \(kill): acknowledged local writes missing: \(missing.prefix(5))")
            if state.head > heldBefore { killedWhileApplying += 1 }
            heldBefore = state.head
        }
        stop.withLockedValue { $0 = true }
        workers.wait()
        let loopSeconds = Date().timeIntervalSince(started)
        try region.start("b", logLevel: "info")
        try region.waitUntil("b to catch up with a after the last kill", seconds: 120, every: 0.25) {
            try region.digest(at: "a") == region.digest(at: "b")
        }
        let final = try Self.inspect(region.folder("b") + "/replica.sqlite")
        #expect(acknowledged.withLockedValue { $0 }.isSubset(of: final.localIDs))
        // A life can end before its session is up; at least a third must end mid-apply.
        #expect(killedWhileApplying >= kills / 3, "only \(killedWhileApplying) of \(kills) kills fell while b was applying")
        print(
            "crash loop: \(kills) SIGKILLs in \(Int(loopSeconds)) s, \(killedWhileApplying) while b applied a's batches; b then held \(final.head) batches of a (\(final.sourceRecords) records) and \(acknowledged.withLockedValue { $0 }.count) acknowledged local writes; integrity_check ok after every kill"
        )
    }

    struct ReplicaState {
        let integrity: [String]
        let batchRows: Int
        let maxSeq: Int
        let head: Int
        let sourceRecords: Int
        let localIDs: Set<String>
    }

    static func inspect(_ path: String) throws -> ReplicaState {
        var configuration = SQLiteLibrary.configuration()
        // The staff writer keeps writing meanwhile.
        configuration.busyMode = .timeout(10)
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            ReplicaState(
                integrity: try String.fetchAll(db, sql: "PRAGMA integrity_check"),
                // a writes in the one epoch its init began: its streams are named a~EPOCH.
                batchRows: try Int.fetchOne(db, sql: "SELECT count(*) FROM batch_log WHERE origin LIKE 'a~%'") ?? -1,
                maxSeq: try Int.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM batch_log WHERE origin LIKE 'a~%'") ?? -1,
                head: try Int.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM stream_head WHERE origin LIKE 'a~%'") ?? -1,
                sourceRecords: try Int.fetchOne(db, sql: "SELECT count(*) FROM person WHERE family_name LIKE 'LoopA %'") ?? -1,
                localIDs: Set(try String.fetchAll(db, sql: "SELECT id FROM person WHERE family_name LIKE 'LoopB %'"))
            )
        }
    }
}
