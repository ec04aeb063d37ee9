import Foundation
import GRDB
import NodeService
import Records
import Replica
import SyncCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A `pccc pull` process killed with SIGKILL while applying a long series of batches leaves a
/// file that passes `PRAGMA integrity_check` and holds only whole batches.
@Suite(.ownThread) struct CrashSafetyTests {
    static let batchCount = 1500
    static let recordsPerBatch = 4

    @Test func sigkillDuringApplyLeavesOnlyWholeBatches() throws {
        let folder = try TemporaryDirectory()
        let keys: [NodeID: BatchSigningKey] = ["source": BatchSigningKey(), "target": BatchSigningKey()]
        var topology = "network: crash-net\nnodes:\n"
        for (index, node) in (["source", "target"] as [NodeID]).enumerated() {
            let keyPath = folder.url.appendingPathComponent("\(node).signing").path
            try NodeDirectory.writeSigningKey(keys[node]!, to: keyPath)
            topology += "  - id: \(node)\n    address: 127.0.0.1:\(18000 + index)\n    signing_key: \(keys[node]!.publicKey.topologyForm)\n"
        }
        topology += "links:\n  - [source, target]\ngroups:\n  region: [source, target]\n"
        let topologyPath = folder.url.appendingPathComponent("topology.yaml").path
        try Data(topology.utf8).write(to: URL(fileURLWithPath: topologyPath))
        for node in ["source", "target"] {
            let result = try PCCCExecutable.run([
                "init", "--data", folder.url.appendingPathComponent(node).path, "--node", node, "--topology", topologyPath,
                "--signing-key", folder.url.appendingPathComponent("\(node).signing").path,
            ])
            #expect(result.status == 0, "pccc init failed: \(result.error)")
        }
        let sourcePath = folder.url.appendingPathComponent("source/replica.sqlite").path
        let targetPath = folder.url.appendingPathComponent("target/replica.sqlite").path
        let roster = Roster(network: "crash-net", signingKeys: keys.mapValues(\.publicKey), groups: ["region": ["source", "target"]])
        let source = try Replica(path: sourcePath, configuration: ReplicaConfiguration(nodeID: "source", signingKey: keys["source"]!, roster: roster))
        for batch in 0..<Self.batchCount {
            try source.transact(in: "region") { transaction in
                for index in 0..<Self.recordsPerBatch {
                    transaction.create(
                        .person, [FieldWrite("category", "suspect"), FieldWrite("family_name", "Crash \(batch)-\(index)"), FieldWrite("alert", "wanted")])
                }
            }
        }

        var rng = SystemRandomNumberGenerator()
        var kills = 0
        for _ in 0..<4 {
            let pull = try PCCCExecutable.start([
                "pull", "--data", folder.url.appendingPathComponent("target").path, "--from", folder.url.appendingPathComponent("source").path,
            ])
            usleep(UInt32.random(in: 150_000...900_000, using: &rng))
            if pull.isRunning {
                kill(pull.pid, SIGKILL)
                kills += 1
            }
            try pull.wait(seconds: PCCCExecutable.runLimitSeconds)
            try Self.checkWholeBatches(targetPath)
        }
        #expect(kills > 0, "no pull was still running when killed; the test did not test a crash")

        let finish = try PCCCExecutable.run([
            "pull", "--data", folder.url.appendingPathComponent("target").path, "--from", folder.url.appendingPathComponent("source").path,
        ])
        #expect(finish.status == 0, "the final pull failed: \(finish.error)")
        try Self.checkWholeBatches(targetPath)
        let target = try Replica(path: targetPath, configuration: ReplicaConfiguration(nodeID: "target", signingKey: keys["target"]!, roster: roster))
        #expect(try target.digest() == source.digest())
        let positions = try source.streamPositions()
        #expect(positions.map(\.seq) == [UInt64(Self.batchCount)])
        #expect(try target.streamPositions() == positions)
    }

    /// integrity_check passes; the stream head, the batch log and the records agree exactly.
    static func checkWholeBatches(_ path: String) throws {
        let queue = try DatabaseQueue(path: path, configuration: SQLiteLibrary.configuration())
        try queue.read { db in
            #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"])
            let batches = try Int.fetchOne(db, sql: "SELECT count(*) FROM batch_log") ?? -1
            let maxSeq = try Int.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM batch_log") ?? -1
            let head = try Int.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM stream_head") ?? -1
            let persons = try Int.fetchOne(db, sql: "SELECT count(*) FROM person") ?? -1
            #expect(batches == maxSeq && head == maxSeq, "batch log \(batches) rows, max seq \(maxSeq), head \(head)")
            #expect(persons == batches * recordsPerBatch, "\(persons) persons for \(batches) whole batches")
        }
    }
}
