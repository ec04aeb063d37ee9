import Foundation
import Records

/// Records written out for hand-over to other systems.
public enum RecordExport {
    /// A JSON array of `{kind, id, group, origin, created_at, fields: {name: value}}`.
    public static func json(_ records: [RecordSnapshot]) throws -> String {
        let objects = records.map { record -> [String: Any] in
            [
                "kind": record.kind.rawValue, "id": record.id.description, "group": record.group.rawValue, "origin": record.origin.rawValue,
                "created_at": record.createdAt, "fields": record.values,
            ]
        }
        let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// RFC 4180: one header, one row per record, the fields of every kind of `schema` as columns. A cell a
    /// spreadsheet would take for a formula is neutralised (``neutralised(_:)``).
    public static func csv(_ records: [RecordSnapshot], schema: RecordSchema) -> String {
        var fieldNames: [String] = []
        for kind in schema.kinds {
            for spec in kind.fields where !fieldNames.contains(spec.name) { fieldNames.append(spec.name) }
        }
        var lines = [(["kind", "id", "group", "origin", "created_at"] + fieldNames).joined(separator: ",")]
        for record in records {
            let cells =
                [record.kind.rawValue, record.id.description, record.group.rawValue, record.origin.rawValue, record.createdAt]
                + fieldNames.map { record.values[$0] ?? "" }
            lines.append(cells.map { quoted(neutralised($0)) }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// OWASP's advice against CSV injection: a value that begins with `=`, `+`, `-`, `@`, a tab
    /// or a carriage return, which a spreadsheet would evaluate (`=HYPERLINK(…)`), is written
    /// with a leading apostrophe, which spreadsheets show as text. JSON export is unchanged.
    static func neutralised(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return cell }
        return "'" + cell
    }

    static func quoted(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
