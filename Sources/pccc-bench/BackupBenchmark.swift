import Foundation
import Replica
import SyncCore

/// `pccc-bench backup`: a replica of N persons is backed up while a writer makes one-record
/// local writes in a loop (as staff do while a node serves), once per backup method; the
/// writer's latency is compared with its latency with no backup running.
struct BackupBenchOptions {
    var records = 1_000_000
    /// Seconds the writer runs alone, for the baseline.
    var baselineSeconds = 10.0
    /// Times each method runs, in turn.
    var runs = 2

    static let usage = "usage: pccc-bench backup [--records N] [--baseline-seconds N] [--runs N]"

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard ["--records", "--baseline-seconds", "--runs"].contains(flag) else { throw BenchError("unknown option \(flag); \(Self.usage)") }
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value; \(Self.usage)") }
            switch flag {
            case "--records": records = try BenchOptions.positive(value, flag)
            case "--runs": runs = try BenchOptions.positive(value, flag)
            default: baselineSeconds = Double(try BenchOptions.positive(value, flag))
            }
        }
    }
}

/// The one-record writes made during one phase, with their latencies.
struct WriteLatencies: Encodable {
    let writes: Int
    let p50Milliseconds: Double
    let p99Milliseconds: Double
    let maxMilliseconds: Double

    /// The figures of `milliseconds`; nan for a phase too short for any write to overlap it.
    init(_ milliseconds: [Double]) {
        guard !milliseconds.isEmpty else {
            (writes, p50Milliseconds, p99Milliseconds, maxMilliseconds) = (0, .nan, .nan, .nan)
            return
        }
        let sorted = milliseconds.sorted()
        writes = sorted.count
        p50Milliseconds = sorted[sorted.count / 2]
        p99Milliseconds = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
        maxMilliseconds = sorted[sorted.count - 1]
    }
}

/// A writer on a thread of its own: one person per transaction, through its own connection to
/// the replica file, timing each write, until it is stopped.
final class LatencyWriter: @unchecked Sendable {
    /// One write: when it started and ended.
    struct Sample {
        let start: ContinuousClock.Instant
        let end: ContinuousClock.Instant
        var milliseconds: Double { seconds(end - start) * 1000 }
    }

    private let lock = NSLock()
    private var stopping = false
    private var samples: [Sample] = []
    private var failure: (any Error)?
    private let finished = DispatchSemaphore(value: 0)

    init(replica: Replica, firstIndex: Int) {
        Thread { [self] in
            var index = firstIndex
            let clock = ContinuousClock()
            while !lock.withLock({ stopping }) {
                do {
                    let start = clock.now
                    _ = try replica.create(.person, in: "region", personFields(index))
                    let sample = Sample(start: start, end: clock.now)
                    lock.withLock { samples.append(sample) }
                } catch {
                    lock.withLock { failure = error }
                    break
                }
                index += 1
            }
            finished.signal()
        }.start()
    }

    /// Stops the writer and returns its writes.
    func stop() throws -> [Sample] {
        lock.withLock { stopping = true }
        finished.wait()
        if let failure = lock.withLock({ failure }) { throw failure }
        return lock.withLock { samples }
    }

    /// Writes made so far.
    var count: Int { lock.withLock { samples.count } }
}

func backupBenchmark(_ options: BackupBenchOptions) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pccc-bench-backup-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let region = try BenchRegion(
        folder: folder, nodes: ["bench-a", "bench-b"], groups: ["region": ["bench-a", "bench-b"]],
        links: [(from: "bench-a", to: "bench-b", address: nil)],
        addresses: ["bench-a": "127.0.0.1:\(try freePort())", "bench-b": "127.0.0.1:\(try freePort())"]
    )
    let replica = try region.replica("bench-a")
    let importSeconds = try measureSeconds {
        var index = 0
        while index < options.records {
            let end = min(index + 1000, options.records)
            try replica.transact(in: "region") { transaction in
                for row in index..<end { _ = transaction.create(.person, personFields(row)) }
            }
            index = end
        }
    }
    let size = (try FileManager.default.attributesOfItem(atPath: region.replicaPath("bench-a"))[.size] as? NSNumber)?.doubleValue ?? 0
    emit(String(format: "backup: %d persons imported in %.1f s; replica file %.1f MB", options.records, importSeconds, size / 1_048_576))
    // The writer has a connection of its own, as a staff command or the API would.
    let writerReplica = try region.replica("bench-a")
    var nextIndex = options.records

    emit("                                                                       writes during the copy           writes during copy and check")
    emit("method                           backup s  copy s  check s  backup MB  writes  p50 ms  p99 ms  max ms   writes  p50 ms  p99 ms  max ms")
    let alone = LatencyWriter(replica: writerReplica, firstIndex: nextIndex)
    Thread.sleep(forTimeInterval: options.baselineSeconds)
    let baselineWrites = try alone.stop()
    nextIndex += baselineWrites.count
    let baseline = WriteLatencies(baselineWrites.map(\.milliseconds))
    emit(
        String(
            format: "%@  %@  %6d  %6.2f  %6.2f  %6.2f", column("none (writer alone, \(Int(options.baselineSeconds)) s)"),
            "       -       -        -          -", baseline.writes, baseline.p50Milliseconds, baseline.p99Milliseconds, baseline.maxMilliseconds))
    let methods: [(String, Replica.BackupMethod)] = [
        ("page copy, all pages in 1 step", .pageCopy(pagesPerStep: -1)),
        ("page copy, 1024 pages a step", .pageCopy(pagesPerStep: 1024)),
        ("VACUUM INTO", .vacuumInto),
    ]
    for run in 0..<options.runs {
        for (number, (name, method)) in methods.enumerated() {
            let path = folder.appendingPathComponent("backup-\(run)-\(number).sqlite").path
            let writer = LatencyWriter(replica: writerReplica, firstIndex: nextIndex)
            // The writer is under way before the backup starts.
            while writer.count < 5 { Thread.sleep(forTimeInterval: 0.01) }
            let started = ContinuousClock.now
            let backup = try replica.backup(to: path, method: method)
            let ended = ContinuousClock.now
            let writes = try writer.stop()
            nextIndex += writes.count
            // Writes that overlap the copy, and writes that overlap the whole backup.
            let copyEnd = started + .milliseconds(Int64(backup.copySeconds * 1000))
            let duringCopy = WriteLatencies(writes.filter { $0.end > started && $0.start < copyEnd }.map(\.milliseconds))
            let during = WriteLatencies(writes.filter { $0.end > started && $0.start < ended }.map(\.milliseconds))
            emit(
                String(
                    format: "%@  %8.2f  %6.2f  %7.2f  %9.1f  %6d  %6.2f  %6.2f  %6.2f   %6d  %6.2f  %6.2f  %6.2f", column(name),
                    backup.copySeconds + backup.checkSeconds, backup.copySeconds, backup.checkSeconds, Double(backup.summary.bytes) / 1_048_576,
                    duringCopy.writes, duringCopy.p50Milliseconds, duringCopy.p99Milliseconds, duringCopy.maxMilliseconds, during.writes,
                    during.p50Milliseconds, during.p99Milliseconds, during.maxMilliseconds))
            guard backup.summary.records >= options.records else {
                throw BenchError("the backup holds \(backup.summary.records) records, fewer than the \(options.records) imported")
            }
            Replica.removeDatabaseFiles(path)
        }
    }
}

/// `name` padded to the first column's width.
private func column(_ name: String) -> String {
    name.padding(toLength: 31, withPad: " ", startingAt: 0)
}
