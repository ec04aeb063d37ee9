import Foundation
import GRDB
import SyncCore

/// What one pull did.
public struct PullSummary: Equatable, Sendable {
    /// Batches applied.
    public var applied = 0
    /// Changes inside them.
    public var changes = 0
    /// Batches not applied, with why (held back, forked, rejected).
    public var refused: [String] = []
}

/// Where a pull reads batches: another replica, or another node's replica file read as it is.
public protocol BatchSource {
    /// The last seq held of every stream.
    func streamPositions() throws -> [StreamPosition]
    /// Stored batches of one stream after `seq`, oldest first.
    func batches(of stream: StreamID, after seq: UInt64, limit: Int) throws -> [SignedBatch]
}

extension Replica: BatchSource {}

/// Another node's replica file opened read-only, for its batches alone: no signing key and no
/// topology of that node are needed, since the replica that pulls verifies every batch against
/// the keys its own topology pins, as it does for a batch from the network.
public final class ReplicaFile: BatchSource {
    private let queue: DatabaseQueue

    /// Opens the file at `path` read-only; throws unless it holds a batch log.
    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ReplicaError(.wrongReplica, "\(path) does not exist") }
        var configuration = SQLiteLibrary.configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        let tables = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        guard tables.contains("stream_head"), tables.contains("batch_log") else {
            throw ReplicaError(.wrongReplica, "\(path) is not a replica: it has no batch log")
        }
    }

    /// The last seq the file holds of every stream.
    public func streamPositions() throws -> [StreamPosition] {
        try queue.read(BatchStore.streamPositions)
    }

    /// The file's batches of one stream after `seq`, oldest first.
    public func batches(of stream: StreamID, after seq: UInt64, limit: Int) throws -> [SignedBatch] {
        try queue.read { db in try BatchStore.batches(db, of: stream, after: seq, limit: limit) }
    }
}

extension Replica {
    /// Applies every batch `source` holds that this replica lacks, stream by stream and oldest
    /// first, for the groups this node is a member of; each batch in its own transaction and
    /// verified, as it would arrive over the network. Offline sync between two replica files
    /// uses it.
    public func pull(from source: some BatchSource, batchesPerRead: Int = 500) throws -> PullSummary {
        var summary = PullSummary()
        var held = Dictionary(uniqueKeysWithValues: try streamPositions().map { ($0.stream, $0.seq) })
        // An origin's later epochs first: a branch of an earlier one it re-issued there gives
        // way to the region's only once the copies are held (docs/PROTOCOL.md §5.9).
        let positions = try source.streamPositions().sorted {
            $0.origin != $1.origin ? $0.origin < $1.origin : $0.stream.epoch != $1.stream.epoch ? $0.stream.epoch > $1.stream.epoch : $0.group < $1.group
        }
        for head in positions
        where configuration.roster.isMember(configuration.nodeID, of: head.group) {
            var next = held[head.stream] ?? 0
            var readAgainFromTheStart = false
            streamLoop: while next < head.seq {
                let batches = try source.batches(of: head.stream, after: next, limit: batchesPerRead)
                guard !batches.isEmpty else { break }
                for batch in batches {
                    switch try apply(envelope: batch.envelope) {
                    case .applied(let changes):
                        summary.applied += 1
                        summary.changes += changes
                    case .appliedGivingWay(let changes, let truncated):
                        // The copy is read newest epoch first: the older streams it cut back
                        // are read after it, from where they are held now.
                        summary.applied += 1
                        summary.changes += changes
                        for (stream, seq) in truncated { held[stream] = min(held[stream] ?? 0, seq) }
                    case .superseded:
                        // The copy holds a branch its origin re-issued: the rest of it too.
                        break streamLoop
                    case .gaveWay(let truncated):
                        next = truncated[head.stream] ?? next
                        continue streamLoop
                    case .duplicate:
                        break
                    case .heldBack(let ahead):
                        summary.refused.append("\(head.stream) seq \(batch.header.seq) held back: \(ahead) ms ahead")
                        break streamLoop
                    case .forked(let reason):
                        summary.refused.append("\(head.stream) seq \(batch.header.seq) forked: \(reason)")
                        break streamLoop
                    case .rejected(let rejection):
                        summary.refused.append("\(head.stream) seq \(batch.header.seq) refused: \(rejection.reason)")
                        break streamLoop
                    case .revoked(let reason):
                        summary.refused.append("\(head.stream) seq \(batch.header.seq) refused: \(reason)")
                        break streamLoop
                    case .partedEarlier:
                        // A branch of an older epoch of this node's own: read the copy's stream
                        // again from its first batch, once, to find where the two parted.
                        guard !readAgainFromTheStart else {
                            summary.refused.append("\(head.stream) seq \(batch.header.seq) forked: it parts from this node's own branch")
                            break streamLoop
                        }
                        readAgainFromTheStart = true
                        next = 0
                        continue streamLoop
                    case .restoreDetected(let truncated):
                        // The copy holds a batch of this node's current epoch that it does
                        // not: it began a new epoch and reads the old one from where it holds
                        // it, as any other origin's stream.
                        next = truncated[head.stream] ?? next
                        continue streamLoop
                    }
                    next = batch.header.seq
                }
            }
        }
        // The copy has given all it holds: a leaf it held redacted with no erasure behind it
        // raises the alarm (a file cannot be asked again).
        _ = try checkRedactions(caughtUpWith: Self.localCopy, through: try source.streamPositions())
        return summary
    }
}
