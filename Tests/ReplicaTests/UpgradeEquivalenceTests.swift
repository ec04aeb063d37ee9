import Foundation
import GRDB
import SyncCore
import TestSupport
import Testing

@testable import Replica

/// A replica written by version 1 and migrated holds exactly what a replica made at the current
/// version holds after receiving the same batches: the same `sqlite_schema` and, table by table,
/// the same rows, derived ones included (name keys and the FTS5 index over them, field clocks,
/// `last_hlc`).
///
/// The version-1 replica is the committed fixture `Fixtures/replica-v1.sql`: what node
/// mk-kumanovo held, written by version 1's own code (commit 25ea0ab), after it applied the ten
/// batches of `Fixtures/replica-v1-batches.hex`. The test loads it into the schema of migration
/// 1 and opens it as a `Replica` does, which runs every later migration.
///
/// The fresh replica is made by the current code receiving those same signed batches, in the
/// same order, at the same wall-clock time: the most honest "same records", since every row of
/// it, derived or not, comes from the live apply path (merge rules, `NameIndex`, `FieldClocks`)
/// and none is copied from the fixture. Inserting the fixture's rows at the current schema
/// instead would have had the test compute the derived tables itself, and so prove nothing
/// about them.
///
/// When this fails after a change to how records are stored or indexed, the fix is a new
/// migration bringing existing replicas to the new form (with its own frozen copy of the logic),
/// never a change to a registered migration or to the fixture.
@Suite(.ownThread) struct UpgradeEquivalenceTests {
    /// The nodes of the fixture's network; node `n` (from 1) signs with 32 bytes of value `n`.
    static let nodes: [NodeID] = ["rs-presevo", "mk-tabanovce", "mk-kumanovo"]
    /// mk-kumanovo's wall clock while it applied the batches, in Unix milliseconds.
    static let receivedAt: UInt64 = 1_800_003_600_000

    @Test func aMigratedVersionOneReplicaEqualsACurrentOneHoldingTheSameBatches() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("upgraded.sqlite")
        do {
            let versionOne = try DatabaseQueue(path: path, configuration: SQLiteLibrary.configuration())
            try ReplicaSchema.migrator.migrate(versionOne, upTo: "1-replica")
            try versionOne.write { db in try db.execute(sql: try Self.fixture("replica-v1.sql")) }
            try versionOne.close()
        }
        let upgraded = try Replica(path: path, configuration: Self.configuration())
        let fresh = try Replica.inMemory(configuration: Self.configuration())
        for (index, envelope) in try Self.receivedBatches().enumerated() {
            let outcome = try fresh.apply(envelope: envelope)
            guard case .applied = outcome else {
                Issue.record("the current code did not apply batch \(index + 1) of the fixture: \(outcome)")
                return
            }
        }
        let difference = try ReplicaContents.firstDifference(upgraded: upgraded.writer, fresh: fresh.writer)
        #expect(difference == nil, "\(difference ?? "")")
    }

    /// mk-kumanovo's configuration, with the fixture's keys, groups and wall clock.
    static func configuration() throws -> ReplicaConfiguration {
        var keys: [NodeID: BatchSigningKey] = [:]
        for (index, node) in nodes.enumerated() {
            keys[node] = try BatchSigningKey(rawRepresentation: [UInt8](repeating: UInt8(index + 1), count: 32))
        }
        let roster = Roster(
            network: "fixture-net",
            signingKeys: keys.mapValues(\.publicKey),
            groups: ["region": Set(nodes), "rs-mk": ["rs-presevo", "mk-kumanovo"]]
        )
        var configuration = ReplicaConfiguration(nodeID: "mk-kumanovo", signingKey: keys["mk-kumanovo"]!, roster: roster)
        configuration.wallClock = { receivedAt }
        return configuration
    }

    /// The text of a file in `Fixtures`.
    static func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil), "fixture \(name) is missing")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The envelopes of `replica-v1-batches.hex`, in order.
    static func receivedBatches() throws -> [[UInt8]] {
        try fixture("replica-v1-batches.hex").split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            var bytes: [UInt8] = []
            var index = line.startIndex
            while index < line.endIndex {
                let next = line.index(index, offsetBy: 2)
                bytes.append(try #require(UInt8(line[index..<next], radix: 16), "not hex: \(line[index..<next])"))
                index = next
            }
            return bytes
        }
    }
}

/// Everything two replicas hold, compared table by table.
enum ReplicaContents {
    /// One table's rows (or a listing standing for one), ordered by every column.
    struct Table {
        let name: String
        let columns: [String]
        let rows: [[DatabaseValue]]
    }

    /// FTS5's shadow tables holding the index's b-tree segments: their bytes follow how the
    /// index was written (version 1's triggers flushed a segment per statement, and erasure
    /// merges them), not what it holds. What it holds is compared through `fts5vocab`'s
    /// `instance` listing instead, and FTS5's integrity check ties it to `name_key`.
    static let segmentTables: Set<String> = ["name_index_data", "name_index_idx"]

    /// The first difference between the two replicas, described for a test failure, with the
    /// names of the other tables that differ; nil when they hold the same. The schema comes
    /// first, then the user version, every table by name, and the name index's terms.
    static func firstDifference(upgraded: any DatabaseWriter, fresh: any DatabaseWriter) throws -> String? {
        let left = try contents(of: upgraded)
        let right = try contents(of: fresh)
        let tables = left.map(\.name)
        guard tables == right.map(\.name) else {
            return "the upgraded replica has tables \(tables), the fresh one \(right.map(\.name))"
        }
        let differences = zip(left, right).compactMap { table, other in firstDifference(table, other).map { (table.name, $0) } }
        guard let first = differences.first else { return nil }
        let others = differences.dropFirst().map(\.0)
        return first.1 + (others.isEmpty ? "" : "\nthese differ too: \(others.joined(separator: ", "))")
    }

    private static func firstDifference(_ upgraded: Table, _ fresh: Table) -> String? {
        guard upgraded.columns == fresh.columns else {
            return "table \(upgraded.name): upgraded columns \(upgraded.columns), fresh \(fresh.columns)"
        }
        for index in 0..<max(upgraded.rows.count, fresh.rows.count) {
            let left = index < upgraded.rows.count ? upgraded.rows[index] : nil
            let right = index < fresh.rows.count ? fresh.rows[index] : nil
            guard left != right else { continue }
            var lines = ["table \(upgraded.name), row \(index + 1) (upgraded has \(upgraded.rows.count) rows, fresh \(fresh.rows.count)):"]
            if let left, let right, let column = left.indices.first(where: { left[$0] != right[$0] }) {
                lines.append("  first differing column \(upgraded.columns[column])")
            }
            lines.append("  upgraded: " + (left.map { describe($0, upgraded.columns) } ?? "no row"))
            lines.append("  fresh:    " + (right.map { describe($0, upgraded.columns) } ?? "no row"))
            return lines.joined(separator: "\n")
        }
        return nil
    }

    /// The schema (`sqlite_schema` without root pages), the user version, every table except
    /// ``segmentTables`` and the name index's terms, each ordered by all its columns.
    static func contents(of writer: any DatabaseWriter) throws -> [Table] {
        try writer.write { db in
            // Fails (SQLITE_CORRUPT_VTAB) if the index does not match name_key row for row.
            try db.execute(sql: "INSERT INTO name_index (name_index, rank) VALUES ('integrity-check', 1)")
            var tables = [
                try table("sqlite_schema", sql: "SELECT type, name, tbl_name, sql FROM sqlite_master", db),
                try table("PRAGMA user_version", sql: "SELECT user_version FROM pragma_user_version", db),
            ]
            let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            for name in names where !segmentTables.contains(name) {
                tables.append(try table(name, sql: "SELECT * FROM \"\(name)\"", db))
            }
            try db.execute(sql: "CREATE VIRTUAL TABLE temp.name_index_instance USING fts5vocab (main, name_index, instance)")
            tables.append(try table("name_index terms (fts5vocab instance)", sql: "SELECT * FROM temp.name_index_instance", db))
            try db.execute(sql: "DROP TABLE temp.name_index_instance")
            return tables
        }
    }

    private static func table(_ name: String, sql: String, _ db: Database) throws -> Table {
        let statement = try db.makeStatement(sql: sql)
        let ordering = (1...statement.columnCount).map(String.init).joined(separator: ", ")
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM (\(sql)) ORDER BY \(ordering)")
        return Table(name: name, columns: statement.columnNames, rows: rows.map { Array($0.databaseValues) })
    }

    private static func describe(_ row: [DatabaseValue], _ columns: [String]) -> String {
        zip(columns, row).map { column, value in
            switch value.storage {
            case .blob(let data):
                let hex = data.prefix(24).map { String(format: "%02x", $0) }.joined()
                return "\(column)=x'\(hex)\(data.count > 24 ? "…" : "")' (\(data.count) bytes)"
            default:
                return "\(column)=\(value)"
            }
        }.joined(separator: ", ")
    }
}
