import Foundation
import GRDB
import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// After an erasure, no table and no stored payload of any replica holds the record's values,
/// and the redacted batches still verify and apply elsewhere.
@Suite(.ownThread) struct ErasureScrubTests {
    static let secrets = ["Zzyzxović", "Secretname", "Hidden Street 17", "PLATE-QX-991", "Seen at the lake"]

    @Test func noTableAndNoStoredPayloadKeepsAnErasedRecordsValues() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["origin", "relay", "newcomer"], directory: folder.url)
        let origin = region["origin"]
        let person = try origin.create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", Self.secrets[0]), FieldWrite("given_name", "Ana")])
        try origin.update(person, [FieldWrite("aliases", Self.secrets[1]), FieldWrite("birth_place", Self.secrets[2])])
        try region["relay"].pullChecked(from: origin)
        _ = try region["relay"].append(.note, [FieldWrite("record_id", person.description), FieldWrite("text", Self.secrets[4])])
        let bystander = try origin.create(.vehicle, in: "region", [FieldWrite("plate", Self.secrets[3])])
        try region["relay"].pullChecked(from: origin)
        try origin.pullChecked(from: region["relay"])

        try origin.erase(person, reason: "court_order")
        try region["relay"].pullChecked(from: origin)
        // The newcomer only ever sees the redacted history, relayed.
        try region["newcomer"].pullChecked(from: region["relay"])

        #expect(try region.digests().count == 1)
        for node in region.nodeIDs {
            let path = folder.url.appendingPathComponent("\(node).sqlite").path
            // The folded search keys count too: they are the same personal data in another spelling.
            let erased = Array(Self.secrets.prefix(3)) + [Self.secrets[4]]
            let needles = erased + erased.flatMap(NameFolding.keys)
            let found = try Self.occurrences(of: needles, inReplicaAt: path)
            #expect(found.isEmpty, "\(node) still holds \(found)")
            // Below the tables too: free pages of the file and the WAL (secure_delete, checkpoint).
            for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
                let leaked = needles.filter { bytes.contains(subsequence: Array($0.utf8)) }
                #expect(leaked.isEmpty, "\(node): the bytes of \((file as NSString).lastPathComponent) still hold \(leaked)")
            }
            let bystanderFound = try Self.occurrences(of: [Self.secrets[3], NameFolding.fold(Self.secrets[3])], inReplicaAt: path)
            #expect(!bystanderFound.isEmpty, "the unrelated vehicle must survive at \(node)")
        }
        #expect(try region["newcomer"].live(bystander) != nil)
        guard case .erased = try region["newcomer"].lookup(person) else {
            Issue.record("the newcomer does not hold the tombstone")
            return
        }
    }

    /// Every place a value could hide: each column of each table (FTS shadow tables included)
    /// and each stored payload, inflated.
    static func occurrences(of needles: [String], inReplicaAt path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path, configuration: SQLiteLibrary.configuration())
        return try queue.read { db in
            var found: [String] = []
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            for table in tables {
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"")
                for row in rows {
                    for (column, value) in row {
                        let bytes: [UInt8]
                        switch value.storage {
                        case .string(let text): bytes = Array(text.utf8)
                        case .blob(let data): bytes = Array(data)
                        default: continue
                        }
                        for needle in needles where bytes.contains(subsequence: Array(needle.utf8)) {
                            found.append("\(needle) in \(table).\(column)")
                        }
                    }
                }
            }
            for row in try Row.fetchAll(db, sql: "SELECT origin, seq, payload, raw_length FROM batch_log") {
                let payload: Data = row["payload"]
                let raw = try Zlib.inflate(Array(payload), expectedLength: row["raw_length"])
                for needle in needles where raw.contains(subsequence: Array(needle.utf8)) {
                    found.append("\(needle) in the payload of batch \(row["origin"] as String)#\(row["seq"] as Int)")
                }
            }
            return found
        }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if Array(self[start..<start + needle.count]) == needle { return true }
        }
        return false
    }
}
