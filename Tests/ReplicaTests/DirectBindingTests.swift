import Foundation
import GRDB
import TestSupport
import Testing

@testable import Replica

/// `executeBinding` replaces GRDB's argument binding on the hot inserts, so it must store
/// exactly what `execute(arguments:)` would, and fail as loudly.
@Suite(.ownThread) struct DirectBindingTests {
    let database: DatabaseQueue

    init() throws {
        database = try DatabaseQueue(configuration: SQLiteLibrary.configuration())
        try database.write { db in
            try db.execute(sql: "CREATE TABLE sample (name TEXT PRIMARY KEY, note TEXT, count INTEGER)")
        }
    }

    @Test func textEmptyTextNullAndIntegersAreStoredAsGiven() throws {
        try database.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO sample (name, note, count) VALUES (?, ?, ?)")
            try insert.executeBinding { binder in
                binder.bind("Müller-Łukasiewicz")
                binder.bind("")
                binder.bind(Int64.max)
            }
            try insert.executeBinding { binder in
                binder.bind("second")
                binder.bind(nil)
                binder.bind(-1)
            }
        }
        let rows = try database.read { db in try Row.fetchAll(db, sql: "SELECT name, note, count FROM sample ORDER BY count") }
        #expect(rows.count == 2)
        #expect(rows[0]["name"] as String == "second")
        #expect(rows[0]["note"] as String? == nil)
        #expect(rows[0]["count"] as Int64 == -1)
        #expect(rows[1]["name"] as String == "Müller-Łukasiewicz")
        #expect(rows[1]["note"] as String? == "")
        #expect(rows[1]["count"] as Int64 == Int64.max)
    }

    @Test func blobsAndNullAreStoredAsGiven() throws {
        try database.write { db in
            try db.execute(sql: "CREATE TABLE blobs (name TEXT PRIMARY KEY, bytes BLOB, count INTEGER)")
            let insert = try db.cachedStatement(sql: "INSERT INTO blobs (name, bytes, count) VALUES (?, ?, ?)")
            for (name, bytes) in [("full", [0, 1, 0xFF, 0]), ("empty", [])] as [(String, [UInt8])] {
                try insert.executeBinding { binder in
                    binder.bind(name)
                    binder.bind(bytes: bytes)
                    binder.bindNull()
                }
            }
        }
        let rows = try database.read { db in try Row.fetchAll(db, sql: "SELECT name, bytes, typeof(bytes) AS type, count FROM blobs ORDER BY name") }
        #expect(rows.map { $0["name"] as String } == ["empty", "full"])
        #expect(rows[0]["type"] as String == "blob", "an empty blob is not NULL")
        #expect(rows[1]["bytes"] as Data == Data([0, 1, 0xFF, 0]))
        #expect(rows.allSatisfy { ($0["count"] as Int64?) == nil })
    }

    @Test func tooFewOrTooManyValuesThrowAndWriteNothing() throws {
        try database.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO sample (name, note) VALUES (?, ?)")
            #expect(throws: DatabaseError.self) {
                try insert.executeBinding { binder in binder.bind("only one") }
            }
            #expect(throws: DatabaseError.self) {
                try insert.executeBinding { binder in
                    for text in ["one", "two", "three"] { binder.bind(text) }
                }
            }
        }
        #expect(try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sample") } == 0)
    }

    @Test func aConstraintFailureThrowsAndTheStatementStaysUsable() throws {
        try database.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO sample (name) VALUES (?)")
            try insert.executeBinding { binder in binder.bind("taken") }
            do {
                try insert.executeBinding { binder in binder.bind("taken") }
                Issue.record("a duplicate key was inserted")
            } catch let error as DatabaseError {
                #expect(error.resultCode == .SQLITE_CONSTRAINT)
            }
            try insert.executeBinding { binder in binder.bind("free") }
        }
        let names = try database.read { db in try String.fetchAll(db, sql: "SELECT name FROM sample ORDER BY name") }
        #expect(names == ["free", "taken"])
    }
}
