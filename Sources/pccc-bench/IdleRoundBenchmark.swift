import FaultProxy
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import Replica
import SyncCore
import WireProtocol

/// Connect, HELLO and WANT between two nodes already in step.
struct IdleRoundResult: Encodable {
    let streams: Int
    /// Both directions, TLS handshake included, counted by a proxy on the link.
    let bytes: Int
    /// The two full WANT frames the round would carry without the WANT digest.
    let fullWantBytes: Int
}

/// Two nodes, `x` and `y`, of a region of ten whose groups give them `streams` shared streams,
/// each holding one batch of every stream, connect through a counting proxy; the round is
/// over when both record the session and nothing more crosses for a second.
func idleRoundBenchmark(streams: Int, folder: URL) async throws -> IdleRoundResult {
    let origins = (0..<10).map { NodeID("origin-\($0)") }
    let groupCount = (streams + origins.count - 1) / origins.count
    let groups = Dictionary(uniqueKeysWithValues: (0..<groupCount).map { (GroupID(String(format: "g%04d", $0)), origins) })
    let yPort = try freePort()
    let proxy = FaultProxy(targetHost: "127.0.0.1", targetPort: yPort, group: MultiThreadedEventLoopGroup.singleton)
    let proxyPort = try await proxy.start()
    var addresses: [NodeID: String] = [:]
    for (index, origin) in origins.enumerated() { addresses[origin] = "127.0.0.1:\(index == 1 ? yPort : try freePort())" }
    let region = try BenchRegion(
        folder: folder, nodes: origins, groups: groups, links: [(from: origins[0], to: origins[1], address: "127.0.0.1:\(proxyPort)")],
        addresses: addresses
    )
    let x = try region.replica(origins[0])
    let y = try region.replica(origins[1])
    let measured = [origins[0]: x, origins[1]: y]
    var envelopes: [[UInt8]] = []
    for origin in origins {
        let writer =
            try measured[origin]
            ?? Replica.inMemory(
                configuration: ReplicaConfiguration(nodeID: origin, signingKey: region.signingKeys[origin]!, roster: region.topology.roster))
        for group in groups.keys.sorted() {
            let row = envelopes.count
            envelopes.append(try writer.transact(in: group) { _ = $0.create(.person, personFields(row)) }.envelope)
        }
    }
    for replica in [x, y] {
        for envelope in envelopes {
            let outcome = try replica.apply(envelope: envelope)
            switch outcome {
            case .applied, .duplicate: continue
            default: throw BenchError("an idle-round batch did not apply: \(outcome)")
            }
        }
    }
    guard try x.digest() == y.digest() else { throw BenchError("the idle-round nodes are not in step") }
    let heads = try x.streamPositions()
    let want = Dictionary(uniqueKeysWithValues: heads.map { ($0.stream, $0.seq + 1) })

    let nodes = [try region.syncNode(origins[0], replica: x), try region.syncNode(origins[1], replica: y)]
    let stopped = NIOLockedValueBox<String?>(nil)
    let tasks = nodes.map { node in
        Task {
            do { try await node.run() } catch { stopped.withLockedValue { $0 = "\(error)" } }
        }
    }
    let clock = ContinuousClock()
    let start = clock.now
    var lastBytes = -1
    var quietSince = clock.now
    while true {
        if let error = stopped.withLockedValue({ $0 }) { throw BenchError("a node stopped during the idle round: \(error)") }
        guard clock.now - start < .seconds(60) else { throw BenchError("the idle round did not settle within 60 s") }
        let connected = try x.peerStatuses().contains { $0.connected } && y.peerStatuses().contains { $0.connected }
        let bytes = proxy.bytesForwarded.toTarget + proxy.bytesForwarded.fromTarget
        if bytes != lastBytes {
            lastBytes = bytes
            quietSince = clock.now
        } else if connected, clock.now - quietSince >= .seconds(1) {
            break
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    for task in tasks { task.cancel() }
    for task in tasks { await task.value }
    await proxy.stop()
    guard try x.digest() == y.digest() else { throw BenchError("the idle round changed a digest") }
    return IdleRoundResult(streams: want.count, bytes: lastBytes, fullWantBytes: 2 * PeerMessage.want(want).frame.bytes.count)
}
