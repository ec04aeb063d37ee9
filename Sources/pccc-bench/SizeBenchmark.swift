import Foundation
import GRDB
import Records
import Replica
import SyncCore

/// Every figure measured at one size: the replica's local writes, apply and wire size against
/// the plain insert, and a catch-up between two node processes.
struct SizeResult: Encodable {
    let records: Int
    let plainImportPerSecond: Double
    let importPerSecond: Double
    /// Replica time over plain time for 1,000-record transactions (target ≤ 1.5).
    let importTimeRatio: Double
    let singleRecordWrites: Int
    let plainSingleRecordPerSecond: Double
    let singleRecordPerSecond: Double
    /// Replica time over plain time for one-record transactions (target ≤ 1.5).
    let singleRecordTimeRatio: Double
    let applyChangesPerSecond: Double
    /// Apply rate over the plain import rate (target ≥ 0.5).
    let applyRateRatio: Double
    let wireBytesPerChange: Double
    let rawFieldBytesPerChange: Double
    let catchUp: CatchUpResult
    let eraseMillisecondsMedian: Double
}

func sizeBenchmark(records: Int, singleRecordWrites: Int, folder: URL) async throws -> SizeResult {
    let region = try BenchRegion(
        folder: folder, nodes: ["bench-a", "bench-b", "bench-c"], groups: ["region": ["bench-a", "bench-b", "bench-c"]],
        links: [(from: "bench-a", to: "bench-c", address: nil)],
        addresses: [
            "bench-a": "127.0.0.1:\(try freePort())", "bench-b": "127.0.0.1:\(try freePort())", "bench-c": "127.0.0.1:\(try freePort())",
        ]
    )
    let singles = min(records, singleRecordWrites)
    let plain = try PlainInsert(path: folder.appendingPathComponent("plain.sqlite").path)
    let plainImport = try plain.insert(0..<records, perTransaction: 1000)
    let plainSingles = try plain.insert(records..<records + singles, perTransaction: 1)

    let (importSeconds, applySeconds, wireBytes, head) = try localWritesAndApply(region: region, records: records)
    let rawBytes = (0..<records).reduce(0) { $0 + rawFieldBytes($1) }
    let catchUp = try await catchUpBenchmark(region: region, source: "bench-a", receiver: "bench-c", changes: records, head: head)

    let writer = try region.replica("bench-a")
    var sampleIDs: [RecordID] = []
    let singleSeconds = try measureSeconds {
        for row in records..<records + singles {
            let id = try writer.create(.person, in: "region", personFields(row))
            if sampleIDs.count < 11 { sampleIDs.append(id) }
        }
    }
    // An erasure redacts stored batches and the name index: its cost grows with the replica.
    let eraseTimes = try sampleIDs.map { id in try measureSeconds { try writer.erase(id, reason: "bench") } * 1000 }.sorted()
    return SizeResult(
        records: records,
        plainImportPerSecond: Double(records) / plainImport,
        importPerSecond: Double(records) / importSeconds,
        importTimeRatio: importSeconds / plainImport,
        singleRecordWrites: singles,
        plainSingleRecordPerSecond: Double(singles) / plainSingles,
        singleRecordPerSecond: Double(singles) / singleSeconds,
        singleRecordTimeRatio: singleSeconds / plainSingles,
        applyChangesPerSecond: Double(records) / applySeconds,
        applyRateRatio: (Double(records) / applySeconds) / (Double(records) / plainImport),
        wireBytesPerChange: Double(wireBytes) / Double(records),
        rawFieldBytesPerChange: Double(rawBytes) / Double(records),
        catchUp: catchUp,
        eraseMillisecondsMedian: eraseTimes[eraseTimes.count / 2]
    )
}

/// Imports `records` persons at the region's first node, 1,000 to a transaction, then applies
/// its batches at the second; returns both times, the envelopes' bytes and the stream head.
/// The replicas are closed on return, so node processes can take the files over.
private func localWritesAndApply(region: BenchRegion, records: Int) throws -> (import: Double, apply: Double, wireBytes: Int, head: UInt64) {
    let writer = try region.replica("bench-a")
    let importSeconds = try measureSeconds {
        var index = 0
        while index < records {
            let end = min(index + 1000, records)
            try writer.transact(in: "region") { transaction in
                for row in index..<end { _ = transaction.create(.person, personFields(row)) }
            }
            index = end
        }
    }
    let receiver = try region.replica("bench-b")
    var applied = 0
    var wireBytes = 0
    var after: UInt64 = 0
    var applySeconds = 0.0
    // Read a hundred batches at a time, as a node's writer does, and time only the applying.
    while true {
        let batches = try writer.batches(of: StreamID(origin: "bench-a", group: "region"), after: after, limit: 100)
        guard let last = batches.last else { break }
        after = last.header.seq
        wireBytes += batches.reduce(0) { $0 + $1.envelope.count }
        applySeconds += try measureSeconds {
            for batch in batches {
                guard case .applied(let changes) = try receiver.apply(envelope: batch.envelope) else {
                    throw BenchError("batch \(batch.header.seq) did not apply")
                }
                applied += changes
            }
        }
    }
    guard applied == records, try receiver.digest() == writer.digest() else { throw BenchError("the receiver did not converge") }
    return (importSeconds, applySeconds, wireBytes, after)
}
