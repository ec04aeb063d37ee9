import GRDBSQLite
import Replica
import SyncCore
import Testing

/// SQLite's process-wide settings are in place once a replica is open.
@Suite struct SQLiteLibraryTests {
    @Test func memoryStatisticsAreOffSoAllocationsTakeNoProcessWideMutex() throws {
        let key = BatchSigningKey()
        let roster = Roster(network: "net", signingKeys: ["a": key.publicKey], groups: ["g": ["a"]])
        let replica = try Replica.inMemory(configuration: ReplicaConfiguration(nodeID: "a", signingKey: key, roster: roster))
        _ = try replica.streamHeads()
        // With the statistics on, this counts every byte SQLite holds, and an open replica
        // holds some; with them off, SQLite keeps no count.
        #expect(sqlite3_memory_used() == 0)
    }
}
