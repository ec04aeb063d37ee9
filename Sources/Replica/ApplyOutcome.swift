import SyncCore

/// What happened to a received batch. Refusals are values, not thrown errors: a hostile or
/// broken peer is expected, and the caller answers it (an ERROR frame, a closed connection).
public enum ApplyOutcome: Equatable, Sendable {
    /// Verified, merged and stored with its new stream head; `changes` full leaves applied.
    case applied(changes: Int)
    /// Applied and stored, and it is the re-issued copy of the head of an older stream of its
    /// origin held here (docs/PROTOCOL.md §5.9): that stream's re-issued tail gave way and each
    /// listed stream is to be asked for again after the given seq, for the region's branch.
    case appliedGivingWay(changes: Int, truncated: [StreamID: UInt64])
    /// The same batch is already held; nothing changed.
    case duplicate
    /// Its HLC is too far ahead of the local clock; not applied, not to be acknowledged.
    case heldBack(aheadByMilliseconds: UInt64)
    /// Another batch holds this place in the stream: quarantined, and an alarm raised.
    case forked(reason: String)
    /// A batch of this node's own current epoch that it does not hold: an older copy of the
    /// node wrote it, so this replica was restored. It began a new epoch and re-issued its
    /// batches the region does not hold; each listed old stream is to be asked of the peers
    /// again after the given seq. Nothing of this batch is applied (docs/PROTOCOL.md §5.9).
    case restoreDetected(truncated: [StreamID: UInt64])
    /// A batch of an older epoch of this node's own that does not continue what it holds
    /// there: an older copy of the node wrote the held tail, and the copies parted somewhere
    /// before this seq. Nothing is applied; the stream is to be asked for again from its first
    /// batch, where the first batch that differs shows the parting (docs/PROTOCOL.md §5.9).
    case partedEarlier(StreamID)
    /// A batch of another origin forked the held tail of its stream, and that tail was re-issued
    /// by its origin in a later epoch: the tail gave way, nothing of this batch is applied, and
    /// each listed stream is to be asked for again after the given seq (docs/PROTOCOL.md §5.9).
    case gaveWay(truncated: [StreamID: UInt64])
    /// Its origin re-issued it in a later epoch whose copy is held here: an older copy of the
    /// origin wrote it, and the copy stands for it. Not stored, on every node alike.
    case superseded
    /// Signed by a key its origin's topology entry revoked before this seq; not applied and
    /// not stored, on every node alike, and the session goes on (`revoked_key` alarm).
    case revoked(reason: String)
    /// Refused; nothing stored.
    case rejected(BatchRejection)
}
