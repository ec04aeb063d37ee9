import Foundation
import GRDB
import Records
import SyncCore

/// Changes that wait for a newer record schema, by the peer that sent them.
public struct SchemaBacklog: Sendable, Equatable {
    /// The peer, or ``Replica/localCopy`` for batches read from a file.
    public let peer: NodeID
    /// How many stored batches hold such changes.
    public let batches: Int
    /// How many changes in them hold a kind, field or value this node's schema does not know.
    public let changes: Int
}

/// What growing the schema applied again.
public struct SchemaReapplication: Sendable, Equatable {
    /// Stored batches applied again.
    public let batches: Int
    /// Changes in them applied again.
    public let changes: Int
    /// Batches that still hold something the schema does not know.
    public let stillWaiting: Int
}

extension Replica {
    /// The stored schema document's key in `replica_meta`.
    static let recordSchemaKey = "record_schema"

    /// Makes the configured schema the one this replica runs: refuses one that is not the held
    /// one grown (a schema never goes back, never drops or changes a field), adds the tables
    /// and columns it grows, then applies again the stored batches that held what the older
    /// schema did not know (docs/PROTOCOL.md §5.11). A replica older than this release ran the
    /// built-in schema.
    func adoptRecordSchema() throws {
        let schema = tables.schema
        let stored = try writer.read { db in try Self.storedRecordSchema(db, of: "this replica") }
        let held = stored ?? .builtInVersion1
        do throws(SchemaError) {
            try schema.checkGrowth(from: held, file: "the record schema")
        } catch {
            throw ReplicaError(.wrongSchema, error.reason)
        }
        if stored == nil {
            try noteBatchesOfEarlierReleases()
        }
        if stored == nil || held != schema {
            try writer.write { db in
                try Self.growTables(from: held, to: schema, db: db)
                try db.execute(
                    sql: "INSERT OR REPLACE INTO replica_meta (key, value) VALUES (?, ?)", arguments: [Self.recordSchemaKey, schema.document])
            }
        }
        // Also when the file's schema did not change: a process on an older schema (a node not
        // restarted yet after the region's file was installed) may have noted batches since.
        let waiting = try writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM deferred_batch WHERE schema_version < ?)", arguments: [schema.version]) ?? false
        }
        if waiting { try reapplyDeferredBatches() }
    }

    /// The record schema the replica file at `path` runs, read without changing the file (the
    /// node may be serving): the built-in one for a replica older than schema documents.
    public static func recordSchema(ofReplicaAt path: String) throws -> RecordSchema {
        guard FileManager.default.fileExists(atPath: path) else { throw ReplicaError(.notFound, "there is no replica at \(path)") }
        var configuration = SQLiteLibrary.configuration()
        configuration.readonly = true
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw ReplicaError(.wrongReplica, "\(path) cannot be read as a replica: \(error)")
        }
        defer { try? queue.close() }
        return try queue.read { db in try storedRecordSchema(db, of: path) } ?? .builtInVersion1
    }

    /// The record schema a replica keeps in `replica_meta` (`of` names it in errors), or nil
    /// for a replica older than schema documents, which ran the built-in one.
    static func storedRecordSchema(_ db: Database, of replica: String) throws -> RecordSchema? {
        guard let text = try String.fetchOne(db, sql: "SELECT value FROM replica_meta WHERE key = ?", arguments: [recordSchemaKey]) else {
            return nil
        }
        do {
            return try RecordSchema.parseDocument(text, file: "the record schema of \(replica)")
        } catch {
            throw ReplicaError(.wrongSchema, error.description)
        }
    }

    /// Creates the tables of `newer`'s new kinds and adds the columns of its new fields, with
    /// their indexes. Schema-driven, so outside the frozen migrations: it runs after them, on
    /// tables they made.
    static func growTables(from older: RecordSchema, to newer: RecordSchema, db: Database) throws {
        func quoted(_ name: String) -> String { "\"\(name)\"" }
        // A ':' is in no kind or field name, so these never meet each other or the migrations'
        // indexes (`person_by_group`).
        func indexName(_ table: String, _ column: String) -> String { "\(table):\(column)" }
        for kind in newer.kinds {
            let table = kind.tableName
            let old = older[kind.kind]
            if let old {
                for field in kind.fields where old.field(named: field.name) == nil {
                    try db.execute(sql: "ALTER TABLE \(quoted(table)) ADD COLUMN \(quoted(field.name)) TEXT")
                }
            } else {
                if try db.tableExists(table) {
                    throw ReplicaError(.wrongSchema, "the replica already has a table \(table), so kind \(kind.kind) cannot be added")
                }
                let columns = kind.fields.map { "\(quoted($0.name)) TEXT" }.joined(separator: ", ")
                try db.execute(
                    sql: """
                        CREATE TABLE \(quoted(table)) (
                            id TEXT PRIMARY KEY NOT NULL, sharing_group TEXT NOT NULL, origin TEXT NOT NULL,
                            created_at TEXT NOT NULL, field_clocks BLOB, last_hlc INTEGER, \(columns)) WITHOUT ROWID;
                        CREATE INDEX \(quoted(indexName(table, "sharing_group"))) ON \(quoted(table)) (sharing_group);
                        """
                )
            }
            for field in kind.fields where field.isIndexed && old?.field(named: field.name) == nil {
                try db.execute(sql: "CREATE INDEX \(quoted(indexName(table, field.name))) ON \(quoted(table)) (\(quoted(field.name)))")
            }
        }
    }

    /// Who noted the batches a release before schema documents stored (``noteBatchesOfEarlierReleases()``).
    public static let earlierRelease: NodeID = "an earlier release"

    /// A release before schema documents ignored what the built-in schema does not know without
    /// noting it: on the first start of this one, every batch it stored from another node is
    /// read once, and those holding such changes are noted as applied under the built-in
    /// schema, so a grown schema applies them too. Chunked, one transaction per chunk.
    func noteBatchesOfEarlierReleases() throws {
        let me = configuration.nodeID
        var after: (origin: String, group: String, seq: Int64) = ("", "", -1)
        while true {
            let done = try writer.write { db -> Bool in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT origin, sharing_group, seq, header, signature, payload, raw_length FROM batch_log
                        WHERE (origin, sharing_group, seq) > (?, ?, ?) ORDER BY origin, sharing_group, seq LIMIT ?
                        """,
                    arguments: [after.origin, after.group, after.seq, Self.reapplyChunk]
                )
                guard let last = rows.last else { return true }
                after = (last["origin"], last["sharing_group"], last["seq"])
                for row in rows {
                    let batch = try BatchStore.signedBatch(from: row)
                    guard batch.header.origin != me else { continue }
                    let leaves = try batch.verifiedLeaves()
                    let waiting = RecordSchema.builtInVersion1.waitingLeaves(in: leaves)
                    if waiting > 0 {
                        try Self.deferBatch(
                            batch.header, changes: waiting, relayedBy: Self.earlierRelease, schemaVersion: RecordSchema.builtInVersion1.version, db: db)
                    }
                }
                return false
            }
            if done { break }
        }
    }

    /// Notes a stored batch some of whose changes this schema could not apply in full.
    static func deferBatch(_ header: BatchHeader, changes: Int, relayedBy peer: NodeID, schemaVersion: Int, db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO deferred_batch (origin, sharing_group, seq, changes, relayed_by, schema_version)
                VALUES (?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [header.stream.originKey, header.group, Int64(header.seq), changes, peer, schemaVersion])
    }

    /// How many batches to apply again in one transaction: bounds the transaction while a
    /// large backlog is worked off, so the node's other writes interleave.
    static let reapplyChunk = 256

    /// Applies again, in stream order and through the normal merge, every stored batch that
    /// held what an older schema than this replica's did not know. What the schema still does
    /// not know stays noted, under this schema's version; a batch no longer stored (its stream
    /// cut back) is forgotten.
    @discardableResult
    public func reapplyDeferredBatches() throws -> SchemaReapplication {
        var batches = 0
        var changes = 0
        var waitingBatches = 0
        var after: (origin: String, group: String, seq: Int64) = ("", "", -1)
        while true {
            let done = try writeErasing { db -> (result: Bool, erased: Bool) in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT origin, sharing_group, seq, relayed_by FROM deferred_batch
                        WHERE (origin, sharing_group, seq) > (?, ?, ?) AND schema_version < ? ORDER BY origin, sharing_group, seq LIMIT ?
                        """,
                    arguments: [after.origin, after.group, after.seq, tables.schema.version, Self.reapplyChunk]
                )
                guard let last = rows.last else { return (true, false) }
                after = (last["origin"], last["sharing_group"], last["seq"])
                var erased: [ErasedRecord] = []
                for row in rows {
                    let seq: Int64 = row["seq"]
                    let stream = try StreamID(originKey: row["origin"], group: row["sharing_group"])
                    let key: StatementArguments = [stream.originKey, stream.group, seq]
                    guard let batch = try BatchStore.load(stream, seq: UInt64(seq), db: db) else {
                        try db.execute(sql: "DELETE FROM deferred_batch WHERE origin = ? AND sharing_group = ? AND seq = ?", arguments: key)
                        continue
                    }
                    let leaves = try batch.verifiedLeaves()
                    let now = configuration.wallClock()
                    var applier = makeApplier(db: db, origin: batch.header.origin, group: batch.header.group, now: now, reapplying: true)
                    for case .full(let change) in leaves {
                        try applier.apply(change)
                        changes += 1
                    }
                    // Redacted leaves of a kind the schema now knows are checked as on arrival.
                    try notePendingRedactions(leaves, of: batch.header, relayedBy: row["relayed_by"], now: now, db: db)
                    batches += 1
                    erased += applier.erased
                    let stillWaiting = tables.schema.waitingLeaves(in: leaves)
                    if stillWaiting == 0 {
                        try db.execute(sql: "DELETE FROM deferred_batch WHERE origin = ? AND sharing_group = ? AND seq = ?", arguments: key)
                    } else {
                        waitingBatches += 1
                        try db.execute(
                            sql: "UPDATE deferred_batch SET changes = ?, schema_version = ? WHERE origin = ? AND sharing_group = ? AND seq = ?",
                            arguments: [stillWaiting, tables.schema.version] + key
                        )
                    }
                }
                try BatchStore.purgeErased(erased, db: db)
                return (false, !erased.isEmpty)
            }
            if done { break }
        }
        return SchemaReapplication(batches: batches, changes: changes, stillWaiting: waitingBatches)
    }

    /// The changes waiting for a newer schema, by the peer that sent them.
    public func schemaBacklog() throws -> [SchemaBacklog] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT relayed_by, COUNT(*) AS batches, SUM(changes) AS changes FROM deferred_batch GROUP BY relayed_by ORDER BY relayed_by"
            ).map { SchemaBacklog(peer: $0["relayed_by"], batches: $0["batches"], changes: $0["changes"]) }
        }
    }
}
