import SyncCore

/// Parses `--set FIELD=VALUE` and `--clear FIELD` options into field writes.
enum FieldAssignment {
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
