import Foundation
import Replica
import SyncCore

/// The demo's sample region: four node folders made as `pccc init` makes them, synced with
/// each other along the topology's links by pulling batches.
struct DemoRegion {
    static let nodeIDs = ["mk-tabanovce", "rs-presevo", "me-dobrakovo", "al-hani-hotit"]
    static let links = [("mk-tabanovce", "rs-presevo"), ("rs-presevo", "me-dobrakovo"), ("me-dobrakovo", "al-hani-hotit")]
    static let marker = ".pccc-demo"

    let replicas: [String: Replica]

    init(stateFolder: String) throws {
        let fileManager = FileManager.default
        let root = URL(fileURLWithPath: stateFolder, isDirectory: true)
        if fileManager.fileExists(atPath: root.path) {
            guard fileManager.fileExists(atPath: root.appendingPathComponent(Self.marker).path) else {
                throw CLIError("\(stateFolder) exists and is not a demo state folder; choose another with --state")
            }
            try fileManager.removeItem(at: root)
        }
        try fileManager.createDirectory(at: root.appendingPathComponent("nodes"), withIntermediateDirectories: true)
        try Data().write(to: root.appendingPathComponent(Self.marker))
        var keys: [String: BatchSigningKey] = [:]
        for id in Self.nodeIDs { keys[id] = BatchSigningKey() }
        let topologyPath = root.appendingPathComponent("topology.yaml").path
        try Data(Self.topologyYAML(keys: keys).utf8).write(to: URL(fileURLWithPath: topologyPath))
        var replicas: [String: Replica] = [:]
        for id in Self.nodeIDs {
            let keyPath = root.appendingPathComponent("\(id).signing").path
            try NodeDirectory.writeSigningKey(keys[id]!, to: keyPath)
            let data = root.appendingPathComponent("nodes/\(id)").path
            replicas[id] = try InitCommand.initialise(
                data: data, node: id, topology: topologyPath, signingKeyPath: keyPath, admin: StaffOptions.loginName()
            ).0
        }
        self.replicas = replicas
    }

    static func topologyYAML(keys: [String: BatchSigningKey]) -> String {
        var yaml = "network: wb-demo\nnodes:\n"
        for (index, id) in nodeIDs.enumerated() {
            yaml += "  - id: \(id)\n    address: 127.0.0.1:\(17441 + index)\n    signing_key: \(keys[id]!.publicKey.topologyForm)\n"
        }
        yaml += "links:\n" + links.map { "  - [\($0.0), \($0.1)]\n" }.joined()
        yaml += "groups:\n  region: [\(nodeIDs.joined(separator: ", "))]\n  mk-rs: [mk-tabanovce, rs-presevo]\n"
        return yaml
    }

    /// Pulls both ways over every link until a round applies nothing; returns batches applied.
    func syncUntilQuiet() throws -> Int {
        var total = 0
        while true {
            var round = 0
            for (a, b) in Self.links {
                round += try replicas[b]!.pull(from: replicas[a]!).applied
                round += try replicas[a]!.pull(from: replicas[b]!).applied
            }
            total += round
            if round == 0 { return total }
        }
    }

    func printDigests(group: String) throws {
        for id in Self.nodeIDs {
            print("   \(id.padding(toLength: 14, withPad: " ", startingAt: 0)) digest(\(group)) \(try replicas[id]!.digest(group: group).prefix(16))…")
        }
    }
}
