import GRDB
import Records
import SyncCore

extension Replica {
    /// SHA-256 (hex) of the canonical visible state: every live record with all its fields, and
    /// every tombstone, of one group or of all. Converged replicas have equal digests.
    public func digest(group: GroupID? = nil) throws -> String {
        try writer.read { db in try Self.digest(db, group: group) }
    }

    /// The state digest of the replica open in `db`, which may be a read-only copy (a backup).
    static func digest(_ db: Database, group: GroupID? = nil) throws -> String {
        var digest = StateDigest()
        let filter = group == nil ? "" : " WHERE sharing_group = ?"
        let arguments: StatementArguments = group.map { [$0] } ?? []
        for kind in RecordKind.allCases.sorted(by: { $0.rawValue < $1.rawValue }) {
            let columns = (["created_at", "origin", "sharing_group"] + kind.fields.map(\.name)).sorted()
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT * FROM \"\(kind.rawValue)\"\(filter) ORDER BY id",
                arguments: arguments
            )
            while let row = try rows.next() {
                digest.addRecord(kind: kind.rawValue, id: row["id"], fields: columns.map { ($0, row[$0] as String?) })
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
