import GRDB
import Records

/// A record's folded search keys, held in `name_key` and indexed by the FTS5 table
/// `name_index`, whose external content `name_key` is.
///
/// The two are kept in step by explicit statements, not by triggers (migration 8 dropped them).
/// A statement that fires a trigger writing to a virtual table runs inside a statement
/// savepoint, and FTS5 flushes its pending terms to a new index segment at every savepoint.
/// With triggers, each record written made its own segment, and merging those segments was
/// about a third of an import's time.
enum NameIndex {
    /// The keys a record with these searchable values is found by: every spelling variant of
    /// its names, and identifiers with and without spaces.
    static func keys(kind: KindSchema, values: [String: String]) -> String {
        var keys: [String] = []
        for field in kind.searchableFields {
            guard let value = values[field] else { continue }
            let isIdentifier = kind.identifierFields.contains(field)
            guard let spec = kind.field(named: field), spec.mergeClass == .set else {
                keys += isIdentifier ? NameFolding.identifierKeys(value) : NameFolding.keys(value)
                continue
            }
            // A set is found by each of its elements.
            for element in SetValue.decode(value) {
                let text = SetValue.searchText(of: element, format: spec.format)
                keys += isIdentifier ? NameFolding.identifierKeys(text) : NameFolding.keys(text)
            }
        }
        return keys.joined(separator: " ")
    }

    /// `keys(kind:values:)` of a record row that holds the kind's searchable columns.
    static func keys(kind: KindSchema, row: Row) -> String {
        var values: [String: String] = [:]
        for field in kind.searchableFields { values[field] = row[field] }
        return keys(kind: kind, values: values)
    }

    /// Indexes a record just created. Returns false, writing nothing, when the record already
    /// has keys; ``set(kind:id:keys:db:)`` then replaces them.
    static func insertNew(kind: KindSchema, id: String, keys: String, db: Database) throws -> Bool {
        guard !keys.isEmpty else { return true }
        try db.cachedStatement(sql: "INSERT INTO name_key (kind, record_id, keys) VALUES (?, ?, ?) ON CONFLICT (record_id) DO NOTHING")
            .executeBinding { binder in
                binder.bind(kind.kind.rawValue)
                binder.bind(id)
                binder.bind(keys)
            }
        guard db.changesCount > 0 else { return false }
        try indexTokens(rowID: db.lastInsertedRowID, keys: keys, db: db)
        return true
    }

    /// Makes `keys` the record's keys, whatever it had: empty keys remove it from the index.
    static func set(kind: KindSchema, id: String, keys: String, db: Database) throws {
        guard let current = try indexed(id: id, db: db) else {
            // No row, so the insert cannot meet one.
            _ = try insertNew(kind: kind, id: id, keys: keys, db: db)
            return
        }
        guard current.keys != keys else { return }
        if keys.isEmpty {
            try drop(current, db: db)
        } else {
            try unindexTokens(rowID: current.rowID, keys: current.keys, db: db)
            try db.cachedStatement(sql: "UPDATE name_key SET keys = ? WHERE rowid = ?").execute(arguments: [keys, current.rowID])
            try indexTokens(rowID: current.rowID, keys: keys, db: db)
        }
    }

    /// Removes a record from the index. Its tokens stay in older index segments until the
    /// index is optimized, which erasure does.
    static func remove(id: String, db: Database) throws {
        guard let current = try indexed(id: id, db: db) else { return }
        try drop(current, db: db)
    }

    /// The record's `name_key` row, nil when it has no keys.
    private static func indexed(id: String, db: Database) throws -> (rowID: Int64, keys: String)? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT rowid, keys FROM name_key WHERE record_id = ?"), arguments: [id])
            .map { row in (row["rowid"], row["keys"]) }
    }

    private static func drop(_ current: (rowID: Int64, keys: String), db: Database) throws {
        try unindexTokens(rowID: current.rowID, keys: current.keys, db: db)
        try db.cachedStatement(sql: "DELETE FROM name_key WHERE rowid = ?").execute(arguments: [current.rowID])
    }

    private static func indexTokens(rowID: Int64, keys: String, db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO name_index (rowid, keys) VALUES (?, ?)").executeBinding { binder in
            binder.bind(rowID)
            binder.bind(keys)
        }
    }

    /// FTS5's delete command for external content: it must be given the very keys indexed.
    private static func unindexTokens(rowID: Int64, keys: String, db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO name_index (name_index, rowid, keys) VALUES ('delete', ?, ?)").execute(arguments: [rowID, keys])
    }
}
