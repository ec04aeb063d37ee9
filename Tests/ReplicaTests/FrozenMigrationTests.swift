import Crypto
import Foundation
import GRDB
import Records
import SyncCore
import Testing

@testable import Replica

/// Registered migrations never change: the schema each one leaves is pinned here by its hash, so
/// editing one (or letting it follow application code that moved on) fails at once. A replica
/// holding version-1 data, written as version 1 wrote it, migrates to the current version with
/// its records intact.
@Suite struct FrozenMigrationTests {
    /// SHA-256 of the schema (`type|name|tbl_name|sql` per object, by name) after each migration;
    /// GRDB's own table and FTS5's shadow tables are left out, as they follow those libraries.
    static let pinned: [(migration: String, schema: String)] = [
        ("1-replica", "4b6e64c11ac2c5f97a50b6d0e39f2e0e54e9fdf542f10a4f73668ba6ad245330"),
        ("2-peer-status", "a17f7936b8bda236fd2923afe3c8f1342dcc7b32309c4cfe8f3eb9d734dd0ff5"),
        ("3-peer-batch-times", "114dd3a88da05c2800d24e171ce19259ebe9140604856c1c9497199be95e0cc5"),
        ("4-identifier-keys", "114dd3a88da05c2800d24e171ce19259ebe9140604856c1c9497199be95e0cc5"),
        ("5-users-audit-requests", "b5d3131d5cc5c2d38097501bb4f33a235ed97a08c668ec46d20b5e54f59d8ea4"),
        ("6-user-tokens", "73f23a7a17c70dfbe39252b009c8db07925b0dcdcc2c006dab9060d6bef22552"),
        ("7-field-clocks-in-record", "3d73ed793f85e62184e2e8b926921d1b9b7e4c3697227e04123738aa7cf02d2f"),
        ("8-name-index-without-triggers", "3ea977066d763b6ed400d55745604e76b67f8800269e2fac1f65fe1c340c5ad3"),
        ("9-orphan-appends", "16cb74cd3b0c0306dcfdec6f925f05ab6d4284b6733b683c6521f82b2ad1f5b6"),
        ("10-macedonian-digraph-keys", "16cb74cd3b0c0306dcfdec6f925f05ab6d4284b6733b683c6521f82b2ad1f5b6"),
        ("11-peer-certificate-expiry", "805de6a2cb47e500a4073f8bde60b573864f6ee08b337b4a8e67854547f54e44"),
        ("12-batch-log-by-hlc", "ced877a5c09a74291006d40c008043759c77a2763e906d0d050df447caa42145"),
        ("13-name-index-rebuilt", "ced877a5c09a74291006d40c008043759c77a2763e906d0d050df447caa42145"),
        ("14-deferred-batches", "1ed67edd679f23aa3f2ee49486ceb9b02e27eb6329be25dcb4dc821963757e4c"),
        ("15-request-threads", "75388a497c9eef16b77c6d25b6099f2e1ab2a06bb7086e50aa9de9f0c423a062"),
        ("16-sign-in", "34fca56d95a3b9cbbc40b3b81aae3d55fba7cb15e93cd55ae0c9aea4436f1970"),
        ("17-purposes", "c0ccc0786474bf1c2fa17e95b68c81f584e4a45f806bc27f8a476719f449c540"),
        ("18-os-accounts", "406bb65bfe8129cce584e9de3c27a470204a22a576596c93ab12bea3818a8f10"),
        ("19-audit-heads-fork-tips-session-limits", "ccc84bf772b8f110a3f76738c50ace35007066e534f11a0dbb5f1563f141159f"),
        ("20-set-elements-match-keys", "213d46a1b30913a170d1c93f00e641c048b080e78ed22b96197fa2d3c0f44d30"),
    ]

    static func schemaHash(_ db: Database) throws -> String {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT type, name, tbl_name, sql FROM sqlite_master
                WHERE name != 'grdb_migrations' AND name NOT LIKE 'name_index\\_%' ESCAPE '\\' ORDER BY name
                """
        )
        var lines: [String] = []
        for row in rows {
            let type: String = row["type"]
            let name: String = row["name"]
            let table: String = row["tbl_name"]
            let sql: String = row["sql"] ?? ""
            lines.append([type, name, table, sql].joined(separator: "|"))
        }
        let text = lines.joined(separator: "\n")
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    @Test func everyRegisteredMigrationLeavesTheSchemaItAlwaysDid() throws {
        #expect(ReplicaSchema.migrator.migrations == Self.pinned.map(\.migration), "a migration was added: pin its schema here")
        for (migration, expected) in Self.pinned {
            let database = try DatabaseQueue(configuration: SQLiteLibrary.configuration())
            try ReplicaSchema.migrator.migrate(database, upTo: migration)
            let found = try database.read(Self.schemaHash)
            #expect(found == expected, "\(migration) now leaves schema \(found)")
        }
    }

    @Test func versionOneDataMigratesToTheCurrentVersionWithItsRecordsIntact() throws {
        let database = try DatabaseQueue(configuration: SQLiteLibrary.configuration())
        try ReplicaSchema.migrator.migrate(database, upTo: "1-replica")
        // Rows as version 1 wrote them: values in the record's row, stamps in field_clock.
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO person (id, sharing_group, origin, created_at, family_name, alert, handling_code)
                    VALUES ('0190f7c2-0000-7000-8000-000000000001', 'region', 'mk-tabanovce', '2026-01-05T08:00:00.000Z', 'Đorđević', 'wanted', 'H1');
                    INSERT INTO vehicle (id, sharing_group, origin, created_at, plate)
                    VALUES ('0190f7c2-0000-7000-8000-000000000002', 'region', 'rs-presevo', '2026-01-05T08:01:00.000Z', 'SK 123-AB');
                    INSERT INTO field_clock (kind, record_id, field, hlc, origin) VALUES
                    ('person', '0190f7c2-0000-7000-8000-000000000001', 'family_name', 117964800000000000, 'mk-tabanovce'),
                    ('person', '0190f7c2-0000-7000-8000-000000000001', 'alert', 117964800000000001, 'mk-tabanovce'),
                    ('vehicle', '0190f7c2-0000-7000-8000-000000000002', 'plate', 117964800000000002, 'rs-presevo');
                    INSERT INTO tombstone (kind, record_id, hlc, origin, reason, sharing_group)
                    VALUES ('person', '0190f7c2-0000-7000-8000-000000000003', 117964800000000003, 'mk-tabanovce', 'court_order', 'region');
                    """
            )
        }
        try ReplicaSchema.migrator.migrate(database)
        try database.read { db in
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == ReplicaSchema.version)
            let person = try #require(try Row.fetchOne(db, sql: "SELECT * FROM person"))
            #expect(person["family_name"] as String? == "Đorđević" && person["alert"] as String? == "wanted")
            let clocks = try FieldClocks(storedIn: person)
            #expect(clocks.stamps["alert"] == WriteStamp(hlc: HybridTimestamp(rawValue: 117_964_800_000_000_001), origin: "mk-tabanovce"))
            #expect(try Int64.fetchOne(db, sql: "SELECT last_hlc FROM person") == 117_964_800_000_000_001)
            // Migration 4 gave the plate its key without spaces or dashes.
            let keys = try String.fetchOne(db, sql: "SELECT keys FROM name_key WHERE record_id = '0190f7c2-0000-7000-8000-000000000002'")
            #expect(keys?.contains("sk123ab") == true, "\(keys ?? "no keys")")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM tombstone") == 1)
        }
        let fresh = try DatabaseQueue(configuration: SQLiteLibrary.configuration())
        try ReplicaSchema.migrator.migrate(fresh)
        #expect(try database.read(Self.schemaHash) == fresh.read(Self.schemaHash))
    }
}
