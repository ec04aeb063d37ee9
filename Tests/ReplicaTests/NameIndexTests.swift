import Foundation
import GRDB
import Records
import SyncCore
import TestSupport
import Testing

@testable import Replica

/// `name_key` and the FTS5 index over it are written by `NameIndex`, not by triggers: after
/// local creates, received creates, merged updates, cleared names and erasures, every live
/// record's keys, and nothing else, are in the index.
@Suite(.ownThread) struct NameIndexTests {
    static let families = ["Đorđević", "Hoxha", "Петровић", "Nikolovski", "Çela", "Müller"]

    @Test func theIndexHoldsExactlyEachLiveRecordsKeysThroughCreatesMergesAndErasures() throws {
        let region = try TestRegion(nodes: ["a", "b"])
        var persons: [RecordID] = []
        var vehicles: [RecordID] = []
        for batch in 0..<3 {
            try region["a"].transact(in: "region") { transaction in
                for index in batch * 20..<(batch + 1) * 20 {
                    persons.append(
                        transaction.create(
                            .person,
                            [
                                FieldWrite("category", "suspect"), FieldWrite("family_name", "\(Self.families[index % Self.families.count]) \(index)"),
                                FieldWrite("given_name", "Given\(index)"), FieldWrite("alert", "none"),
                            ]))
                    if index % 3 == 0 { vehicles.append(transaction.create(.vehicle, [FieldWrite("plate", "SK \(index)-AB")])) }
                }
            }
        }
        try region.syncAll()
        // Renamed at a, given names cleared at b, then a plate changed: merges on both sides.
        for (offset, id) in persons.prefix(15).enumerated() {
            try region["a"].update(id, [FieldWrite("family_name", "Renamed\(offset)")])
        }
        for id in persons[10..<25] { try region["b"].update(id, [FieldWrite("given_name", nil)]) }
        for id in vehicles.prefix(5) { try region["b"].update(id, [FieldWrite("plate", "NEW \(id.description.prefix(4))")]) }
        try region.syncAll()
        for id in persons[40..<50] + vehicles.suffix(3) { try region["a"].erase(id, reason: "court_order") }
        try region.syncAll()

        for node: NodeID in ["a", "b"] {
            try Self.expectIndexMatchesRecords(region[node], node)
            let replica = region[node]
            #expect(try replica.search("Renamed3").count == 1, "\(node)")
            #expect(try replica.search("Given12").isEmpty, "\(node): a cleared given name is not found")
            #expect(try replica.search("Given30").count == 1, "\(node)")
            #expect(try replica.search("\(Self.families[45 % Self.families.count]) 45").isEmpty, "\(node): an erased person is not found")
        }
        #expect(try region.digests().count == 1)
    }

    /// A replica made before migration 8 kept `name_index` in step with triggers; after it, the
    /// triggers are gone and the index it built still answers, and is still kept in step.
    @Test func migrationEightDropsTheTriggersAndKeepsTheIndex() throws {
        let database = try DatabaseQueue(configuration: SQLiteLibrary.configuration())
        try ReplicaSchema.migrator.migrate(database, upTo: "7-field-clocks-in-record")
        try database.write { db in
            for (id, family) in [("0190f7c2-0000-7000-8000-00000000000a", "Ђорђевић"), ("0190f7c2-0000-7000-8000-00000000000b", "Hoxha")] {
                try db.execute(
                    sql: "INSERT INTO person (id, sharing_group, origin, created_at, family_name) VALUES (?, 'region', 'a', 'x', ?)",
                    arguments: [id, family])
                try db.execute(
                    sql: "INSERT INTO name_key (kind, record_id, keys) VALUES ('person', ?, ?)",
                    arguments: [id, NameIndex.keys(kind: RecordSchema.builtIn[.person]!, values: ["family_name": family])])
            }
        }
        try ReplicaSchema.migrator.migrate(database, upTo: "8-name-index-without-triggers")
        try database.write { db in
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == 8)
            #expect(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'name_key'").isEmpty)
            #expect(try Self.matches("djordjevic", db) == ["0190f7c2-0000-7000-8000-00000000000a"])
            try NameIndex.set(kind: RecordSchema.builtIn[.person]!, id: "0190f7c2-0000-7000-8000-00000000000a", keys: "petrovic", db: db)
            try NameIndex.remove(id: "0190f7c2-0000-7000-8000-00000000000b", db: db)
            #expect(try Self.matches("djordjevic", db).isEmpty)
            #expect(try Self.matches("petrovic", db) == ["0190f7c2-0000-7000-8000-00000000000a"])
            #expect(try Self.matches("hoxha", db).isEmpty)
            try Self.expectIndexMatchesNameKeys(db, "migrated")
        }
    }

    static func matches(_ term: String, _ db: Database) throws -> [String] {
        try String.fetchAll(
            db, sql: "SELECT record_id FROM name_index JOIN name_key ON name_key.rowid = name_index.rowid WHERE name_index MATCH ?",
            arguments: ["\"\(term)\""])
    }

    /// Every live searchable record has a `name_key` row with the keys its values give, and no
    /// other row is there; the index then holds exactly those rows' tokens.
    static func expectIndexMatchesRecords(_ replica: Replica, _ node: NodeID) throws {
        try replica.writer.write { db in
            var expected: [String: String] = [:]
            for kind in replica.recordSchema.kinds where !kind.searchableFields.isEmpty {
                let columns = (["id"] + kind.searchableFields).map { "\"\($0)\"" }.joined(separator: ", ")
                for row in try Row.fetchAll(db, sql: "SELECT \(columns) FROM \"\(kind.tableName)\"") {
                    let keys = NameIndex.keys(kind: kind, row: row)
                    if !keys.isEmpty { expected[row["id"]] = keys }
                }
            }
            let stored = Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT record_id, keys FROM name_key").map { row in
                    (row["record_id"] as String, row["keys"] as String)
                })
            #expect(stored == expected, "\(node): name_key differs from the records")
            try expectIndexMatchesNameKeys(db, node)
        }
    }

    /// The FTS5 index's postings, read through `fts5vocab`, are exactly the tokens of the
    /// `name_key` rows: nothing missing, nothing left over from old keys.
    static func expectIndexMatchesNameKeys(_ db: Database, _ node: NodeID) throws {
        try db.execute(sql: "CREATE VIRTUAL TABLE IF NOT EXISTS temp.name_postings USING fts5vocab(main, name_index, instance)")
        let postings = try Row.fetchAll(db, sql: "SELECT doc, term FROM temp.name_postings").map { "\($0["doc"] as Int64) \($0["term"] as String)" }
        let tokens = try Row.fetchAll(db, sql: "SELECT rowid, keys FROM name_key").flatMap { row in
            (row["keys"] as String).split(separator: " ").map { "\(row["rowid"] as Int64) \($0)" }
        }
        let missing = Set(tokens).subtracting(postings).sorted().prefix(10)
        let leftOver = Set(postings).subtracting(tokens).sorted().prefix(10)
        #expect(postings.sorted() == tokens.sorted(), "\(node): postings missing \(missing), left over \(leftOver)")
        #expect(!postings.isEmpty)
        try db.execute(sql: "INSERT INTO name_index (name_index) VALUES ('integrity-check')")
    }
}
