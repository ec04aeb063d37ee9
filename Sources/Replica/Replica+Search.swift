import Foundation
import GRDB
import Records
import SyncCore

/// One search result.
public struct SearchHit: Equatable, Sendable {
    /// The record's kind.
    public let kind: RecordKind
    /// The record's id.
    public let id: String
    /// Its sharing group.
    public let group: GroupID
    /// Its main values in one line (`RecordKind.label`), as listings show it; the search is
    /// audited with the ids it returned.
    public let label: String
    /// The other records `same_as` links join to it (the same subject recorded at other
    /// centres, each kept by its owner): a cluster is shown once, at its best-ranked record.
    public var sameAs: [String] = []
    /// For a record a search following links brought in: the hit it is linked to, and how.
    public var linkedFrom: (id: String, role: String)?

    /// Two hits are equal when every value is.
    public static func == (lhs: SearchHit, rhs: SearchHit) -> Bool {
        lhs.kind == rhs.kind && lhs.id == rhs.id && lhs.group == rhs.group && lhs.label == rhs.label && lhs.sameAs == rhs.sameAs
            && lhs.linkedFrom?.id == rhs.linkedFrom?.id && lhs.linkedFrom?.role == rhs.linkedFrom?.role
    }
}

extension Replica {
    /// Finds live records whose names or identifiers match `text`: the query is folded like
    /// the index (scripts, diacritics, case), each word matches as a prefix, identifiers also
    /// match with spaces and dashes ignored, and results are ranked by FTS5's bm25.
    ///
    /// With `followLinks`, each record found is followed by the records linked to it (one step,
    /// both ways, within its group) that the search did not find itself.
    public func search(_ text: String, kind: RecordKind? = nil, limit: Int = 50, followLinks: Bool = false) throws -> [SearchHit] {
        guard let query = Self.ftsQuery(text) else { return [] }
        return try writer.read { db in
            var sql = """
                SELECT name_key.kind, name_key.record_id FROM name_index JOIN name_key ON name_key.rowid = name_index.rowid
                WHERE name_index MATCH ?
                """
            var arguments: [any DatabaseValueConvertible] = [query]
            if let kind {
                sql += " AND name_key.kind = ?"
                arguments.append(kind.rawValue)
            }
            sql += " ORDER BY rank LIMIT ?"
            arguments.append(limit)
            let hits = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).compactMap { row -> SearchHit? in
                guard let kind = tables.schema.kind(named: row["kind"]) else { return nil }
                let id: String = row["record_id"]
                // The label's columns only: the row's field clocks are large and not needed.
                let columns = (["sharing_group", "origin"] + kind.fields.map(\.name)).map { "\"\($0)\"" }.joined(separator: ", ")
                let statement = try db.cachedStatement(sql: "SELECT \(columns) FROM \"\(kind.tableName)\" WHERE id = ?")
                guard let record = try Row.fetchOne(statement, arguments: [id]) else {
                    return nil
                }
                return SearchHit(kind: kind.kind, id: id, group: record["sharing_group"], label: Self.label(kind: kind, row: record))
            }
            let shown = try collapseClusters(hits, db: db)
            return followLinks ? try self.followLinks(from: shown, db: db) : shown
        }
    }

    /// The most linked records a search brings in after one record it found.
    static let linksFollowedPerHit = 20

    /// `hits`, each followed by the records linked to it that no hit shows yet.
    func followLinks(from hits: [SearchHit], db: Database) throws -> [SearchHit] {
        var shown = Set(hits.flatMap { [$0.id] + $0.sameAs })
        var result: [SearchHit] = []
        for hit in hits {
            result.append(hit)
            guard let id = RecordID(hit.id) else { continue }
            for link in try linkedRecords(of: id, db: db).prefix(Self.linksFollowedPerHit) where shown.insert(link.otherID.description).inserted {
                // A link shows only while its other end is live in the hit's group.
                var linked = SearchHit(kind: link.otherKind, id: link.otherID.description, group: hit.group, label: link.otherLabel)
                linked.linkedFrom = (hit.id, link.role)
                result.append(linked)
            }
        }
        return result
    }

    /// Shows each cluster of records `same_as` links join once, at its first hit, naming the
    /// cluster's other records.
    func collapseClusters(_ hits: [SearchHit], db: Database) throws -> [SearchHit] {
        try showingClustersOnce(hits, id: \.id, db: db).map { hit, others in
            var hit = hit
            hit.sameAs = others
            return hit
        }
    }

    /// `items` with each cluster of records `same_as` links join shown once, at its first
    /// item, with the cluster's other records: what search and listings show.
    func showingClustersOnce<Item>(_ items: [Item], id: (Item) -> String, db: Database) throws -> [(item: Item, others: [String])] {
        guard let link = tables.schema[.link],
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM \"\(link.tableName)\" WHERE role = 'same_as')")) == true
        else { return items.map { ($0, []) } }
        var shown: [(item: Item, others: [String])] = []
        var clustered = Set<String>()
        for item in items where !clustered.contains(id(item)) {
            let cluster = try sameSubjectCluster(of: id(item), db: db)
            clustered.formUnion(cluster)
            shown.append((item, cluster.filter { $0 != id(item) }))
        }
        return shown
    }

    /// The FTS5 query for a user's text: every spelling variant of the words as prefixes, all
    /// words required, any variant accepted; nil when nothing searchable is left.
    static func ftsQuery(_ text: String) -> String? {
        var alternatives = NameFolding.keys(text)
        let compact = NameFolding.identifierKeys(text)
        alternatives += compact.filter { !alternatives.contains($0) }
        let clauses = alternatives.compactMap { alternative -> String? in
            let words = alternative.split(separator: " ").map { "\"\($0)\"*" }
            return words.isEmpty ? nil : "(" + words.joined(separator: " AND ") + ")"
        }
        return clauses.isEmpty ? nil : clauses.joined(separator: " OR ")
    }
}
