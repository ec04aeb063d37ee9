import GRDB
import TestSupport
import Testing

@testable import Replica

/// A replica file acknowledges a write only once it is on disk: its writer connection runs
/// with `synchronous=FULL` and `secure_delete`, whatever GRDB sets when it turns WAL on.
@Suite(.ownThread) struct DurabilityTests {
    @Test func theWriterSyncsEveryCommitAndOverwritesErasedPages() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["centre"], directory: folder.url)
        let (journalMode, synchronous, secureDelete) = try region["centre"].writer.writeWithoutTransaction { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                try Int.fetchOne(db, sql: "PRAGMA secure_delete")
            )
        }
        #expect(journalMode == "wal")
        #expect(synchronous == 2, "PRAGMA synchronous is \(synchronous ?? -1); 2 is FULL")
        #expect(secureDelete == 1)
    }
}
