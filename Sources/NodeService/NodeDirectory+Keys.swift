import Foundation
import Replica
import SyncCore
import Topology

extension NodeDirectory {
    /// What a key rotation did, and what the admin pastes into the topology.
    public struct KeyRotation: Sendable {
        /// The epoch the new key signs from.
        public let epoch: UInt64
        /// The new key's public half.
        public let newKey: BatchVerifyingKey
        /// The node's keys as the topology must now list them.
        public let history: SigningKeyHistory
        /// The `signing_keys:` entry for the node, YAML, to replace its `signing_key` or
        /// `signing_keys` in the topology.
        public var topologyEntry: String { Self.yaml(history) }

        static func yaml(_ history: SigningKeyHistory) -> String {
            var lines = ["signing_keys:"]
            for entry in history.entries {
                lines.append("  - key: \(entry.key.topologyForm)")
                if entry.fromEpoch != 0 { lines.append("    from_epoch: \(entry.fromEpoch)") }
                if let limits = entry.revokedAfter {
                    let parts = limits.keys.sorted().flatMap { epoch in
                        (limits[epoch] ?? [:]).sorted { $0.key < $1.key }.map { "\(epoch)/\($0.key): \($0.value)" }
                    }
                    lines.append("    revoked_after: {\(parts.joined(separator: ", "))}")
                }
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Gives the node a new signing key (docs/PROTOCOL.md §5.10). The node begins a new epoch
    /// signed by the new key; its earlier epochs stay signed by the keys that signed them.
    /// With `revokingCurrent` (the key leaked), the current key is revoked after what this node
    /// holds of every stream it signed: a batch it signs beyond that, by anyone, is refused.
    /// The new private key replaces `signing.key`; the old one is deleted. The topology must
    /// then list the returned history, on every node, before peers accept the new epoch's
    /// batches (they hold them back until then).
    public func rotateSigningKey(revokingCurrent: Bool) throws -> KeyRotation {
        let (replica, topology) = try openWithTopology()
        let me = replica.configuration.nodeID
        let oldKey = replica.configuration.signingKey.publicKey
        let earlier = topology.node(me)?.signingKeys ?? SigningKeyHistory(oldKey)
        guard earlier.current.key == oldKey else {
            throw ReplicaError(.invalid, "the topology lists another signing key for \(me) than \(signingKeyPath) holds; fix that first")
        }
        let newKey = BatchSigningKey()
        let pending = signingKeyPath + ".new"
        try Self.writeSigningKey(newKey, to: pending)
        var limits: [UInt64: [GroupID: UInt64]]?
        if revokingCurrent {
            var parts: [UInt64: [GroupID: UInt64]] = [:]
            for position in try replica.streamPositions() where position.origin == me && position.stream.epoch >= earlier.current.fromEpoch {
                parts[position.stream.epoch, default: [:]][position.group] = position.seq
            }
            limits = parts
        }
        let epoch = try replica.beginStreamEpoch(reason: .keyRotated, signingKey: newKey.publicKey)
        guard rename(pending, signingKeyPath) == 0 else {
            throw ReplicaError(.invalid, "cannot move \(pending) to \(signingKeyPath): \(String(cString: strerror(errno))); move it by hand")
        }
        var entries = earlier.entries
        let current = entries.removeLast()
        entries.append(SigningKeyHistory.Entry(key: current.key, fromEpoch: current.fromEpoch, revokedAfter: limits ?? current.revokedAfter))
        entries.append(SigningKeyHistory.Entry(key: newKey.publicKey, fromEpoch: epoch))
        guard let history = SigningKeyHistory(entries: entries) else {
            throw ReplicaError(.invalid, "the new epoch \(epoch) does not follow the topology's epochs of \(me)")
        }
        return KeyRotation(epoch: epoch, newKey: newKey.publicKey, history: history)
    }
}
