import Records
import SyncCore

/// Parses `--set FIELD=VALUE` and `--clear FIELD` options into field writes, and `--add` and
/// `--remove LIST=ENTRY` into list edits.
enum FieldAssignment {
    static func setEdits(add: [String], remove: [String]) throws -> [SetEdit] {
        var order: [String] = []
        var added: [String: [String]] = [:]
        var removed: [String: [String]] = [:]
        func split(_ text: String, _ option: String) throws -> (String, String) {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw CLIError("--\(option) takes LIST=ENTRY, not \(text)")
            }
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
        for text in add {
            let (field, entry) = try split(text, "add")
            if added[field] == nil, removed[field] == nil { order.append(field) }
            added[field, default: []].append(entry)
        }
        for text in remove {
            let (field, entry) = try split(text, "remove")
            if added[field] == nil, removed[field] == nil { order.append(field) }
            removed[field, default: []].append(entry)
        }
        return order.map { SetEdit($0, add: added[$0] ?? [], remove: removed[$0] ?? []) }
    }

    static func writes(set: [String], clear: [String]) throws -> [FieldWrite] {
        var writes: [FieldWrite] = []
        for assignment in set {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw CLIError("--set takes FIELD=VALUE, not \(assignment)")
            }
            writes.append(FieldWrite(String(assignment[..<equals]), String(assignment[assignment.index(after: equals)...])))
        }
        writes += clear.map { FieldWrite($0, nil) }
        return writes
    }
}
