import ArgumentParser
import Foundation
import Replica
import SyncCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a node folder: its replica, a copy of the topology and its signing key."
    )

    @Option(help: "The node folder to create.") var data: String
    @Option(help: "This node's id, as listed in the topology.") var node: String
    @Option(help: "The region's topology file.") var topology: String
    @Option(help: "An existing signing key file (ed25519-signing-key:BASE64); one is generated when omitted.")
    var signingKey: String?

    func run() throws {
        let (replica, key, keyPinned) = try Self.initialise(data: data, node: node, topology: topology, signingKeyPath: signingKey)
        print("initialised node \(node) in \(data) (schema version \(try replica.schemaVersion()))")
        if !keyPinned {
            print("pin its signing key in the topology: signing_key: \(key.publicKey.topologyForm)")
        }
    }

    /// Makes the node folder; returns its replica, its signing key and whether the topology
    /// already pins that key.
    static func initialise(
        data: String,
        node: String,
        topology: String,
        signingKeyPath: String?
    ) throws -> (Replica, BatchSigningKey, Bool) {
        let directory = NodeDirectory(data)
        guard !FileManager.default.fileExists(atPath: directory.nodeIDPath) else {
            throw CLIError("\(data) already holds a node; choose an empty folder")
        }
        let region = try NodeDirectory.loadTopology(topology)
        guard let entry = region.node(node) else {
            throw CLIError("node \(node) is not in the topology \(topology)")
        }
        let key = try signingKeyPath.map(NodeDirectory.loadSigningKey) ?? BatchSigningKey()
        if let pinned = entry.signingKey, pinned != key.publicKey {
            throw CLIError("the topology pins another signing key for \(node); pass its key file with --signing-key")
        }
        try FileManager.default.createDirectory(at: directory.url, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: topology, toPath: directory.topologyPath)
        try NodeDirectory.writeSigningKey(key, to: directory.signingKeyPath)
        try Data((node + "\n").utf8).write(to: URL(fileURLWithPath: directory.nodeIDPath))
        return (try directory.open(), key, entry.signingKey != nil)
    }
}
