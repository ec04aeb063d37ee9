import Crypto
import Foundation
import GRDB
import Records
import Replica
import SyncCore
import TestSupport
import Testing

@Suite(.ownThread) struct AuditLogTests {
    /// A node with a real file and six audit entries: the first admin, a create with a
    /// purpose, a change, a consultation, a search and an erasure.
    struct AuditedNode {
        let directory: TemporaryDirectory
        let region: TestRegion
        var replica: Replica { region["a"] }
        var path: String { directory.path("a.sqlite") }

        init(auditKey: AuditKey? = nil) throws {
            directory = try TemporaryDirectory()
            region = try TestRegion(nodes: ["a", "b"], directory: directory.url) { $0.auditKey = $0.nodeID == "a" ? auditKey : nil }
            let replica = region["a"]
            try replica.addUser("ana", role: .admin, addedBy: nil)
            let ana = AuditActor(user: "ana", purpose: "case 2026/117")
            let id = try replica.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Zzmarkerovic")], auditedAs: ana)
            try replica.update(id, [FieldWrite("alert", "wanted")], auditedAs: AuditActor(user: "ana"))
            try replica.recordAudit(AuditEvent(user: "ana", action: "consult", recordIDs: [id.description], purpose: "case 2026/117"))
            try replica.recordAudit(AuditEvent(user: "ana", action: "search", recordIDs: [id.description], purpose: "case 2026/117", detail: "zzmark"))
            try replica.erase(id, reason: "court_order", auditedAs: ana)
        }

        /// Changes the file behind the node's back, as someone with the file could.
        func tamper(_ sql: String, _ arguments: StatementArguments = []) throws {
            let queue = try DatabaseQueue(path: path, configuration: SQLiteLibrary.configuration())
            try queue.write { db in
                try db.execute(sql: "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete")
                try db.execute(sql: sql, arguments: arguments)
            }
        }

        func row(_ seq: Int64) throws -> Row {
            try DatabaseQueue(path: path, configuration: SQLiteLibrary.configuration()).read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM audit_log WHERE seq = ?", arguments: [seq])!
            }
        }
    }

    /// The entry hash exactly as docs/AUDIT.md specifies it, computed independently: plain
    /// SHA-256, or HMAC-SHA-256 under `key` (the entries an audit key seals).
    static func documentedHash(
        seq: Int64, at: Int64, user: String, action: String, records: String, purpose: String?, detail: String?, previous: Data,
        key: [UInt8]? = nil
    ) -> Data {
        var input = Data((key == nil ? "pccc-audit-v1" : "pccc-audit-v2").utf8) + previous
        for number in [UInt64(seq), UInt64(at)] { input += withUnsafeBytes(of: number.bigEndian) { Data($0) } }
        for text in [user, action, records, purpose, detail] as [String?] {
            guard let text else {
                input += Data([0xFF, 0xFF, 0xFF, 0xFF])
                continue
            }
            input += withUnsafeBytes(of: UInt32(text.utf8.count).bigEndian) { Data($0) } + Data(text.utf8)
        }
        guard let key else { return Data(SHA256.hash(data: input)) }
        return Data(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: key)))
    }

    /// An audit key sealing from entry 4 on, as the file holds it, with known bytes 1…32.
    static let knownKeyBytes: [UInt8] = Array(1...32)
    static func knownKey() throws -> AuditKey {
        let encoded = Data(knownKeyBytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return try AuditKey(text: "pccc-audit-key 1\nsince 4\nkey \(encoded)\n", file: "audit.key")
    }

    /// Cuts the log after entry `keep - 1`, rewrites entry `keep` as mallory's with the
    /// documented plain hash, and moves the head to it: what someone with the file but not the
    /// key can do once the triggers are dropped.
    static func rewriteAndCut(_ node: AuditedNode, keep: Int64) throws {
        try node.tamper("DELETE FROM audit_log WHERE seq > ?", [keep])
        let resealed = resealedAsMallory(try node.row(keep))
        try node.tamper("UPDATE audit_log SET user = 'mallory', hash = ? WHERE seq = ?", [resealed, keep])
        try node.tamper("UPDATE audit_head SET seq = ?, hash = ? WHERE only_row = 1", [keep, resealed])
    }

    @Test func aLogRewrittenCutAndItsHeadFixedIsCaughtWhenItsKeyIsOutsideTheFile() throws {
        // Entries 1 to 3 were written before the node had its key (an upgrade); 4 on are sealed.
        let node = try AuditedNode(auditKey: try Self.knownKey())
        #expect(try node.replica.verifyAudit() == .intact(entries: 6))
        for seq: Int64 in 1...6 {
            let row = try node.row(seq)
            let expected = Self.documentedHash(
                seq: row["seq"], at: row["at"], user: row["user"], action: row["action"], records: row["record_ids"], purpose: row["purpose"],
                detail: row["detail"], previous: row["prev_hash"], key: seq >= 4 ? Self.knownKeyBytes : nil)
            #expect(row["hash"] == expected, "entry \(seq) is sealed as docs/AUDIT.md says")
        }
        // Cut back to a sealed entry, the head pointed at it: the head's seal no longer fits.
        let cut = try AuditedNode(auditKey: try Self.knownKey())
        let fifth = try cut.row(5)
        try cut.tamper("DELETE FROM audit_log WHERE seq > 5")
        try cut.tamper("UPDATE audit_head SET seq = 5, hash = ? WHERE only_row = 1", [fifth["hash"] as Data])
        #expect(
            try cut.replica.verifyAudit()
                == .broken(seq: 5, reason: "the log's head at entry 5 is not sealed with the node's audit key: the log was cut or its head moved"))

        try Self.rewriteAndCut(node, keep: 4)
        #expect(
            try node.replica.verifyAudit()
                == .broken(seq: 4, reason: "entry 4 was altered or rewritten: it is not sealed with the node's audit key"))

        // Without a key the same rewrite goes unseen: the log alone cannot tell.
        let plain = try AuditedNode()
        try Self.rewriteAndCut(plain, keep: 4)
        #expect(try plain.replica.verifyAudit() == .intact(entries: 4))
    }

    /// The attack of the test above on a node whose key is not outside the attacker's reach
    /// (here, no key at all): the local chain verifies, but the peer's copy of the signed head,
    /// echoed back, shows the cut; the node's next head says so, and the peer keeps its copy as
    /// evidence until its admin forgets it.
    @Test func aLogRewrittenAndCutIsCaughtByTheHeadItsPeerHolds() throws {
        let node = try AuditedNode()
        let a = node.replica
        let b = node.region["b"]
        let first = try #require(try a.auditHead(for: "b"), "the peer holds nothing yet")
        #expect(first.position.seq == 6 && !first.diverged)
        let (kept, held) = try b.receiveAuditHead(first, from: "a")
        #expect(kept == .kept && held == first)
        #expect(try a.noteAuditEcho(held, from: "b") == .held)
        #expect(try a.auditHead(for: "b") == nil, "the peer holds the head already")
        #expect(try a.auditEchoes().map(\.held) == [true])

        // Signed by another key, or going back: refused, and b keeps what it holds.
        let forged = try AuditHead.signed(
            AuditPosition(seq: 9, hash: first.position.hash), at: 1, diverged: false, network: TestRegion.network, node: "a", key: node.region.keys["b"]!)
        guard case .refused = try b.receiveAuditHead(forged, from: "a").outcome else {
            Issue.record("a head signed by b's key was taken as a's")
            return
        }
        // Nor can b echo a head a never signed, to make a's honest log look rewritten.
        #expect(try a.noteAuditEcho(forged, from: "b") == .unsigned)
        #expect(try a.auditEchoes().map(\.held) == [true] && a.alarms().isEmpty)

        try Self.rewriteAndCut(node, keep: 4)
        #expect(try a.verifyAudit() == .intact(entries: 4), "the log alone cannot tell")
        #expect(try a.auditEchoes().map(\.held) == [false], "what `pccc audit verify --against-peers` reports")
        #expect(try a.noteAuditEcho(held, from: "b") == .notHeld)
        #expect(try a.alarms().contains { $0.code == "audit_diverged" && $0.subject == "b" })
        for index in 0..<5 { try a.recordAudit(AuditEvent(user: "ana", action: "consult", purpose: "case 2026/\(index)")) }
        let next = try #require(try a.auditHead(for: "b"))
        #expect(next.position.seq == 9 && next.diverged, "entry 9 of a rewritten log is no step on from entry 6")
        guard case .rewound = try b.receiveAuditHead(next, from: "a").outcome else {
            Issue.record("b took the head of the rewritten log")
            return
        }
        #expect(try b.heldAuditHead(of: "a") == first, "b keeps the head it held")
        #expect(try b.alarms().contains { $0.code == "audit_rewound" && $0.subject == "a" })
        let undiverged = try AuditHead.signed(next.position, at: 2, diverged: false, network: TestRegion.network, node: "a", key: node.region.keys["a"]!)
        #expect(try b.receiveAuditHead(undiverged, from: "a").outcome == .pinned, "nothing moves it until an admin forgets it")

        // b's admin knows of the loss and forgets the head: a's next one is kept as its first.
        try b.addUser("bo", role: .admin, addedBy: nil)
        #expect(throws: ReplicaError.self) { try b.forgetAuditHead(of: "a", by: AuditActor(user: "nobody")) }
        try b.forgetAuditHead(of: "a", by: AuditActor(user: "bo"))
        #expect(try b.auditEntries().last?.event.action == "audit_head_forget")
        let (afterForget, echoed) = try b.receiveAuditHead(next, from: "a")
        #expect(afterForget == .kept && echoed == next)
        #expect(try a.noteAuditEcho(echoed, from: "b") == .held, "the diverged head, echoed as a signed it")
        #expect(try !a.alarms().contains { $0.code == "audit_diverged" })
        // An earlier entry after a later one is a rewind too.
        let second = try #require(try a.auditEntries(limit: 100).first { $0.seq == 2 })
        let back = try AuditHead.signed(
            AuditPosition(seq: 2, hash: second.hash), at: 3, diverged: false, network: TestRegion.network, node: "a", key: node.region.keys["a"]!)
        #expect(try b.receiveAuditHead(back, from: "a").outcome == .rewound(reason: "a sent the head of its audit log at entry 2 after entry 9"))

        // A peer whose head b holds and that then speaks a version carrying none is unchecked.
        try b.forgetAuditHead(of: "a", by: AuditActor(user: "bo"))
        try b.noteAuditVersion(2, of: "a")
        #expect(try b.alarms().isEmpty, "nothing held of a: nothing goes unchecked")
        _ = try b.receiveAuditHead(next, from: "a")
        try b.noteAuditVersion(2, of: "a")
        #expect(try b.alarms().map(\.code) == ["audit_unchecked"])
        #expect(try b.receiveAuditHead(next, from: "a").outcome == .unchanged)
        #expect(try b.alarms().isEmpty, "cleared by its next head")
    }

    /// The hash entry `row` would have with user `mallory`, computed by someone who knows the format.
    static func resealedAsMallory(_ row: Row) -> Data {
        documentedHash(
            seq: row["seq"], at: row["at"], user: "mallory", action: row["action"], records: row["record_ids"], purpose: row["purpose"],
            detail: row["detail"], previous: row["prev_hash"]
        )
    }

    @Test func everyLocalActionIsLoggedWithWhoWhatAndWhyAndTheChainVerifies() throws {
        let node = try AuditedNode()
        let entries = try node.replica.auditEntries()
        #expect(entries.map(\.event.action) == ["user_add", "create", "change", "consult", "search", "erase"])
        #expect(entries.map(\.seq) == [1, 2, 3, 4, 5, 6])
        #expect(entries.allSatisfy { $0.event.user == "ana" })
        #expect(entries[1].event.purpose == "case 2026/117" && entries[2].event.purpose == nil)
        #expect(entries[1].event.detail == "person in group region: category, family_name")
        #expect(entries[2].event.detail == "person: set alert")
        #expect(entries[5].event.detail == "person, reason court_order")
        #expect(Set(entries[1...].map(\.event.recordIDs)).count == 1)
        #expect(try node.replica.verifyAudit() == .intact(entries: 6))
        // The stored hashes follow the documented format, so an auditor can check them without this code.
        for entry in entries {
            let row = try node.row(entry.seq)
            let expected = Self.documentedHash(
                seq: row["seq"], at: row["at"], user: row["user"], action: row["action"], records: row["record_ids"],
                purpose: row["purpose"], detail: row["detail"], previous: row["prev_hash"]
            )
            #expect(Data(entry.hash) == expected)
        }
    }

    @Test func writesLogFieldNamesNeverValuesSoAnErasureLeavesNoPersonalDataInTheLog() throws {
        let node = try AuditedNode()
        let logged = try node.replica.auditEntries().map { "\($0.event.detail ?? "") \($0.event.recordIDs) \($0.event.purpose ?? "")" }.joined()
        #expect(!logged.contains("Zzmarkerovic"))
        #expect(!logged.contains("wanted"))
    }

    @Test func theAuditLogIsNeverSentToPeers() throws {
        let node = try AuditedNode()
        try node.region["b"].pullChecked(from: node.replica)
        #expect(try node.region["b"].auditEntries().isEmpty)
        #expect(try node.replica.auditEntries().count == 6)
    }

    @Test func sqlCannotEditOrDeleteAnEntryWhileTheTriggersStand() throws {
        let node = try AuditedNode()
        let queue = try DatabaseQueue(path: node.path, configuration: SQLiteLibrary.configuration())
        for sql in ["UPDATE audit_log SET user = 'mallory' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 6"] {
            #expect {
                try queue.write { db in try db.execute(sql: sql) }
            } throws: { error in
                (error as? DatabaseError)?.message == "the audit log is append-only"
            }
        }
        #expect(try node.replica.verifyAudit() == .intact(entries: 6))
    }

    enum Tampering: String, CaseIterable {
        case editedUser, clearedPurpose, editedRecordIDs, editedTime, deletedMiddle, deletedTail, swapped
        case resealedMiddle, resealedLast, foreignEntry, appendedOutsideTheNode, headRewound
    }

    @Test(arguments: Tampering.allCases)
    func verifyNamesTheFirstTamperedEntry(_ tampering: Tampering) throws {
        let node = try AuditedNode()
        let expected: AuditVerification
        switch tampering {
        case .editedUser:
            try node.tamper("UPDATE audit_log SET user = 'mallory' WHERE seq = 4")
            expected = .broken(seq: 4, reason: "entry 4 was altered: its contents do not match its hash")
        case .clearedPurpose:
            try node.tamper("UPDATE audit_log SET purpose = NULL WHERE seq = 2")
            expected = .broken(seq: 2, reason: "entry 2 was altered: its contents do not match its hash")
        case .editedRecordIDs:
            try node.tamper("UPDATE audit_log SET record_ids = '' WHERE seq = 5")
            expected = .broken(seq: 5, reason: "entry 5 was altered: its contents do not match its hash")
        case .editedTime:
            try node.tamper("UPDATE audit_log SET at = at - 86400000 WHERE seq = 3")
            expected = .broken(seq: 3, reason: "entry 3 was altered: its contents do not match its hash")
        case .deletedMiddle:
            try node.tamper("DELETE FROM audit_log WHERE seq = 3")
            expected = .broken(seq: 3, reason: "entry 3 is missing: the log goes from entry 2 to 4")
        case .deletedTail:
            try node.tamper("DELETE FROM audit_log WHERE seq >= 5")
            expected = .broken(seq: 5, reason: "entries 5 to 6 were removed from the end of the log")
        case .swapped:
            try node.tamper(
                "UPDATE audit_log SET seq = -1 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = -1")
            expected = .broken(seq: 3, reason: "entry 3 was altered: its contents do not match its hash")
        case .resealedMiddle:
            // Someone who knows the format edits entry 3 and recomputes its hash: entry 4 still points at the old one.
            try node.tamper("UPDATE audit_log SET user = 'mallory', hash = ? WHERE seq = 3", [try Self.resealedAsMallory(node.row(3))])
            expected = .broken(seq: 3, reason: "entry 3 was replaced: it is sealed but entry 4 was chained to a different entry 3")
        case .resealedLast:
            try node.tamper("UPDATE audit_log SET user = 'mallory', hash = ? WHERE seq = 6", [try Self.resealedAsMallory(node.row(6))])
            expected = .broken(seq: 6, reason: "entry 6 was replaced: it is not the entry the log's head recorded")
        case .foreignEntry:
            // A sealed entry 4 from another node's log put in place of this one's.
            let other = try AuditedNode()
            let foreign = try other.row(4)
            try node.tamper(
                "UPDATE audit_log SET at = ?, user = ?, action = ?, record_ids = ?, purpose = ?, detail = ?, prev_hash = ?, hash = ? WHERE seq = 4",
                [
                    foreign["at"], foreign["user"], foreign["action"], foreign["record_ids"], foreign["purpose"], foreign["detail"],
                    foreign["prev_hash"], foreign["hash"],
                ]
            )
            expected = .broken(seq: 4, reason: "entry 4 was replaced: it is sealed but does not chain to entry 3")
        case .appendedOutsideTheNode:
            let last = try node.row(6)
            let hash = Self.documentedHash(
                seq: 7, at: last["at"], user: "ana", action: "consult", records: "", purpose: nil, detail: nil, previous: last["hash"]
            )
            try node.tamper(
                "INSERT INTO audit_log (seq, at, user, action, record_ids, purpose, detail, prev_hash, hash) VALUES (7, ?, 'ana', 'consult', '', NULL, NULL, ?, ?)",
                [last["at"], last["hash"], hash]
            )
            expected = .broken(seq: 7, reason: "entry 7 was added outside the node: the log's head ends at entry 6")
        case .headRewound:
            try node.tamper("DELETE FROM audit_log WHERE seq = 6; UPDATE audit_head SET seq = 5, hash = (SELECT hash FROM audit_log WHERE seq = 5)")
            // Removing the last entry and rewinding the head to match cannot be told from a shorter log.
            expected = .intact(entries: 5)
        }
        #expect(try node.replica.verifyAudit() == expected)
    }
}
