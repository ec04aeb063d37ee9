import Crypto
import Foundation
import GRDB
import Replica
import SyncCore
import TestSupport
import Testing

/// The audit log its own admin cannot rewrite (docs/AUDIT.md): real `pccc serve` processes send
/// each other their signed audit heads and echo them back, and `pccc audit verify
/// --against-peers` shows a cut that the log alone, its key in the attacker's hands, cannot.
@Suite(.serialized, .ownThread) struct AuditHeadTests {
    /// What someone who can read and write the node's folder, its audit key included, can do
    /// with the node stopped: drop the guard triggers, cut the log back to entry `keep`, point
    /// the head at it and seal the head with the key, as docs/AUDIT.md describes the seal.
    static func cutAndReseal(_ folder: String, keep: Int64) throws {
        let lines = try String(contentsOfFile: folder + "/audit.key", encoding: .utf8).split(separator: "\n")
        guard lines.count == 3, lines[2].hasPrefix("key ") else { throw TestFailure("audit.key has an unexpected shape: \(lines)") }
        var base64 = lines[2].dropFirst(4).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let key = Data(base64Encoded: base64), key.count == 32 else { throw TestFailure("audit.key holds no 32-byte key") }
        let queue = try DatabaseQueue(path: folder + "/replica.sqlite", configuration: SQLiteLibrary.configuration())
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete")
            try db.execute(sql: "DELETE FROM audit_log WHERE seq > ?", arguments: [keep])
            let hash = try #require(try Data.fetchOne(db, sql: "SELECT hash FROM audit_log WHERE seq = ?", arguments: [keep]))
            let input = Data("pccc-audit-head".utf8) + withUnsafeBytes(of: UInt64(keep).bigEndian) { Data($0) } + hash
            let seal = Data(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: key)))
            try db.execute(sql: "UPDATE audit_head SET seq = ?, hash = ?, seal = ? WHERE only_row = 1", arguments: [keep, hash, seal])
        }
        try queue.close()
    }

    @Test func aLogCutAndItsHeadResealedIsCaughtByTheHeadsItsPeersHold() throws {
        let region = try LiveRegion(
            nodes: ["a", "b", "c"], links: [LiveRegion.Link(from: "a", to: "b"), LiveRegion.Link(from: "c", to: "a")],
            groups: ["region": ["a", "b", "c"]])
        for index in 0..<4 { try region.addRecord(at: "a", group: "region", ["family_name": "Logged \(index)"]) }
        try region.start("a")
        try region.start("b")
        // c runs the release before audit heads: it syncs as before and echoes nothing.
        try region.start("c", options: ["--protocol-versions", "1-2"])
        var report = ""
        try region.waitUntil("b's echo of a's audit head", seconds: 30, every: 0.2) {
            let result = try PCCCExecutable.run(["audit", "verify", "--against-peers", "--data", region.folder("a")])
            report = result.output + result.error
            return result.status == 0 && report.contains("b holds entry ")
        }
        #expect(report.contains("the log holds it"), "\(report)")
        #expect(!report.contains("c holds"), "c speaks protocol version 2: \(report)")
        try region.waitUntil("equal digests", seconds: 30) { Set(try ["a", "b", "c"].map { try region.digest(at: $0) }).count == 1 }

        // b shows the head it holds, as a signed it, to compare with a's log.
        let heads = try region.pccc(["audit", "heads", "--data", region.folder("b")])
        #expect(heads.hasPrefix("a: entry ") && heads.contains(", signed "), "\(heads)")
        #expect(!heads.contains("c: "), "c sent no head: \(heads)")

        region.stop("a")
        try Self.cutAndReseal(region.folder("a"), keep: 2)
        let local = try region.pccc(["audit", "verify", "--data", region.folder("a")])
        #expect(local.hasPrefix("audit log intact: "), "the log alone, its key in the attacker's hands, cannot tell: \(local)")
        let caught = try PCCCExecutable.run(["audit", "verify", "--against-peers", "--data", region.folder("a")])
        #expect(caught.status == 1, "\(caught.output)\(caught.error)")
        #expect(caught.output.contains("b holds entry ") && caught.output.contains("the log DOES NOT hold it"), "\(caught.output)")
        #expect(caught.error.contains("audit log rewritten: b holds a head of it the log no longer holds"), "\(caught.error)")

        // Started again, a learns it from b's echo and says so; b keeps the head it holds.
        try region.start("a")
        try region.waitUntil("b's audit_rewound alarm for a", seconds: 30, every: 0.2) {
            try region.statusList(at: "b", "alarms").contains { $0["code"] as? String == "audit_rewound" }
        }
        #expect(try region.statusList(at: "a", "alarms").contains { $0["code"] as? String == "audit_diverged" })
        for node in ["a", "b", "c"] { region.stop(node) }
    }
}
