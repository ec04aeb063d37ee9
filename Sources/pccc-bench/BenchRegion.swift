import Foundation
import Logging
import NIOPosix
import Node
import Replica
import SyncCore
import Topology
import Transport

/// A region made for one measurement in its own folder: a CA, and per node a certificate, a
/// key, a batch signing key and a replica path; `topology.yaml` links the nodes listed in
/// `links`. Private keys are made here, at run time, and removed with the folder.
struct BenchRegion {
    let folder: URL
    let network = "bench"
    let nodes: [NodeID]
    let signingKeys: [NodeID: BatchSigningKey]
    let topology: RegionTopology

    /// Makes the region. `address` gives each node's listening address and each link's dial
    /// address (a proxy, say); nodes that never run get one too, as the topology requires.
    init(
        folder: URL, nodes: [NodeID], groups: [GroupID: [NodeID]], links: [(from: NodeID, to: NodeID, address: String?)],
        addresses: [NodeID: String]
    ) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        self.folder = folder
        self.nodes = nodes
        let authority = try RegionCertificates.makeAuthority(name: "bench CA")
        try authority.certificatePEM.write(to: folder.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        var keys: [NodeID: BatchSigningKey] = [:]
        for node in nodes {
            let issued = try RegionCertificates.issue(node: node.rawValue, caCertificatePEM: authority.certificatePEM, caPrivateKeyPEM: authority.privateKeyPEM)
            try issued.certificatePEM.write(to: folder.appendingPathComponent("\(node).pem"), atomically: true, encoding: .utf8)
            try issued.privateKeyPEM.write(to: folder.appendingPathComponent("\(node).key"), atomically: true, encoding: .utf8)
            let key = BatchSigningKey()
            try Data(key.rawRepresentation).write(to: folder.appendingPathComponent("\(node).signing"))
            keys[node] = key
        }
        signingKeys = keys
        var yaml = "network: \(network)\nnodes:\n"
        for node in nodes {
            yaml += "  - { id: \(node), address: \"\(addresses[node]!)\", signing_key: \"\(keys[node]!.publicKey.topologyForm)\" }\n"
        }
        yaml += "links:\n"
        for link in links {
            yaml += "  - { from: \(link.from), to: \(link.to)\(link.address.map { ", address: \"\($0)\"" } ?? "") }\n"
        }
        yaml += "groups:\n"
        for (group, members) in groups.sorted(by: { $0.key < $1.key }) {
            yaml += "  \(group): [\(members.map(\.rawValue).joined(separator: ", "))]\n"
        }
        try yaml.write(to: folder.appendingPathComponent("topology.yaml"), atomically: true, encoding: .utf8)
        topology = try RegionTopology.parse(yaml: yaml, file: "topology.yaml")
    }

    /// The replica file of `node`.
    func replicaPath(_ node: NodeID) -> String { Self.replicaPath(folder: folder, node: node) }

    /// Opens (or creates) the replica of `node`.
    func replica(_ node: NodeID) throws -> Replica {
        try Self.replica(folder: folder, node: node, signingKey: signingKeys[node]!, topology: topology)
    }

    /// The sync node of `node` over its replica, logging errors only.
    func syncNode(_ node: NodeID, replica: Replica) throws -> SyncNode {
        try Self.syncNode(node, replica: replica, folder: folder, topology: topology)
    }

    /// The topology and the replica of `node`, read back from a region's folder.
    static func reopen(folder: URL, node: NodeID) throws -> (topology: RegionTopology, replica: Replica) {
        let yaml = try String(contentsOf: folder.appendingPathComponent("topology.yaml"), encoding: .utf8)
        let topology = try RegionTopology.parse(yaml: yaml, file: "topology.yaml")
        let key = try BatchSigningKey(rawRepresentation: Array(try Data(contentsOf: folder.appendingPathComponent("\(node).signing"))))
        return (topology, try replica(folder: folder, node: node, signingKey: key, topology: topology))
    }

    private static func replicaPath(folder: URL, node: NodeID) -> String { folder.appendingPathComponent("\(node).sqlite").path }

    private static func replica(folder: URL, node: NodeID, signingKey: BatchSigningKey, topology: RegionTopology) throws -> Replica {
        try Replica(
            path: replicaPath(folder: folder, node: node),
            configuration: ReplicaConfiguration(nodeID: node, signingKey: signingKey, roster: topology.roster)
        )
    }

    static func syncNode(_ node: NodeID, replica: Replica, folder: URL, topology: RegionTopology) throws -> SyncNode {
        let credentials = try TLSCredentials(
            caPath: folder.appendingPathComponent("ca.pem").path,
            certificatePath: folder.appendingPathComponent("\(node).pem").path,
            keyPath: folder.appendingPathComponent("\(node).key").path
        )
        var logger = Logger(label: "bench-\(node)")
        logger.logLevel = .error
        return SyncNode(replica: replica, configuration: NodeConfiguration(nodeID: node, topology: topology, credentials: credentials), logger: logger)
    }
}

/// A TCP port free right now on 127.0.0.1.
func freePort() throws -> Int {
    let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
    defer { try? channel.close().wait() }
    guard let port = channel.localAddress?.port else { throw BenchError("cannot find a free port") }
    return port
}
