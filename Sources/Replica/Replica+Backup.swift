import Foundation
import GRDB
import Records
import SyncCore

#if canImport(Glibc)
    import Glibc
#endif

/// What a replica file holds, read from the file alone (read-only): whose it is, its schema, its
/// state digest and size. A backup is checked this way before it is placed, and a restore before
/// it replaces anything.
public struct ReplicaFileSummary: Sendable, Equatable {
    /// The file.
    public let path: String
    /// The node the replica belongs to (`replica_meta` `node_id`).
    public let nodeID: NodeID
    /// The network it belongs to (`replica_meta` `network`).
    public let network: String
    /// Its schema version (`PRAGMA user_version`), never newer than this build's.
    public let schemaVersion: Int
    /// The state digest, as `pccc digest` prints it for the replica.
    public let digest: String
    /// Live records of every kind.
    public let records: Int
    /// The file's size in bytes.
    public let bytes: Int64
}

extension Replica {
    /// The schema version this build writes; a replica file of a newer one is refused.
    public static var currentSchemaVersion: Int { ReplicaSchema.version }

    /// How ``backup(to:method:)`` copies the replica. Both read one snapshot in a read
    /// transaction of their own, which in WAL mode never blocks a writer.
    public enum BackupMethod: Sendable, Equatable {
        /// SQLite's online backup API: the file's pages as they are, `pagesPerStep` at a time
        /// (-1: all in one step).
        case pageCopy(pagesPerStep: Int32)
        /// `VACUUM INTO`: the rows, written into fresh, compact b-trees (slower, smaller).
        case vacuumInto

        /// The method `pccc backup` uses: the page copy, in one step. Measured with `pccc-bench
        /// backup` at 1,000,000 persons (BENCHMARKS.md, *Backup*), four runs of each method, a
        /// writer making one-record writes meanwhile: the read transaction holds the snapshot,
        /// so in WAL mode no method blocks a writer, and what a writer feels is the copy's disk
        /// and CPU load. The writer's p99 during the copy overlapped between methods from run to
        /// run (one step 6.7–51 ms, 1,024 pages a step 22–82 ms, `VACUUM INTO` 15–73 ms: the
        /// shared machine's noise, the writer alone had 9–17 ms), but the one-step copy had the
        /// lowest maximum in three runs of four and the lowest worst case (168 ms, against 302
        /// and 420), and copied as fast or faster (1.6–4.1 s for 577 MB, against 2.7–6.5 and
        /// 3.4–6.4). Smaller steps free nothing a writer waits for; `VACUUM INTO` rebuilds every
        /// b-tree, CPU the writer shares, for a file 7 % smaller.
        public static let standard = BackupMethod.pageCopy(pagesPerStep: -1)
    }

    /// A finished backup.
    public struct Backup: Sendable {
        /// The backup file, checked.
        public let summary: ReplicaFileSummary
        /// Seconds spent copying (the snapshot, until the copy was synced to disk).
        public let copySeconds: Double
        /// Seconds spent checking the copy (integrity check, digest, counts).
        public let checkSeconds: Double
    }

    /// Copies the replica, while it serves and staff write, to a new file at `path`: the copy
    /// is one snapshot, made under a temporary name in the same folder with mode 0600 from its
    /// creation, synced, opened read-only and checked (`PRAGMA integrity_check`, the state
    /// digest), and only then given its name, which must not exist (it is never replaced).
    /// Any failure throws one sentence and leaves no file behind.
    public func backup(to path: String, method: BackupMethod = .standard) throws -> Backup {
        let destination = URL(fileURLWithPath: path).standardizedFileURL
        let folder = destination.deletingLastPathComponent().path
        var status = stat()
        guard lstat(destination.path, &status) != 0 else {
            throw ReplicaError(.exists, "\(destination.path) already exists; a backup never replaces a file, so name a new one")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ReplicaError(.notFound, "the folder \(folder) for the backup does not exist")
        }
        let temporary = folder + "/." + destination.lastPathComponent + ".partial-" + UUID().uuidString
        defer { Self.removeDatabaseFiles(temporary) }
        let clock = ContinuousClock()
        let copyStart = clock.now
        try Self.createPrivateFile(temporary)
        do {
            try copy(to: temporary, method: method)
            try Self.syncFile(temporary)
        } catch let error as ReplicaError {
            throw error
        } catch {
            throw ReplicaError(.invalid, "cannot back the replica up to \(destination.path): \(Self.sentence(error))")
        }
        let copyEnd = clock.now
        let checked = try Self.inspect(file: temporary)
        guard checked.nodeID == configuration.nodeID else {
            throw ReplicaError(.wrongReplica, "the backup copy names node \(checked.nodeID), not \(configuration.nodeID); nothing was written")
        }
        let checkEnd = clock.now
        try Self.name(temporary, destination.path)
        try? Self.syncFile(folder)
        let summary = ReplicaFileSummary(
            path: destination.path, nodeID: checked.nodeID, network: checked.network, schemaVersion: checked.schemaVersion,
            digest: checked.digest, records: checked.records, bytes: checked.bytes
        )
        return Backup(summary: summary, copySeconds: seconds(copyStart, copyEnd), checkSeconds: seconds(copyEnd, checkEnd))
    }

    /// Copies one snapshot of the replica into the empty file at `temporary`, and leaves the
    /// copy in rollback-journal mode, so opening it (read-only) needs no WAL or shared memory.
    private func copy(to temporary: String, method: BackupMethod) throws {
        var configuration = SQLiteLibrary.configuration()
        configuration.prepareDatabase { db in
            // Nothing to roll back to in a new file, and it is synced once, at the end.
            try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")
        }
        switch method {
        case .pageCopy(let pagesPerStep):
            let copy = try DatabaseQueue(path: temporary, configuration: configuration)
            // `read` holds one read transaction for every step: one snapshot, and writers go on.
            try writer.backup(to: copy, pagesPerStep: pagesPerStep)
            try copy.close()
        case .vacuumInto:
            // VACUUM refuses to run inside a transaction; the statement is its own snapshot.
            try writer.unsafeRead { db in try db.execute(sql: "VACUUM INTO ?", arguments: [temporary]) }
        }
        // The copy's header says WAL, as the replica's does; journal_mode=DELETE clears it.
        let copy = try DatabaseQueue(path: temporary, configuration: configuration)
        try copy.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
        try copy.close()
    }

    /// Reads the replica file at `path` without changing it: refuses (one sentence) a file that
    /// is not an SQLite database, is a live WAL-mode replica rather than a backup, fails
    /// `PRAGMA integrity_check`, is not a replica or has a schema newer than this build's;
    /// otherwise returns whose it is, its digest and size.
    public static func inspect(file path: String) throws -> ReplicaFileSummary {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw ReplicaError(.notFound, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw ReplicaError(.invalid, "\(path) is not a file") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ReplicaError(.notFound, "cannot read \(path)") }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        try? handle.close()
        guard header.count == 100, header.prefix(16) == Data("SQLite format 3\0".utf8) else {
            throw ReplicaError(.wrongReplica, "\(path) is not a replica backup: it is not an SQLite database")
        }
        // Bytes 18 and 19 are 2 in WAL mode: a replica file itself, whose last writes may be in
        // a -wal file beside it. Opening it would also make files next to it.
        guard header[18] == 1, header[19] == 1 else {
            throw ReplicaError(
                .wrongReplica, "\(path) is a live replica file (WAL mode), not a backup; make one with pccc backup --data DIR --out FILE")
        }
        var configuration = SQLiteLibrary.configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                guard problems == ["ok"] else {
                    throw ReplicaError(.wrongReplica, "\(path) fails SQLite's integrity check: \(problems.first ?? "no answer")")
                }
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                guard try db.tableExists("replica_meta") else { throw ReplicaError(.wrongReplica, "\(path) is not a replica: it has no replica_meta") }
                let meta = try Dictionary(
                    uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT key, value FROM replica_meta").map { ($0["key"] as String, $0["value"] as String) })
                guard let node = meta["node_id"], let network = meta["network"] else {
                    throw ReplicaError(.wrongReplica, "\(path) is not a replica: it names no node or network")
                }
                guard version <= ReplicaSchema.version else {
                    throw ReplicaError(
                        .wrongReplica, "\(path) has schema version \(version), newer than this build's \(ReplicaSchema.version); use a newer pccc")
                }
                // The record schema the copy ran with, which names its kinds' tables.
                let schema = try storedRecordSchema(db, of: path) ?? .builtInVersion1
                var records = 0
                for kind in schema.kinds {
                    records += try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(kind.tableName)\"") ?? 0
                }
                return ReplicaFileSummary(
                    path: path, nodeID: NodeID(node), network: network, schemaVersion: version, digest: try digest(db, schema: schema), records: records,
                    bytes: Int64(status.st_size)
                )
            }
        } catch let error as ReplicaError {
            throw error
        } catch {
            throw ReplicaError(.wrongReplica, "\(path) cannot be read as a replica: \(sentence(error))")
        }
    }

    // MARK: Files

    /// Gives the finished copy at `temporary` the name `path`, never replacing a file: a hard
    /// link, which fails when `path` exists, then the temporary name goes. A file system without
    /// hard links (a FAT-formatted stick) gets a rename after a last check that `path` is free.
    private static func name(_ temporary: String, _ path: String) throws {
        let taken = "\(path) appeared while the backup ran; a backup never replaces a file, so name a new one"
        if link(temporary, path) == 0 {
            unlink(temporary)
            return
        }
        let failure = errno
        guard failure != EEXIST else { throw ReplicaError(.exists, taken) }
        guard [EPERM, EOPNOTSUPP, EMLINK].contains(failure) else {
            throw ReplicaError(.invalid, "cannot name the backup \(path): \(String(cString: strerror(failure)))")
        }
        var status = stat()
        guard lstat(path, &status) != 0 else { throw ReplicaError(.exists, taken) }
        guard rename(temporary, path) == 0 else {
            throw ReplicaError(.invalid, "cannot name the backup \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes everything in the WAL of the replica file at `path` into the file and truncates
    /// the WAL, for a replica about to be replaced while no node serves it.
    public static func checkpoint(path: String) throws {
        let queue = try DatabaseQueue(path: path, configuration: SQLiteLibrary.configuration())
        _ = try queue.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        try queue.close()
    }

    /// Creates an empty file only its owner may read or write; fails if anything is at `path`.
    public static func createPrivateFile(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw ReplicaError(.invalid, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        // The umask can only take bits away, but a fresh file must not depend on it at all.
        guard fchmod(descriptor, 0o600) == 0 else {
            throw ReplicaError(.invalid, "cannot restrict \(path) to its owner: \(String(cString: strerror(errno)))")
        }
    }

    /// Flushes a file or folder to disk (`fsync`).
    public static func syncFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReplicaError(.invalid, "cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ReplicaError(.invalid, "cannot sync \(path) to disk: \(String(cString: strerror(errno)))") }
    }

    /// Removes a database file and the files SQLite may have made beside it; missing is fine.
    public static func removeDatabaseFiles(_ path: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(path + suffix) }
    }

    /// An SQLite or system error as the end of a sentence.
    static func sentence(_ error: any Error) -> String {
        if let database = error as? DatabaseError { return database.message ?? "\(database.resultCode)" }
        return "\(error)"
    }
}

private func seconds(_ start: ContinuousClock.Instant, _ end: ContinuousClock.Instant) -> Double {
    let duration = end - start
    return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
