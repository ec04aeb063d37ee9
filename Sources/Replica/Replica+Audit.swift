import Foundation
import GRDB

extension Replica {
    /// Writes one audit entry in its own transaction. Consultations call this before they show
    /// anything, so nothing is seen without being logged.
    public func recordAudit(_ event: AuditEvent) throws {
        let now = configuration.wallClock()
        try writer.write { db in try appendAudit(event, now: now, db: db) }
    }

    /// Appends an entry to the chain inside the caller's transaction and moves the head; the
    /// entry is sealed with the node's audit key when it has one.
    func appendAudit(_ event: AuditEvent, now: UInt64, db: Database) throws {
        // Here, below every read that logs itself, so no route or command can skip it.
        try Self.requirePurpose(of: event, db: db)
        let head = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_head WHERE only_row = 1"))
        let seq: Int64 = (head?["seq"] ?? 0) + 1
        let previous: [UInt8] = (head?["hash"] as Data?).map(Array.init) ?? AuditEntry.genesisHash
        let entry = AuditEntry(seq: seq, at: now, event: event, previousHash: previous, key: configuration.auditKey?.sealing(seq))
        try db.cachedStatement(
            sql: """
                INSERT INTO audit_log (seq, at, user, action, record_ids, purpose, detail, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            seq, Int64(now), event.user, event.action, event.recordIDs.joined(separator: ","), event.purpose, event.detail,
            Data(previous), Data(entry.hash),
        ])
        let seal = configuration.auditKey?.headSeal(seq: seq, hash: entry.hash).map { Data($0) }
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO audit_head (only_row, seq, hash, seal) VALUES (1, ?, ?, ?)")
            .execute(arguments: [seq, Data(entry.hash), seal])
    }

    /// The seq of the audit log's head in the replica file at `path`, read only (0 when there
    /// is no file yet or its log is empty), and whether an audit key sealed it.
    public static func auditHead(path: String) throws -> (seq: Int64, sealed: Bool) {
        guard FileManager.default.fileExists(atPath: path) else { return (0, false) }
        var configuration = SQLiteLibrary.configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            guard try db.tableExists("audit_head") else { return (0, false) }
            let sealed = try db.columns(in: "audit_head").contains { $0.name == "seal" }
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM audit_head WHERE only_row = 1") else { return (0, false) }
            return (row["seq"], sealed && (row["seal"] as Data?) != nil)
        }
    }

    /// The latest `limit` entries, oldest first, optionally of one user or from `since`
    /// (Unix milliseconds) on.
    public func auditEntries(user: String? = nil, since: UInt64? = nil, limit: Int = 100) throws -> [AuditEntry] {
        try writer.read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let user {
                conditions.append("user = ?")
                arguments.append(user)
            }
            if let since {
                conditions.append("at >= ?")
                arguments.append(Int64(since))
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments.append(limit)
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM (SELECT * FROM audit_log \(filter) ORDER BY seq DESC LIMIT ?) ORDER BY seq",
                arguments: StatementArguments(arguments)
            ).map(Self.auditEntry(from:))
        }
    }

    /// Walks the whole chain and names the first entry that is not as it was written: altered
    /// contents, a broken link, a missing entry, or entries removed from the end.
    public func verifyAudit() throws -> AuditVerification {
        let key = configuration.auditKey
        return try writer.read { db in
            var expectedSeq: Int64 = 1
            var previousHash = AuditEntry.genesisHash
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY seq")
            while let row = try rows.next() {
                let entry = Self.auditEntry(from: row)
                if entry.seq != expectedSeq {
                    return .broken(seq: expectedSeq, reason: "entry \(expectedSeq) is missing: the log goes from entry \(expectedSeq - 1) to \(entry.seq)")
                }
                if !entry.isSealed(under: key?.sealing(entry.seq)) {
                    return .broken(
                        seq: entry.seq,
                        reason: key?.sealing(entry.seq) == nil
                            ? "entry \(entry.seq) was altered: its contents do not match its hash"
                            : "entry \(entry.seq) was altered or rewritten: it is not sealed with the node's audit key")
                }
                if entry.previousHash != previousHash {
                    return try Self.replacement(at: entry, db: db)
                }
                previousHash = entry.hash
                expectedSeq += 1
            }
            let last = expectedSeq - 1
            let head = try Row.fetchOne(db, sql: "SELECT seq, hash, seal FROM audit_head WHERE only_row = 1")
            let headSeq: Int64 = head?["seq"] ?? 0
            if headSeq != last {
                return .broken(
                    seq: headSeq > last ? last + 1 : headSeq + 1,
                    reason: headSeq > last
                        ? "entries \(last + 1) to \(headSeq) were removed from the end of the log"
                        : "entry \(headSeq + 1) was added outside the node: the log's head ends at entry \(headSeq)"
                )
            }
            if let head, Array(head["hash"] as Data) != previousHash {
                return .broken(seq: last, reason: "entry \(last) was replaced: it is not the entry the log's head recorded")
            }
            if let expected = key?.headSeal(seq: last, hash: previousHash), (head?["seal"] as Data?).map(Array.init) != expected {
                return .broken(
                    seq: last, reason: "the log's head at entry \(last) is not sealed with the node's audit key: the log was cut or its head moved")
            }
            return .intact(entries: Int(last))
        }
    }

    /// The chain breaks between entry `seq - 1` and `entry`: one of the two was replaced by a
    /// sealed entry. If `entry` still links to what follows it (its successor, or the head for
    /// the last entry), the one before it was replaced; otherwise `entry` itself was.
    private static func replacedEntry(at entry: AuditEntry, db: Database) throws -> Int64 {
        let follower: Data?
        if let next = try Row.fetchOne(db, sql: "SELECT prev_hash FROM audit_log WHERE seq = ?", arguments: [entry.seq + 1]) {
            follower = next["prev_hash"]
        } else {
            follower = try Data.fetchOne(db, sql: "SELECT hash FROM audit_head WHERE only_row = 1 AND seq = ?", arguments: [entry.seq])
        }
        return follower.map(Array.init) == entry.hash ? entry.seq - 1 : entry.seq
    }

    private static func replacement(at entry: AuditEntry, db: Database) throws -> AuditVerification {
        let replaced = try replacedEntry(at: entry, db: db)
        return .broken(
            seq: replaced,
            reason: replaced == entry.seq
                ? "entry \(entry.seq) was replaced: it is sealed but does not chain to entry \(entry.seq - 1)"
                : "entry \(replaced) was replaced: it is sealed but entry \(entry.seq) was chained to a different entry \(replaced)"
        )
    }

    private static func auditEntry(from row: Row) -> AuditEntry {
        let recordIDs: String = row["record_ids"]
        let at: Int64 = row["at"]
        return AuditEntry(
            seq: row["seq"],
            at: UInt64(at),
            event: AuditEvent(
                user: row["user"], action: row["action"],
                recordIDs: recordIDs.isEmpty ? [] : recordIDs.split(separator: ",").map(String.init),
                purpose: row["purpose"], detail: row["detail"]
            ),
            previousHash: Array(row["prev_hash"] as Data),
            storedHash: Array(row["hash"] as Data)
        )
    }
}
