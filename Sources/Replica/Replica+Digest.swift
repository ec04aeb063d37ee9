import GRDB
import Records
import SyncCore

extension Replica {
    /// SHA-256 (hex) of the canonical visible state: every live record with all its fields, and
    /// every tombstone, of one group or of all. Converged replicas have equal digests.
    public func digest(group: GroupID? = nil) throws -> String {
        try writer.read { db in try Self.digest(db, schema: tables.schema, group: group) }
    }

    /// The state digest of the replica open in `db`, which may be a read-only copy (a backup),
    /// whose tables `schema` names.
    ///
    /// A field the built-in schema has is always covered; a field a region's schema added only
    /// where it holds a value, so a node that has not grown its schema yet and one that has
    /// agree while no record sets the new field.
    static func digest(_ db: Database, schema: RecordSchema, group: GroupID? = nil) throws -> String {
        var digest = StateDigest()
        let filter = group == nil ? "" : " WHERE sharing_group = ?"
        let arguments: StatementArguments = group.map { [$0] } ?? []
        for kind in schema.kinds.sorted(by: { $0.kind < $1.kind }) {
            let columns = (["created_at", "origin", "sharing_group"] + kind.fields.map(\.name)).sorted()
            let alwaysCovered = kind.builtInFieldNames.union(["created_at", "origin", "sharing_group"])
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT * FROM \"\(kind.tableName)\"\(filter) ORDER BY id",
                arguments: arguments
            )
            while let row = try rows.next() {
                let fields = columns.compactMap { name -> (name: String, value: String?)? in
                    let value: String? = row[name]
                    return value != nil || alwaysCovered.contains(name) ? (name, value) : nil
                }
                digest.addRecord(kind: kind.kind.rawValue, id: row["id"], fields: fields)
            }
        }
        let tombstones = try Row.fetchCursor(
            db,
            sql: "SELECT kind, record_id, hlc, origin, reason FROM tombstone\(filter) ORDER BY kind, record_id",
            arguments: arguments
        )
        while let row = try tombstones.next() {
            let hlc: Int64 = row["hlc"]
            digest.addTombstone(
                kind: row["kind"],
                id: row["record_id"],
                stamp: WriteStamp(hlc: HybridTimestamp(rawValue: UInt64(hlc)), origin: row["origin"]),
                reason: row["reason"]
            )
        }
        return digest.finalize()
    }
}
