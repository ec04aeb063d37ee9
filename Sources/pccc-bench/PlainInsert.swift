import Foundation
import GRDB
import Records
import Replica
import SyncCore

/// The baseline: the same person rows inserted into one plain table, with the replica's
/// pragmas (WAL, synchronous=FULL, secure_delete), through the same GRDB calls.
struct PlainInsert {
    private let pool: DatabasePool
    private let sql: String

    init(path: String) throws {
        var config = SQLiteLibrary.configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        pool = try DatabasePool(path: path, configuration: config)
        // As in the replica: GRDB sets NORMAL when it turns WAL on, after prepareDatabase.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let columns = ["id", "sharing_group", "origin", "created_at"] + personFields(0).map(\.field)
        try pool.write { db in
            try db.execute(sql: "CREATE TABLE person (\(columns.map { "\"\($0)\" TEXT" }.joined(separator: ", ")), PRIMARY KEY (id)) WITHOUT ROWID")
        }
        sql = "INSERT INTO person VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
    }

    /// Inserts rows `rows`, `perTransaction` to a transaction; returns the seconds taken.
    func insert(_ rows: Range<Int>, perTransaction: Int) throws -> Double {
        try measureSeconds {
            var index = rows.lowerBound
            while index < rows.upperBound {
                let end = min(index + perTransaction, rows.upperBound)
                try pool.write { db in
                    let statement = try db.cachedStatement(sql: sql)
                    for row in index..<end {
                        let id = RecordID.make(milliseconds: 1_800_000_000_000 + UInt64(row))
                        var arguments: StatementArguments = [id.description, "region", "bench-a", Timestamps.iso8601(milliseconds: 1_800_000_000_000)]
                        for field in personFields(row) { arguments += [field.value] }
                        try statement.execute(arguments: arguments)
                    }
                }
                index = end
            }
        }
    }
}

/// The fields of person `index`: names in three scripts, so name folding does real work.
func personFields(_ index: Int) -> [FieldWrite] {
    let families = ["Đorđević", "Hoxha", "Petrović", "Nikolovski", "Kovačević", "Çela", "Ђурић", "Popović"]
    return [
        FieldWrite("family_name", "\(families[index % families.count]) \(index)"),
        FieldWrite("given_name", "Given\(index % 977)"),
        FieldWrite("birth_date", "19\(50 + index % 50)-0\(1 + index % 9)-1\(index % 10)"),
        FieldWrite("nationality", ["MK", "RS", "ME", "AL"][index % 4]),
        FieldWrite("alert", ["wanted", "missing", "suspect", "none"][index % 4]),
        FieldWrite("reason", "case \(index * 7919 % 100_000)"),
        FieldWrite("category", ["suspect", "witness", "victim", "contact"][index % 4]),
    ]
}

/// The UTF-8 bytes of the values of person `index`: what a user typed, before any framing.
func rawFieldBytes(_ index: Int) -> Int {
    personFields(index).reduce(0) { $0 + ($1.value?.utf8.count ?? 0) }
}

/// Seconds `body` takes on the monotonic clock.
func measureSeconds(_ body: () throws -> Void) rethrows -> Double {
    seconds(try ContinuousClock().measure(body))
}

/// `duration` in seconds.
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Prints a line at once, unbuffered, so progress shows while the next figure is measured.
/// A reader that went away (`| head`) ends the run quietly instead of trapping.
func emit(_ line: String) {
    do {
        try FileHandle.standardOutput.write(contentsOf: Data((line + "\n").utf8))
    } catch {
        exit(1)
    }
}
