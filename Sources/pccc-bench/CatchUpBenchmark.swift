import Foundation
import GRDB
import Replica
import SyncCore

/// A catch-up between two node processes over loopback mutual TLS.
struct CatchUpResult: Encodable {
    let changes: Int
    let batches: UInt64
    /// From the source's start (the receiver already listening) to the receiver holding the
    /// source's head; the digests are then compared.
    let seconds: Double
    let changesPerSecond: Double
    /// The receiving process's peak resident set (VmHWM).
    let receiverPeakResidentBytes: Int
}

/// `source` holds `changes` changes up to batch `head` of its stream that `receiver` lacks;
/// both run as processes until the receiver holds `head`.
func catchUpBenchmark(region: BenchRegion, source: NodeID, receiver: NodeID, changes: Int, head: UInt64) async throws -> CatchUpResult {
    let receiving = try BenchNodeProcess(folder: region.folder, node: receiver)
    defer { receiving.stop() }
    let progress = try DatabaseQueue(path: region.replicaPath(receiver), configuration: readOnly())
    let clock = ContinuousClock()
    let start = clock.now
    let sending = try BenchNodeProcess(folder: region.folder, node: source)
    defer { sending.stop() }
    func receivedHead() throws -> Int64 {
        try progress.read { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM stream_head WHERE origin = ? AND sharing_group = 'region'", arguments: [source]) ?? 0
        }
    }
    while try receivedHead() < Int64(head) {
        guard receiving.isRunning, sending.isRunning else { throw BenchError("a node process stopped during the catch-up") }
        guard clock.now - start < .seconds(600) else { throw BenchError("the catch-up did not finish within 600 s") }
        try await Task.sleep(for: .milliseconds(5))
    }
    let elapsed = seconds(clock.now - start)
    let peak = try receiving.peakResidentBytes()
    sending.stop()
    receiving.stop()
    guard try region.replica(source).digest() == region.replica(receiver).digest() else {
        throw BenchError("the catch-up ended with different digests")
    }
    return CatchUpResult(
        changes: changes, batches: head, seconds: elapsed, changesPerSecond: Double(changes) / elapsed, receiverPeakResidentBytes: peak
    )
}

/// A read-only connection that waits out the writer's locks.
func readOnly() -> Configuration {
    var configuration = SQLiteLibrary.configuration()
    configuration.readonly = true
    configuration.busyMode = .timeout(10)
    return configuration
}
