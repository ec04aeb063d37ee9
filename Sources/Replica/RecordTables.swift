import Records

/// The record schema a replica runs with and the statements built from it once: which table
/// holds each kind, and the SQL that spans every kind's table.
struct RecordTables: Sendable {
    /// The kinds and fields this replica knows.
    let schema: RecordSchema
    /// The kind and group of a live record by id, over every kind's table.
    let heldRecordSQL: String
    /// One insert per kind naming every column.
    let insertSQL: [RecordKind: String]

    init(schema: RecordSchema) {
        self.schema = schema
        heldRecordSQL =
            schema.kinds.map { "SELECT '\($0.kind.rawValue)' AS kind, sharing_group FROM \"\($0.tableName)\" WHERE id = ?1" }
            .joined(separator: " UNION ALL ") + " LIMIT 1"
        // A field the create leaves out is bound as NULL, which is what an omitted column holds.
        insertSQL = Dictionary(
            uniqueKeysWithValues: schema.kinds.map { kind in
                let columns = ["id", "sharing_group", "origin", "created_at", "field_clocks", "last_hlc"] + kind.fields.map(\.name)
                let names = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
                return (kind.kind, "INSERT OR IGNORE INTO \"\(kind.tableName)\" (\(names)) VALUES (\(marks))")
            }
        )
    }
}
