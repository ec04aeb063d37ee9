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

extension Replica {
    /// Applies every batch `source` holds that this replica lacks, stream by stream and oldest
    /// first, for the groups this node is a member of; each batch in its own transaction, as it
    /// would arrive over the network. Offline sync between two replica files uses it.
    public func pull(from source: Replica, batchesPerRead: Int = 500) throws -> PullSummary {
        var summary = PullSummary()
        let held = Dictionary(uniqueKeysWithValues: try streamPositions().map { ("\($0.origin)/\($0.group)", $0.seq) })
        for stream in try source.streamPositions()
        where configuration.roster.isMember(configuration.nodeID, of: stream.group) {
            var next = held["\(stream.origin)/\(stream.group)"] ?? 0
            streamLoop: while next < stream.seq {
                let batches = try source.batches(origin: stream.origin, group: stream.group, after: next, limit: batchesPerRead)
                guard !batches.isEmpty else { break }
                for batch in batches {
                    switch try apply(envelope: batch.envelope) {
                    case .applied(let changes):
                        summary.applied += 1
                        summary.changes += changes
                    case .duplicate:
                        break
                    case .heldBack(let ahead):
                        summary.refused.append("\(stream.origin)/\(stream.group) seq \(batch.header.seq) held back: \(ahead) ms ahead")
                        break streamLoop
                    case .forked(let reason):
                        summary.refused.append("\(stream.origin)/\(stream.group) seq \(batch.header.seq) forked: \(reason)")
                        break streamLoop
                    case .rejected(let rejection):
                        summary.refused.append("\(stream.origin)/\(stream.group) seq \(batch.header.seq) refused: \(rejection.reason)")
                        break streamLoop
                    }
                    next = batch.header.seq
                }
            }
        }
        return summary
    }
}
