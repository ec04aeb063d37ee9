import Foundation
import GRDB
import Records
import SyncCore
import TestSupport
import Testing

@testable import Replica

/// A record's field stamps are one value in its row: the encoding must give back exactly the
/// stamps put in, be the same bytes whatever order they were set in, and refuse what it did not
/// write.
@Suite(.ownThread) struct FieldClocksTests {
    static let early = WriteStamp(hlc: HybridTimestamp(milliseconds: 1_900_000_000_000, counter: 0), origin: "mk-tabanovce")
    static let tie = WriteStamp(hlc: HybridTimestamp(milliseconds: 1_900_000_000_000, counter: 0), origin: "rs-presevo")
    static let late = WriteStamp(hlc: HybridTimestamp(milliseconds: 1_900_000_000_500, counter: 3), origin: "bg-kulata")

    @Test func stampsComeBackAsSetAndTheBytesDoNotDependOnTheOrderTheyWereSet() throws {
        var forwards = FieldClocks()
        forwards.stamp(["family_name", "given_name", "birth_date"], with: Self.early)
        forwards.stamp(["alert"], with: Self.tie)
        forwards.stamp(["given_name", "reason"], with: Self.late)
        var backwards = FieldClocks()
        backwards.stamp(["reason", "given_name"], with: Self.late)
        backwards.stamp(["alert"], with: Self.tie)
        backwards.stamp(["birth_date", "family_name"], with: Self.early)
        #expect(forwards == backwards)
        #expect(forwards.encoded == backwards.encoded)
        let decoded = try FieldClocks(decoding: forwards.encoded)
        #expect(
            decoded.stamps == [
                "family_name": Self.early, "birth_date": Self.early, "alert": Self.tie, "given_name": Self.late, "reason": Self.late,
            ])
        #expect(decoded.latest == Self.late)
    }

    @Test func aCreateIsOneStampAndItsFieldNames() throws {
        let fields = ["family_name", "given_name", "alert"]
        let bytes = FieldClocks.encoded(fields, stampedWith: Self.early)
        var general = FieldClocks()
        general.stamp(fields, with: Self.early)
        #expect(bytes == general.encoded)
        let names: Int = fields.map { 1 + $0.utf8.count }.reduce(0, +)
        let expectedCount: Int = 1 + 8 + (1 + 12) + 1 + names
        #expect(bytes.count == expectedCount, "format, HLC, origin, count, then only the names")
        #expect(try FieldClocks(decoding: bytes) == general)
        #expect(FieldClocks.encoded([], stampedWith: Self.early) == FieldClocks().encoded)
        #expect(try FieldClocks(decoding: [FieldClocks.format]).stamps.isEmpty)
    }

    @Test func malformedBytesAreRefused() throws {
        var clocks = FieldClocks()
        clocks.stamp(["family_name"], with: Self.early)
        clocks.stamp(["alert"], with: Self.late)
        let valid = clocks.encoded
        let group = { (stamp: WriteStamp, fields: [String]) -> [UInt8] in
            var writer = ByteWriter()
            writer.write(stamp.hlc.rawValue)
            writer.writeShortString(stamp.origin.rawValue)
            writer.write(UInt8(fields.count))
            for field in fields { writer.writeShortString(field) }
            return writer.bytes
        }
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("another format", [2] + valid.dropFirst()),
            ("truncated", Array(valid.dropLast())),
            ("stamps out of order", [1] + group(Self.late, ["alert"]) + group(Self.early, ["family_name"])),
            ("one stamp twice", [1] + group(Self.early, ["alert"]) + group(Self.early, ["family_name"])),
            ("a field stamped twice", [1] + group(Self.early, ["alert"]) + group(Self.late, ["alert"])),
            ("a stamp with no field", [1] + group(Self.early, [])),
            ("an empty origin", [1] + group(WriteStamp(hlc: Self.early.hlc, origin: ""), ["alert"])),
            ("a name that is not UTF-8", [1] + group(Self.early, ["alert"]).dropLast(5) + [0xFF, 0xFE, 0x61, 0x62, 0x63]),
        ]
        for (name, bytes) in cases {
            #expect(throws: WireFormatError.self, "\(name) was accepted") { try FieldClocks(decoding: bytes) }
        }
    }

    /// A replica made before migration 7 kept one `field_clock` row per field; after it, every
    /// record holds the same stamps in its row and the table is gone.
    @Test func migrationSevenMovesEveryStampIntoItsRecord() throws {
        let database = try DatabaseQueue(configuration: SQLiteLibrary.configuration())
        try ReplicaSchema.migrator.migrate(database, upTo: "6-user-tokens")
        try database.write { db in
            for (id, created) in [("01J0000000000000000000000A", Self.early), ("01J0000000000000000000000B", Self.late)] {
                try db.execute(
                    sql: "INSERT INTO person (id, sharing_group, origin, created_at, family_name, alert) VALUES (?, 'region', ?, 'x', 'Marković', 'none')",
                    arguments: [id, created.origin]
                )
            }
            try db.execute(sql: "INSERT INTO person (id, sharing_group, origin, created_at) VALUES ('01J0000000000000000000000C', 'region', 'x', 'x')")
            let rows: [(String, String, WriteStamp)] = [
                ("01J0000000000000000000000A", "family_name", Self.early), ("01J0000000000000000000000A", "alert", Self.late),
                ("01J0000000000000000000000B", "family_name", Self.late), ("01J0000000000000000000000B", "alert", Self.tie),
            ]
            for (id, field, stamp) in rows {
                try db.execute(
                    sql: "INSERT INTO field_clock (kind, record_id, field, hlc, origin) VALUES ('person', ?, ?, ?, ?)",
                    arguments: [id, field, Int64(bitPattern: stamp.hlc.rawValue), stamp.origin]
                )
            }
        }
        try ReplicaSchema.migrator.migrate(database)
        try database.read { db in
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == ReplicaSchema.version)
            #expect(try !db.tableExists("field_clock"))
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM person ORDER BY id")
            #expect(try FieldClocks(storedIn: rows[0]).stamps == ["family_name": Self.early, "alert": Self.late])
            #expect(rows[0]["last_hlc"] as Int64? == Int64(bitPattern: Self.late.hlc.rawValue))
            #expect(try FieldClocks(storedIn: rows[1]).stamps == ["family_name": Self.late, "alert": Self.tie])
            #expect(rows[1]["last_hlc"] as Int64? == Int64(bitPattern: Self.late.hlc.rawValue))
            #expect(try FieldClocks(storedIn: rows[2]).stamps.isEmpty)
            #expect(rows[2]["last_hlc"] as Int64? == nil)
            #expect(rows[0]["family_name"] as String == "Marković", "values are untouched")
        }
    }
}
