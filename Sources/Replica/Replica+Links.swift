import GRDB
import Records
import SyncCore

/// A record linked to the one shown, through a `link` record of their group (schema version 3).
public struct LinkedRecord: Equatable, Sendable {
    /// The link record.
    public let linkID: RecordID
    /// owner, driver, holder, associate, member or same_as.
    public let role: String
    /// Where the link comes from, when its writer said.
    public let source: String?
    /// Whether the record shown is the link's `from_id` (the other is its `to_id`).
    public let isOutgoing: Bool
    /// The record at the other end.
    public let otherKind: RecordKind
    /// Its id.
    public let otherID: RecordID
    /// Its one-line label.
    public let otherLabel: String
}

extension Replica {
    /// The most links a record's page shows.
    public static let linksShownLimit = 200

    /// The records linked to `id`, both ways, through links of its own group whose other end is
    /// live in that group too: a link a member made across groups, or to a record since
    /// erased, shows nothing.
    public func linkedRecords(of id: RecordID) throws -> [LinkedRecord] {
        try writer.read { db in try linkedRecords(of: id, db: db) }
    }

    /// ``linkedRecords(of:)`` in the caller's transaction.
    func linkedRecords(of id: RecordID, db: Database) throws -> [LinkedRecord] {
        guard let linkKind = tables.schema[.link], let (_, group) = try? locate(id, db: db) else { return [] }
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT id, from_id, to_id, role, source FROM "\(linkKind.tableName)"
                WHERE sharing_group = ?1 AND (from_id = ?2 OR to_id = ?2) ORDER BY id LIMIT ?3
                """,
            arguments: [group, id.description, Self.linksShownLimit]
        )
        return try rows.compactMap { row -> LinkedRecord? in
            let from: String = row["from_id"]
            let isOutgoing = from == id.description
            let otherText: String = isOutgoing ? row["to_id"] : from
            guard let linkID = RecordID(row["id"] as String), let otherID = RecordID(otherText), otherID != id,
                let other = try ChangeApplier.heldRecord(anyKindID: otherText, tables: tables, db: db), other.group == group,
                !other.kind.isAppendOnly,
                let otherRow = try Row.fetchOne(db, sql: "SELECT * FROM \"\(other.kind.tableName)\" WHERE id = ?", arguments: [otherText])
            else { return nil }
            return LinkedRecord(
                linkID: linkID, role: row["role"] ?? "?", source: row["source"], isOutgoing: isOutgoing, otherKind: other.kind.kind,
                otherID: otherID, otherLabel: Self.label(kind: other.kind, row: otherRow))
        }
    }
}
