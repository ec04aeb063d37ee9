/// A node's signing keys over the years (docs/PROTOCOL.md §5.10): which key signs which part of
/// its streams, so a batch signed before a rotation still verifies at a node that catches up
/// from scratch later, and a compromised key signs nothing after the point it was revoked at.
///
/// Keys are ordered by the first epoch they sign; a key signs every epoch from its own up to
/// the next key's. A revoked key signs only the batches its revocation lists: for each stream
/// part (epoch and group) the last seq it signed while it was trusted.
public struct SigningKeyHistory: Sendable, Equatable {
    /// One key and the part of the node's streams it signs.
    public struct Entry: Sendable, Equatable {
        /// The public key.
        public let key: BatchVerifyingKey
        /// The first epoch it signs.
        public let fromEpoch: UInt64
        /// For a revoked key, the last seq it may have signed in each epoch and group; nil for
        /// a key that is not revoked. A part it does not list, it signs nothing of.
        public let revokedAfter: [UInt64: [GroupID: UInt64]]?

        /// Creates an entry.
        public init(key: BatchVerifyingKey, fromEpoch: UInt64 = 0, revokedAfter: [UInt64: [GroupID: UInt64]]? = nil) {
            self.key = key
            self.fromEpoch = fromEpoch
            self.revokedAfter = revokedAfter
        }
    }

    /// The keys, ascending by first epoch; the first signs from epoch 0.
    public let entries: [Entry]

    /// One key for every epoch, never revoked: a node that has not rotated.
    public init(_ key: BatchVerifyingKey) {
        entries = [Entry(key: key)]
    }

    /// Keys in ascending order of first epoch, the first from epoch 0; nil otherwise.
    public init?(entries: [Entry]) {
        guard let first = entries.first, first.fromEpoch == 0,
            zip(entries, entries.dropFirst()).allSatisfy({ $0.fromEpoch < $1.fromEpoch })
        else { return nil }
        self.entries = entries
    }

    /// The key that signs new batches: the last one.
    public var current: Entry { entries[entries.count - 1] }

    /// The key that signs `epoch`: the last whose first epoch is at most it.
    public func entry(forEpoch epoch: UInt64) -> Entry {
        entries.last { $0.fromEpoch <= epoch } ?? entries[0]
    }

    /// Which key a batch must verify with, or why no key may have signed it.
    public enum Verdict: Equatable, Sendable {
        /// Verify the signature with this key.
        case verify(BatchVerifyingKey)
        /// The key that signs the batch's epoch was revoked before the batch's seq.
        case revoked(lastValidSeq: UInt64)
    }

    /// The verdict for a batch at `seq` of `group` in `epoch`.
    public func verdict(epoch: UInt64, group: GroupID, seq: UInt64) -> Verdict {
        let entry = entry(forEpoch: epoch)
        if let limits = entry.revokedAfter {
            let last = limits[epoch]?[group] ?? 0
            guard seq <= last else { return .revoked(lastValidSeq: last) }
        }
        return .verify(entry.key)
    }

    /// The canonical text of the history for the topology digest: one key from epoch 0 and not
    /// revoked is its `ed25519:BASE64` form, as before key histories; otherwise each key in
    /// order as `ed25519:BASE64 from EPOCH`, a revoked one followed by ` revoked after` and its
    /// parts `EPOCH/GROUP#SEQ` sorted by epoch then group, keys separated by `;`.
    public var canonicalText: String {
        if entries.count == 1, entries[0].revokedAfter == nil { return entries[0].key.topologyForm }
        return entries.map { entry in
            var text = "\(entry.key.topologyForm) from \(entry.fromEpoch)"
            if let limits = entry.revokedAfter {
                let parts = limits.keys.sorted().flatMap { epoch in
                    (limits[epoch] ?? [:]).sorted { $0.key < $1.key }.map { "\(epoch)/\($0.key)#\($0.value)" }
                }
                text += " revoked after" + parts.map { " " + $0 }.joined()
            }
            return text
        }.joined(separator: ";")
    }
}
