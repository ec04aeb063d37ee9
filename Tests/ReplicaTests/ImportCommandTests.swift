import Foundation
import GRDB
import Replica
import TestSupport
import Testing

/// `pccc record import` through the real executable on a real node folder.
@Suite(.ownThread) struct ImportCommandTests {
    typealias Node = StaffCommandTests.Node

    static func count(_ node: Node, _ sql: String) throws -> Int {
        var configuration = SQLiteLibrary.configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: node.directory.path("mk/replica.sqlite"), configuration: configuration)
        return try queue.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    @Test func aListWithBadRowsDuplicatesAndRowsAlreadyHeldIsReportedRowByRow() throws {
        let node = try Node()
        let held = try node.succeed([
            "record", "add", "person", "--set", "category=suspect", "--group", "region", "--set", "family_name=Petrović", "--set", "given_name=Marko",
            "--add", "national_ids=RS:0101990710008",
        ])
        let file = node.directory.path("list.csv")
        try """
        family_name,given_name,birth_date,names,national_ids,markers,category
        Hoxha,Arben,1980-05-01,alias|Hoxa;current|Hoxha|Arben,,armed,suspect
        Петровић,Марко,1990-01-01,,RS:0101990710008,,suspect
        Nikolovski,Goran,1975-13-01,,,,witness
        Gashi,Besnik,1982-01-01,,RS:0101990710006,,suspect
        "Krasniqi, Jr",Agim,1979-02-03,,MK:1503985450019,violent,victim
        Kovač,Ivan,1966-06-06,,,dangerous,suspect
        Krasniqi Jr,Agim,1979-02-03,,MK:150398-5450019,,victim
        Đorđević,Ana,1988-08-08,,,,contact
        Djordjevic,Ana,1988-08-08,,,,contact
        Tail,Only

        """.write(toFile: file, atomically: true, encoding: .utf8)
        let report =
            try JSONSerialization.jsonObject(
                with: Data(try node.succeed(["record", "import", file, "--group", "region", "--format", "csv", "--json"]).utf8)) as! [String: Any]
        #expect(report["rows"] as? Int == 10 && report["created"] as? Int == 3 && report["already_imported"] as? Int == 0, "\(report)")
        let refused = (report["refused"] as? [[String: Any]] ?? []).map { "\($0["row"]!): \($0["reason"]!)" }
        #expect(
            refused == [
                "4: field birth_date must be a date written YYYY-MM-DD, such as 1984-03-07, not \"1975-13-01\"",
                "5: an entry of national_ids has a JMBG/EMBG whose control digit is wrong; check the number, not \"RS:0101990710006\"",
                "7: markers cannot hold \"dangerous\"; allowed values are armed, violent, escaped, suicide_risk, public_health_risk, terrorism",
                "11: the row has 2 cells and the header 7",
            ], "\(refused)")
        let skipped = (report["skipped"] as? [[String: Any]] ?? []).map { "\($0["row"]!): \($0["reason"]!)" }
        #expect(
            skipped == [
                "3: likely the same subject as person \(held) of mk-tabanovce (nid JMBG 0101990710008)",
                "8: likely the same subject as row 6 (nid JMBG 1503985450019)",
                "10: likely the same subject as row 9 (the same name and date of birth)",
            ], "\(skipped)")
        // What the replica holds is what the file's good rows say, the held person once.
        #expect(try Self.count(node, "SELECT count(*) FROM person") == 4)
        #expect(try Self.count(node, "SELECT count(*) FROM person WHERE family_name = 'Krasniqi, Jr' AND markers = '[\"violent\"]'") == 1)
        #expect(try Self.count(node, "SELECT count(*) FROM person WHERE names = '[\"alias|Hoxa\",\"current|Hoxha|Arben\"]' AND category = 'suspect'") == 1)
        #expect(try Self.count(node, "SELECT count(*) FROM batch_log") == 2, "the add, then one transaction for the import's rows")
        // The same import again creates nothing.
        let again = try node.succeed(["record", "import", file, "--group", "region", "--format", "csv"])
        #expect(
            again.hasSuffix("10 rows: 0 created, 3 created by an earlier run, 3 skipped as likely duplicates (--create-duplicates creates them), 4 refused"),
            "\(again)")
        #expect(try Self.count(node, "SELECT count(*) FROM person") == 4)
        // A column the kind does not have refuses the file before any row.
        try "family_name,eye_colour\nHoxha,blue\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(
            try node.refusal(["record", "import", file, "--group", "region", "--format", "csv"]).hasPrefix(
                "Error: \(file): column eye_colour is not a field of person; its fields are family_name, given_name"))
    }

    @Test func anImportKilledHalfWayLeavesWholeTransactionsAndRunsOnWithoutCreatingTwice() throws {
        let node = try Node()
        let file = node.directory.path("big.csv")
        let rows = 30_000
        var text = "family_name,given_name,birth_date,national_ids,category\n"
        for index in 0..<rows {
            text += "Imported \(index),Given \(index % 89),19\(50 + index % 50)-0\(1 + index % 9)-1\(index % 10),,suspect\n"
        }
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try PCCCExecutable.start(
            ["record", "import", file, "--group", "region", "--format", "csv", "--data", node.data, "--purpose", "national list"])
        // Killed once its first transactions are in, and before its last.
        try waitUntil("the import's first rows", seconds: 120, every: 0.02) { try Self.count(node, "SELECT count(*) FROM person") > 0 }
        run.signal(SIGKILL)
        _ = try run.wait(seconds: 30)
        let created = try Self.count(node, "SELECT count(*) FROM person")
        #expect(created > 0 && created < rows, "killed half-way: \(created) of \(rows)")
        #expect(created % 1000 == 0, "only whole transactions of 1,000 rows: \(created)")
        #expect(try Self.count(node, "SELECT count(*) FROM import_row") == created)
        let finished = try node.succeed(["record", "import", file, "--group", "region", "--format", "csv"])
        #expect(
            finished.hasSuffix(
                "\(rows) rows: \(rows - created) created, \(created) created by an earlier run, 0 skipped as likely duplicates (--create-duplicates creates them), 0 refused"
            ), "\(finished)")
        #expect(try Self.count(node, "SELECT count(*) FROM person") == rows)
        #expect(try Self.count(node, "SELECT count(DISTINCT family_name) FROM person") == rows, "no row was created twice")
    }
}
