import SyncCore

/// What happened to a received batch. Refusals are values, not thrown errors: a hostile or
/// broken peer is expected, and the caller answers it (an ERROR frame, a closed connection).
public enum ApplyOutcome: Equatable, Sendable {
    /// Verified, merged and stored with its new stream head; `changes` full leaves applied.
    case applied(changes: Int)
    /// The same batch is already held; nothing changed.
    case duplicate
    /// Its HLC is too far ahead of the local clock; not applied, not to be acknowledged.
    case heldBack(aheadByMilliseconds: UInt64)
    /// Another batch holds this place in the stream: quarantined, and an alarm raised.
    case forked(reason: String)
    /// Refused; nothing stored.
    case rejected(BatchRejection)
}
