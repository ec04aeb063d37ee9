import GRDB
import Records
import SyncCore

extension Replica {
    /// A token that changes whenever the record, its erasure or its hits, notes and erasure requests change:
    /// what a live view compares before consulting the record again. It holds no field value.
    public func revision(of id: RecordID) throws -> String {
        try writer.read { db in
            var latest: Int64 = 0
            for kind in tables.schema.kinds {
                let hlc = try Int64.fetchOne(
                    db, sql: "SELECT last_hlc FROM \"\(kind.tableName)\" WHERE id = ?", arguments: [id.description]
                )
                latest = max(latest, hlc ?? 0)
            }
            let erased = try Int64.fetchOne(db, sql: "SELECT hlc FROM tombstone WHERE record_id = ?", arguments: [id.description]) ?? 0
            let attachments =
                try Int.fetchOne(
                    db,
                    sql: "SELECT "
                        + tables.schema.appendOnlyKinds.map { "(SELECT count(*) FROM \"\($0.tableName)\" WHERE record_id = ?1)" }
                        .joined(separator: " + "),
                    arguments: [id.description]
                ) ?? 0
            return "\(UInt64(bitPattern: latest))-\(UInt64(bitPattern: erased))-\(attachments)"
        }
    }

    /// A token that changes whenever any record of `kind` changes or is erased; for requests,
    /// also whenever a step is added to any request's thread.
    public func revision(ofKind kind: RecordKind) throws -> String {
        var tables = [try kindSchema(kind).tableName]
        if kind == .request, let entries = self.tables.schema[.requestEntry] { tables.append(entries.tableName) }
        return try writer.read { db in
            // The count too: an entry stamped earlier than the latest (a centre's clock behind)
            // still moves the token.
            var latest: Int64 = 0
            var count = 0
            for table in tables {
                latest = max(latest, try Int64.fetchOne(db, sql: "SELECT max(last_hlc) FROM \"\(table)\"") ?? 0)
                count += try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\"") ?? 0
            }
            let erased = try Int64.fetchOne(db, sql: "SELECT max(hlc) FROM tombstone WHERE kind = ?", arguments: [kind.rawValue]) ?? 0
            return "\(UInt64(bitPattern: latest))-\(UInt64(bitPattern: erased))-\(count)"
        }
    }
}
