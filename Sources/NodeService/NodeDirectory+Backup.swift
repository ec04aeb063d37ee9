import Foundation
import Replica
import SyncCore

#if canImport(Glibc)
    import Glibc
#endif

extension NodeDirectory {
    /// A replica put back from a backup.
    public struct Restored: Sendable {
        /// The backup file as it was checked.
        public let backup: ReplicaFileSummary
        /// The restored replica's state digest, as `pccc digest` prints it.
        public let digest: String
        /// Live records in the restored replica.
        public let records: Int
        /// The stream epoch the node writes in from now on, begun by the restore, so that no
        /// batch it writes reuses a seq its earlier self may have sent before the backup's state.
        public let epoch: UInt64
    }

    /// Backs the node's replica up to a new file at `path` while the node may be serving and
    /// staff writing (``Replica/backup(to:method:)``): mode 0600, checked, never replacing a file.
    public func backup(to path: String) throws -> Replica.Backup {
        try open().backup(to: path)
    }

    /// Puts the backup at `file` in place of the node's replica. Refused, before anything
    /// changes, while a node serves from the folder (the serve lock, held until the end so no
    /// node starts meanwhile), and when the file is not a sound replica of this node and
    /// network that this build can read (``Replica/inspect(file:)``). The file is copied to a
    /// temporary file in the folder (0600), synced and checked again there, so what is checked
    /// is what is placed; the old replica is checkpointed, its WAL and shared memory removed, and
    /// the copy renamed over it, so a crash at any point leaves one whole replica. Before the
    /// rename the copy begins a new stream epoch (`restored`): what the node writes next never
    /// reuses a seq of the batches it wrote after the backup, which its peers may hold.
    public func restore(from file: String) throws -> Restored {
        let node = try nodeID()
        let lock = try lockAgainstServing("restoring")
        defer { withExtendedLifetime(lock) {} }
        let network = try Self.loadTopology(topologyPath).network
        let backup = try Replica.inspect(file: file)
        try check(backup, of: node, network: network)

        let temporary = url.appendingPathComponent(".replica.sqlite.restore-\(UUID().uuidString)").path
        defer { Replica.removeDatabaseFiles(temporary) }
        try Replica.createPrivateFile(temporary)
        try copyContents(of: file, to: temporary)
        try Replica.syncFile(temporary)
        let placed = try Replica.inspect(file: temporary)
        try check(placed, of: node, network: network)
        // The new epoch is begun in the copy before it takes the replica's name, so no crash can
        // leave the backup in place still writing in the epoch it was made in.
        let (epoch, digest) = try beginRestoredEpoch(in: temporary)

        try settleOldReplica()
        guard rename(temporary, replicaPath) == 0 else {
            throw ReplicaError(.invalid, "cannot move the restored replica into place at \(replicaPath): \(String(cString: strerror(errno)))")
        }
        try Replica.syncFile(url.path)
        try restrictPermissions()
        return Restored(backup: backup, digest: digest, records: placed.records, epoch: epoch)
    }

    /// Opens the copy at `path` as this node's replica (migrating an older schema), begins the
    /// `restored` epoch in it, and leaves it closed with its WAL written back and removed, so
    /// the one file holds everything. Returns the epoch and the copy's digest.
    private func beginRestoredEpoch(in path: String) throws -> (epoch: UInt64, digest: String) {
        let (epoch, digest) = try {
            let replica = try openWithTopology(replicaAt: path).replica
            return (try replica.beginStreamEpoch(reason: .restored), try replica.digest())
        }()
        try Replica.checkpoint(path: path)
        var status = stat()
        guard lstat(path + "-wal", &status) != 0 || status.st_size == 0 else {
            throw ReplicaError(.invalid, "cannot write the restored replica's WAL back into \(path); nothing was restored")
        }
        for suffix in ["-wal", "-shm"] { unlink(path + suffix) }
        try Replica.syncFile(path)
        return (epoch, digest)
    }

    private func check(_ summary: ReplicaFileSummary, of node: NodeID, network: String) throws {
        guard summary.nodeID == node else {
            throw ReplicaError(.wrongReplica, "\(summary.path) is a backup of node \(summary.nodeID), not of \(node); nothing was restored")
        }
        guard summary.network == network else {
            throw ReplicaError(.wrongReplica, "\(summary.path) is a backup of network \(summary.network), not \(network); nothing was restored")
        }
    }

    /// Copies a file's bytes into an existing file (whose mode stays).
    private func copyContents(of source: String, to destination: String) throws {
        guard let input = FileHandle(forReadingAtPath: source) else { throw ReplicaError(.notFound, "cannot read \(source)") }
        defer { try? input.close() }
        guard let output = FileHandle(forWritingAtPath: destination) else { throw ReplicaError(.invalid, "cannot write \(destination)") }
        defer { try? output.close() }
        do {
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try output.write(contentsOf: chunk)
            }
        } catch {
            throw ReplicaError(.invalid, "cannot copy \(source) into \(url.path): \(error.localizedDescription)")
        }
    }

    /// Empties the old replica's WAL into it and removes its WAL and shared memory, so that the
    /// replica put in its place never meets them (SQLite would apply an old WAL to a new file),
    /// and so that a crash before the rename leaves the old replica whole.
    private func settleOldReplica() throws {
        if FileManager.default.fileExists(atPath: replicaPath + "-wal") {
            // Best effort: a replica damaged past opening is being replaced anyway.
            try? Replica.checkpoint(path: replicaPath)
        }
        for suffix in ["-wal", "-shm"] {
            guard unlink(replicaPath + suffix) == 0 || errno == ENOENT else {
                throw ReplicaError(.invalid, "cannot remove \(replicaPath + suffix): \(String(cString: strerror(errno)))")
            }
        }
    }
}
