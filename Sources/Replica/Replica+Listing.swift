import GRDB
import Records
import SyncCore

/// Which records `Replica.list` returns; every condition set must hold.
public struct RecordFilter: Sendable {
    /// The kinds to list; nil lists every kind but the append-only ones.
    public var kinds: [RecordKind]?
    /// Only records of this sharing group.
    public var group: GroupID?
    /// Only records whose `alert` is this (persons and vehicles).
    public var alert: String?
    /// Only records whose `status` is this (documents, firearms and requests).
    public var status: String?
    /// Only records created by this node.
    public var origin: NodeID?
    /// Only records with a field written at or after this time (Unix milliseconds).
    public var changedSince: UInt64?
    /// The most records to return.
    public var limit = 200

    /// A filter that lists the staff kinds, 200 at most.
    public init() {}

    /// Keeps only the kinds that have `field` (`alert` or `status`) and records whose `field`
    /// is `value`; refuses a value none of those kinds allows, or a kind the user named that
    /// has no such field.
    public mutating func require(_ field: String, _ value: String, kindNamed: Bool, schema: RecordSchema) throws {
        let candidates = kinds?.compactMap { schema[$0] } ?? schema.kinds(for: .list)
        let having = candidates.filter { $0.field(named: field) != nil }
        if kindNamed, having.isEmpty, let kind = candidates.first {
            let applies = schema.kinds(for: .list).filter { $0.field(named: field) != nil }.map { $0.kind.rawValue + "s" }
            throw ReplicaError(.invalid, "a \(kind.kind) has no \(field) field; only \(applies.joined(separator: ", ")) have one", field: field)
        }
        // A free-text field (a firearm's status) matches whatever it holds.
        let freeText = having.contains { $0.field(named: field)?.allowedValues == nil }
        let allowed = Set(having.flatMap { $0.field(named: field)?.allowedValues ?? [] })
        guard freeText || allowed.contains(value) else {
            throw ReplicaError(.invalid, "\(field) cannot be \(value); allowed values are \(allowed.sorted().joined(separator: ", "))", field: field)
        }
        kinds = having.map(\.kind)
        if field == "alert" { alert = value } else { status = value }
    }
}

/// One line of a record listing.
public struct RecordSummary: Equatable, Sendable {
    /// The record's kind.
    public let kind: RecordKind
    /// Its id.
    public let id: String
    /// Its sharing group.
    public let group: GroupID
    /// The node that created it.
    public let origin: NodeID
    /// Its main values (names, plate, number, request state), for display.
    public let label: String
    /// When its latest field write happened (Unix milliseconds).
    public let lastChangedAt: UInt64
    /// The other records `same_as` links join to it: a cluster is listed once, at its most
    /// recently changed record.
    public var sameAs: [String] = []
}

extension Replica {
    /// Live records matching `filter`, most recently changed first.
    public func list(_ filter: RecordFilter) throws -> [RecordSummary] {
        try writer.read { db in
            var summaries: [RecordSummary] = []
            let kinds = filter.kinds?.compactMap { tables.schema[$0] } ?? tables.schema.kinds(for: .list)
            for kind in kinds {
                var conditions: [String] = []
                var arguments: [any DatabaseValueConvertible] = []
                for (column, value) in [
                    ("sharing_group", filter.group?.rawValue), ("alert", filter.alert), ("status", filter.status), ("origin", filter.origin?.rawValue),
                ] {
                    guard let value else { continue }
                    guard column == "sharing_group" || column == "origin" || kind.field(named: column) != nil else {
                        conditions.append("0")
                        continue
                    }
                    conditions.append("\"\(column)\" = ?")
                    arguments.append(value)
                }
                if let since = filter.changedSince {
                    conditions.append("last_hlc >= ?")
                    arguments.append(Int64(bitPattern: HybridTimestamp(milliseconds: since, counter: 0).rawValue))
                }
                arguments.append(filter.limit)
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM "\(kind.tableName)"
                        \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                        ORDER BY last_hlc DESC LIMIT ?
                        """,
                    arguments: StatementArguments(arguments)
                )
                for row in rows {
                    let lastHLC: Int64 = row["last_hlc"] ?? 0
                    summaries.append(
                        RecordSummary(
                            kind: kind.kind, id: row["id"], group: row["sharing_group"], origin: row["origin"],
                            label: Self.label(kind: kind, row: row),
                            lastChangedAt: HybridTimestamp(rawValue: UInt64(bitPattern: lastHLC)).milliseconds
                        )
                    )
                }
            }
            let listed = Array(summaries.sorted { ($0.lastChangedAt, $0.id) > ($1.lastChangedAt, $1.id) }.prefix(filter.limit))
            return try showingClustersOnce(listed, id: \.id, db: db).map { summary, others in
                var summary = summary
                summary.sameAs = others
                return summary
            }
        }
    }

    /// Every live record of `group` of the given kinds, with its values and provenance, for
    /// export; oldest id first within each kind.
    public func records(inGroup group: GroupID, kinds: [RecordKind]? = nil) throws -> [RecordSnapshot] {
        try writer.read { db in
            var snapshots: [RecordSnapshot] = []
            for kind in kinds?.compactMap({ tables.schema[$0] }) ?? tables.schema.kinds {
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT * FROM \"\(kind.tableName)\" WHERE sharing_group = ? ORDER BY id", arguments: [group]
                )
                while let row = try rows.next() {
                    let id: String = row["id"]
                    guard let recordID = RecordID(id) else { continue }
                    snapshots.append(Self.snapshot(kind: kind, id: recordID, row: row, provenance: try FieldClocks(storedIn: row).stamps))
                }
            }
            return snapshots
        }
    }

    /// The hits, notes and erasure requests about a record, oldest first.
    public func attachments(of id: RecordID) throws -> [RecordSnapshot] {
        let ids = try writer.read { db in
            try String.fetchAll(
                db,
                sql: tables.schema.appendOnlyKinds.map { "SELECT id FROM \"\($0.tableName)\" WHERE record_id = ?1" }
                    .joined(separator: " UNION ALL ") + " ORDER BY id",
                arguments: [id.description]
            )
        }
        return try ids.compactMap { text in
            guard let attachmentID = RecordID(text), case .live(let snapshot) = try lookup(attachmentID) else { return nil }
            return snapshot
        }
    }

    static func snapshot(kind: KindSchema, id: RecordID, row: Row, provenance: [String: WriteStamp]) -> RecordSnapshot {
        var values: [String: String] = [:]
        for spec in kind.fields {
            if let value: String = row[spec.name] { values[spec.name] = value }
        }
        let origin: NodeID = row["origin"]
        return RecordSnapshot(
            kind: kind.kind, id: id, group: row["sharing_group"], origin: origin, createdAt: row["created_at"], values: values,
            provenance: provenance, label: kind.label(of: values, origin: origin), lists: Set(kind.setFields.map(\.name))
        )
    }

    /// A record's main values in one line, from a row of its table (`KindSchema.label`).
    static func label(kind: KindSchema, row: Row) -> String {
        var values: [String: String] = [:]
        for field in kind.fields {
            if let text: String = row[field.name] { values[field.name] = text }
        }
        return kind.label(of: values, origin: row["origin"] ?? "?")
    }
}
