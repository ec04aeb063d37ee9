import Crypto
import Foundation
import NodeService
import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// `pccc pull` reads another node folder's replica and nothing else of it: no private key, no
/// topology, no write. Every batch it applies is verified against the keys the pulling node's
/// own topology pins.
@Suite(.ownThread) struct PullCommandTests {
    @Test func pullReadsACopyWithoutItsSigningKeyLeavesItUntouchedAndRefusesAForgery() throws {
        let folder = try TemporaryDirectory()
        let keys: [NodeID: BatchSigningKey] = ["source": BatchSigningKey(), "target": BatchSigningKey()]
        var topology = "network: pull-net\nnodes:\n"
        for (index, node) in (["source", "target"] as [NodeID]).enumerated() {
            try NodeDirectory.writeSigningKey(keys[node]!, to: folder.path("\(node).signing"))
            topology += "  - id: \(node)\n    address: 127.0.0.1:\(19000 + index)\n    signing_key: \(keys[node]!.publicKey.topologyForm)\n"
        }
        topology += "links:\n  - [source, target]\ngroups:\n  region: [source, target]\n"
        try topology.write(toFile: folder.path("topology.yaml"), atomically: true, encoding: .utf8)
        for node in ["source", "target"] {
            let result = try PCCCExecutable.run([
                "init", "--data", folder.path(node), "--node", node, "--topology", folder.path("topology.yaml"),
                "--signing-key", folder.path("\(node).signing"),
            ])
            #expect(result.status == 0, "pccc init failed: \(result.error)")
        }
        let roster = Roster(network: "pull-net", signingKeys: keys.mapValues(\.publicKey), groups: ["region": ["source", "target"]])
        let source = try Replica(
            path: folder.path("source/replica.sqlite"), configuration: ReplicaConfiguration(nodeID: "source", signingKey: keys["source"]!, roster: roster))
        for index in 0..<3 {
            _ = try source.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Pulled \(index)")])
        }

        // The copy a courier carries: its private key and topology are not on it.
        let copy = folder.path("copy")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: folder.path("source/replica.sqlite"), toPath: copy + "/replica.sqlite")
        for name in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: folder.path("source/replica.sqlite") + name) {
            try FileManager.default.copyItem(atPath: folder.path("source/replica.sqlite") + name, toPath: copy + "/replica.sqlite" + name)
        }
        #expect(!FileManager.default.fileExists(atPath: copy + "/signing.key"))
        let before = SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: copy + "/replica.sqlite")))
        let pulled = try PCCCExecutable.run(["pull", "--data", folder.path("target"), "--from", copy])
        #expect(pulled.status == 0, "pull from a copy without its key failed: \(pulled.error)")
        #expect(pulled.output.contains("applied 3 batches"), "\(pulled.output)")
        #expect(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: copy + "/replica.sqlite"))) == before, "pull wrote the source")
        let target = try Replica(
            path: folder.path("target/replica.sqlite"), configuration: ReplicaConfiguration(nodeID: "target", signingKey: keys["target"]!, roster: roster))
        #expect(try target.digest() == source.digest())

        // A file whose batches of a stream of source another key signed: the first is refused.
        let forger = BatchSigningKey()
        try FileManager.default.createDirectory(atPath: folder.path("forged"), withIntermediateDirectories: false)
        let forged = try Replica(
            path: folder.path("forged/replica.sqlite"),
            configuration: ReplicaConfiguration(
                nodeID: "source", signingKey: forger, roster: Roster(network: "pull-net", signingKeys: ["source": forger.publicKey], groups: roster.groups)))
        for index in 0..<4 {
            _ = try forged.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Forged \(index)")])
        }
        let refused = try PCCCExecutable.run(["pull", "--data", folder.path("target"), "--from", folder.path("forged")])
        #expect(refused.status != 0)
        #expect(refused.output.contains("source/region seq 1 refused"), "the first forged batch is refused: \(refused.output)")
        #expect(refused.error.contains("1 streams could not be brought up to date"), "\(refused.error)")
        #expect(try target.digest() == source.digest(), "nothing forged was applied")

        let missing = try PCCCExecutable.run(["pull", "--data", folder.path("target"), "--from", folder.path("nowhere")])
        #expect(missing.status != 0 && missing.error.contains("cannot read batches from \(folder.path("nowhere")):"), "\(missing.error)")
    }
}
