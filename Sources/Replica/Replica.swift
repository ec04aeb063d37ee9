import Foundation
import GRDB
import Records
import SyncCore
import Synchronization

/// A node's local replica: one SQLite file (WAL, `synchronous=FULL`) holding the merged
/// records, their field clocks, tombstones, every batch held, and stream heads.
///
/// Every local transaction becomes exactly one signed batch, stored in the same SQLite
/// transaction as the state change; every received batch is verified and applied the same way.
public final class Replica: Sendable {
    let writer: any DatabaseWriter
    /// The record schema this replica was opened with, and its statements; fixed while open.
    let tables: RecordTables
    private let currentConfiguration: Mutex<ReplicaConfiguration>

    /// Who this node is, whom it trusts, and its limits.
    public var configuration: ReplicaConfiguration {
        currentConfiguration.withLock { $0 }
    }

    /// Replaces whom the replica trusts (a reloaded topology); the node id stays.
    public func updateRoster(_ roster: Roster) throws {
        try currentConfiguration.withLock { configuration in
            guard roster.network == configuration.roster.network else {
                throw ReplicaError(.wrongReplica, "a topology of network \(roster.network) cannot replace \(configuration.roster.network)")
            }
            configuration.roster = roster
        }
    }

    /// Opens or creates the replica file at `path`. A file made for another node or network is
    /// refused rather than reused.
    public convenience init(path: String, configuration: ReplicaConfiguration) throws {
        var config = SQLiteLibrary.configuration()
        config.prepareDatabase { db in
            // Erased values are overwritten on disk, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        config.busyMode = .timeout(10)
        try self.init(writer: try Self.openDurablePool(path: path, configuration: config), configuration: configuration)
    }

    /// Opens a WAL pool whose writer syncs the WAL at every commit (`synchronous=FULL`), so a
    /// write is acknowledged only once it survives a power cut. GRDB sets `NORMAL` when it
    /// turns WAL on, after `prepareDatabase` has run, so FULL is set afterwards.
    static func openDurablePool(path: String, configuration: Configuration) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        return pool
    }

    /// Creates a replica in memory, for tests.
    public static func inMemory(configuration: ReplicaConfiguration) throws -> Replica {
        try Replica(writer: try DatabaseQueue(configuration: SQLiteLibrary.configuration()), configuration: configuration)
    }

    private init(writer: any DatabaseWriter, configuration: ReplicaConfiguration) throws {
        self.writer = writer
        tables = RecordTables(schema: configuration.schema)
        currentConfiguration = Mutex(configuration)
        try ReplicaSchema.migrator.migrate(writer)
        try writer.write { db in
            for (key, expected) in [("node_id", configuration.nodeID.rawValue), ("network", configuration.roster.network)] {
                if let stored = try String.fetchOne(db, sql: "SELECT value FROM replica_meta WHERE key = ?", arguments: [key]) {
                    guard stored == expected else {
                        throw ReplicaError(.wrongReplica, "this replica belongs to \(key.replacingOccurrences(of: "_", with: " ")) \(stored), not \(expected)")
                    }
                } else {
                    try db.execute(sql: "INSERT INTO replica_meta (key, value) VALUES (?, ?)", arguments: [key, expected])
                }
            }
        }
        try adoptRecordSchema()
        try reopenReceiptsWithoutDeadline()
    }

    /// The record schema this replica runs with: its kinds and fields.
    public var recordSchema: RecordSchema { tables.schema }

    /// The schema version stored in the file (`PRAGMA user_version`).
    public func schemaVersion() throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
    }

    /// Runs a write transaction; when it erased records, checkpoints and truncates the WAL
    /// afterwards, so page images from before the erasure do not linger in the WAL file.
    func writeErasing<T>(_ body: (Database) throws -> (result: T, erased: Bool)) throws -> T {
        let (result, erased) = try writer.write(body)
        if erased {
            // Best effort: a long reader can keep the WAL busy; the next checkpoint rewrites it.
            _ = try? writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        }
        return result
    }

    // MARK: Clock

    func tick(_ clock: inout HybridClock) -> HybridTimestamp {
        clock.tick(wallMilliseconds: configuration.wallClock())
    }

    static func loadClock(_ db: Database) throws -> HybridClock {
        let stored = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM replica_meta WHERE key = 'hlc'"))
        return HybridClock(latest: HybridTimestamp(rawValue: stored.flatMap { UInt64($0) } ?? 0))
    }

    static func saveClock(_ clock: HybridClock, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO replica_meta (key, value) VALUES ('hlc', ?)")
            .execute(arguments: [String(clock.latest.rawValue)])
    }
}
