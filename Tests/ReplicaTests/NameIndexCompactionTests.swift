import Foundation
import GRDB
import Records
import SyncCore
import TestSupport
import Testing

@testable import Replica

/// Every erasure compacts the FTS5 name index so no erased name stays in it. FTS5 before
/// SQLite 3.44 (Debian 12's 3.40.1) adds an index level at most 'optimize' once a few hundred
/// have run and takes over 2,000 levels as corruption, so a node past some 1,500 erasures could
/// store no batch touching a name (found by the chaos harness's long profile: every node's
/// `name_index` failed to open). Compaction rebuilds an index past 400 levels; migration 13
/// repairs an index that already broke.
@Suite(.ownThread) struct NameIndexCompactionTests {
    /// FTS5's own consistency check of `name_index` against `name_key`.
    static func checkIndex(_ replica: Replica) throws {
        try replica.writer.write { db in try db.execute(sql: "INSERT INTO name_index (name_index) VALUES ('integrity-check')") }
    }

    @Test func twoThousandErasuresBetweenOtherWritesLeaveTheNameIndexSound() throws {
        let region = try TestRegion(nodes: ["a"])
        let replica = region["a"]
        let kept = try replica.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Beständig")])
        // As in a region: names written in transactions of their own between the erasures.
        for index in 0..<2_000 {
            _ = try replica.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Bleibend\(index)")])
            let id = try replica.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Vergänglich\(index)")])
            try replica.erase(id, reason: "court_order")
        }
        try Self.checkIndex(replica)
        let levels = try replica.writer.read { db in try BatchStore.nameIndexLevels(db) }
        #expect(levels.map { $0 <= BatchStore.maxNameIndexLevels } == true, "\(levels.map(String.init) ?? "no structure")")
        #expect(try replica.search("Bestandig").map(\.id) == [kept.description])
        #expect(try replica.search("Bleibend1999").count == 1)
        #expect(try replica.search("Verganglich1999").isEmpty, "an erased name is found")
    }

    @Test func migrationThirteenRepairsAnIndexFTS5TookAsCorrupt() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a"], directory: folder.url)
        let id = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Đorđević")])
        // What 2,000 levels leave: a structure record FTS5 refuses to read.
        try region["a"].writer.write { db in
            try db.execute(sql: "UPDATE name_index_data SET block = x'000000008f5201ef0a' WHERE id = 10; PRAGMA user_version = 12")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = '13-name-index-rebuilt'")
        }
        #expect(throws: DatabaseError.self) { try region["a"].search("Djordjevic") }
        try region["a"].writer.close()
        let reopened = try Replica(path: folder.path("a.sqlite"), configuration: region["a"].configuration)
        try Self.checkIndex(reopened)
        #expect(try reopened.search("Djordjevic").map(\.id) == [id.description])
        #expect(try reopened.schemaVersion() == 13)
    }
}
