import FaultProxy
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import Node
import Records
import Replica
import SyncCore
import Topology
import Transport

/// Two nodes in this process over loopback mutual TLS, with a counting proxy on the link:
/// one holds `changes` creates the other lacks; measures the time to equal digests and the
/// bytes that crossed the link.
struct CatchUpResult: Encodable {
    let changes: Int
    let perTransaction: Int
    let seconds: Double
    let changesPerSecond: Double
    let wireBytesPerChange: Double
}

func catchUpBenchmark(changes: Int, perTransaction: Int, folder: URL) async throws -> CatchUpResult {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let authority = try RegionCertificates.makeAuthority(name: "bench CA")
    let caPath = folder.appendingPathComponent("ca.pem").path
    try authority.certificatePEM.write(toFile: caPath, atomically: true, encoding: .utf8)
    var credentials: [String: TLSCredentials] = [:]
    let keys = ["bench-a": BatchSigningKey(), "bench-b": BatchSigningKey()]
    for node in keys.keys {
        let issued = try RegionCertificates.issue(node: node, caCertificatePEM: authority.certificatePEM, caPrivateKeyPEM: authority.privateKeyPEM)
        let certificatePath = folder.appendingPathComponent("\(node).pem").path
        let keyPath = folder.appendingPathComponent("\(node).key").path
        try issued.certificatePEM.write(toFile: certificatePath, atomically: true, encoding: .utf8)
        try issued.privateKeyPEM.write(toFile: keyPath, atomically: true, encoding: .utf8)
        credentials[node] = try TLSCredentials(caPath: caPath, certificatePath: certificatePath, keyPath: keyPath)
    }
    let listenPort = try freePort()
    let proxy = FaultProxy(targetHost: "127.0.0.1", targetPort: listenPort, group: MultiThreadedEventLoopGroup.singleton)
    let proxyPort = try await proxy.start()
    let yaml = """
        network: bench
        nodes:
          - { id: bench-a, address: "127.0.0.1:\(try freePort())", signing_key: "\(keys["bench-a"]!.publicKey.topologyForm)" }
          - { id: bench-b, address: "127.0.0.1:\(listenPort)", signing_key: "\(keys["bench-b"]!.publicKey.topologyForm)" }
        links:
          - { from: bench-a, to: bench-b, address: "127.0.0.1:\(proxyPort)" }
        groups:
          region: [bench-a, bench-b]
        """
    let topology = try RegionTopology.parse(yaml: yaml, file: "bench")
    let roster = Roster(network: "bench", signingKeys: keys.mapValues(\.publicKey), groups: ["region": ["bench-a", "bench-b"]])
    let source = try Replica(
        path: folder.appendingPathComponent("a.sqlite").path,
        configuration: ReplicaConfiguration(nodeID: "bench-a", signingKey: keys["bench-a"]!, roster: roster)
    )
    var row = 0
    while row < changes {
        let end = min(row + perTransaction, changes)
        _ = try source.transact(in: "region") { transaction in
            for index in row..<end { _ = transaction.create(.person, personFields(index)) }
        }
        row = end
    }
    let target = try Replica(
        path: folder.appendingPathComponent("b.sqlite").path,
        configuration: ReplicaConfiguration(nodeID: "bench-b", signingKey: keys["bench-b"]!, roster: roster)
    )
    let head = try source.streamPositions().first { $0.origin == "bench-a" }?.seq ?? 0
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let nodes = ["bench-a": source, "bench-b": target].map { id, replica in
        SyncNode(replica: replica, configuration: NodeConfiguration(nodeID: id, topology: topology, credentials: credentials[id]!), logger: logger)
    }
    let clock = ContinuousClock()
    let start = clock.now
    // A node that stops on its own (a port taken meanwhile, say) would leave the wait below
    // with nothing to wait for; its error ends the benchmark instead.
    let stopped = NIOLockedValueBox<String?>(nil)
    let tasks = nodes.map { node in
        Task {
            do {
                try await node.run()
            } catch {
                stopped.withLockedValue { $0 = "\(error)" }
            }
        }
    }
    while try target.streamPositions().first(where: { $0.origin == "bench-a" })?.seq ?? 0 < head {
        if let error = stopped.withLockedValue({ $0 }) { throw BenchError("a node stopped during the catch-up: \(error)") }
        guard clock.now - start < .seconds(300) else { throw BenchError("the catch-up did not finish within 300 s") }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    let elapsed = seconds(clock.now - start)
    for task in tasks { task.cancel() }
    for task in tasks { await task.value }
    await proxy.stop()
    guard try source.digest() == target.digest() else { throw BenchError("the catch-up ended with different digests") }
    let bytes = proxy.bytesForwarded
    return CatchUpResult(
        changes: changes, perTransaction: perTransaction, seconds: elapsed, changesPerSecond: Double(changes) / elapsed,
        wireBytesPerChange: Double(bytes.toTarget + bytes.fromTarget) / Double(changes)
    )
}

/// A TCP port free right now on 127.0.0.1.
func freePort() throws -> Int {
    let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
    defer { try? channel.close().wait() }
    guard let port = channel.localAddress?.port else { throw BenchError("cannot find a free port") }
    return port
}
