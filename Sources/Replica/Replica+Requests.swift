import Foundation
import GRDB
import Records
import SyncCore

/// Which requests to list, seen from this node.
public enum RequestDirection: Sendable {
    /// Requests this node received.
    case incoming
    /// Requests this node sent.
    case outgoing
}

/// An information request as this node holds it: its form and its thread.
public struct RequestSummary: Equatable, Sendable {
    /// The request's id.
    public let id: String
    /// Its sharing group.
    public let group: GroupID
    /// The requesting node.
    public let from: NodeID
    /// The requested node.
    public let to: NodeID
    /// The urgency the requester gave: `urgent` or `standard` (an earlier release's
    /// `urgent_direct` or `urgent_indirect`).
    public let urgency: String
    /// The information sought.
    public let question: String
    /// The form's other fields as the request holds them (`purpose`, `language`, ...); an
    /// earlier release's request has none.
    public let form: [String: String]
    /// The answer an earlier release wrote into the request itself, if any.
    public let legacyAnswer: String?
    /// The records the request is about.
    public let subjectIDs: [String]
    /// When it reached the requested node (Unix milliseconds), once known here.
    public let receivedAt: UInt64?
    /// When it was created (ISO 8601).
    public let createdAt: String
    /// Its thread, folded: state, clocks and entries.
    public let thread: RequestThread

    /// Where it stands.
    public var status: String { thread.state.rawValue }
    /// The last answer's text; for a request with no thread (answered by an earlier release),
    /// the answer written into the request itself.
    public var answer: String? { thread.entries.isEmpty ? legacyAnswer : thread.entries.last { $0.step == .answer }?.text }
    /// When the answer is due (Unix milliseconds), once received, with clarifications' pauses.
    public var dueAt: UInt64? { thread.dueAt }

    /// The form fields a request may hold besides its routing, urgency and question.
    static let formFields = [
        "purpose", "offence", "availability_reasons", "subject_relation", "urgent_ground", "urgent_reasons", "use_restrictions", "language",
        "requesting_authority", "case_number", "spoc_copy", "europol_copy", "europol_reason",
    ]
}

extension Replica {
    // MARK: Reading

    /// Requests this node sent or received, or only one direction, or only the one with `id`;
    /// newest first.
    public func requests(_ direction: RequestDirection? = nil, id: RecordID? = nil) throws -> [RequestSummary] {
        let nodeID = configuration.nodeID
        var filter: String
        switch direction {
        case .incoming: filter = "request.to_node = ?1"
        case .outgoing: filter = "request.from_node = ?1"
        case nil: filter = "(request.to_node = ?1 OR request.from_node = ?1)"
        }
        if id != nil { filter += " AND request.id = ?2" }
        var arguments: StatementArguments = [nodeID.rawValue]
        if let id { arguments += [id.description] }
        return try writer.read { db in try Self.requestSummaries(db, where: filter, arguments: arguments) }
    }

    /// The requests `filter` (over `request`) selects, newest first, with their threads: two
    /// statements, whatever their number.
    static func requestSummaries(_ db: Database, where filter: String, arguments: StatementArguments) throws -> [RequestSummary] {
        var entries: [String: [RequestEntry]] = [:]
        let entryRows = try Row.fetchCursor(
            db,
            sql: """
                SELECT request_entry.* FROM request_entry JOIN request ON request.id = request_entry.record_id
                WHERE (\(filter)) AND request_entry.last_hlc IS NOT NULL
                """,
            arguments: arguments)
        while let row = try entryRows.next() {
            if let entry = requestEntry(row) { entries[row["record_id"], default: []].append(entry) }
        }
        return try Row.fetchAll(
            db,
            sql: """
                SELECT request.* FROM request WHERE (\(filter)) ORDER BY request.id DESC
                """,
            arguments: arguments
        ).map { row in
            let id: String = row["id"]
            let request = threadRequest(row)
            var form: [String: String] = [:]
            for field in RequestSummary.formFields {
                if let value: String = row[field] { form[field] = value }
            }
            let subjects: String = row["subject_ids"] ?? ""
            return RequestSummary(
                id: id, group: row["sharing_group"], from: request.from, to: request.to, urgency: request.urgency, question: row["question"] ?? "",
                form: form, legacyAnswer: row["answer"], subjectIDs: subjects.split(separator: ",").map(String.init), receivedAt: request.receivedAt,
                createdAt: row["created_at"], thread: RequestThread(request: request, entries: entries[id] ?? []))
        }
    }

    /// The part of a `request` row a thread folds: the replicated fields only, never this
    /// node's own notes, so every node folds alike.
    private static func threadRequest(_ row: Row) -> RequestThread.Request {
        RequestThread.Request(
            from: NodeID(row["from_node"] ?? ""), to: NodeID(row["to_node"] ?? ""), urgency: row["urgency"] ?? "",
            receivedAt: (row["received_at"] as String?).flatMap(Timestamps.milliseconds(fromISO8601:)),
            dueAtOnReceipt: (row["due_at"] as String?).flatMap(Timestamps.milliseconds(fromISO8601:)), legacyStatus: row["status"])
    }

    /// A `request_entry` row as a thread entry.
    private static func requestEntry(_ row: Row) -> RequestEntry? {
        guard let hlc: Int64 = row["last_hlc"] else { return nil }
        var values: [String: String] = [:]
        for field in ["type", "text", "access", "due_at", "extent", "grounds", "until", "entry_id", "received_at"] {
            if let value: String = row[field] { values[field] = value }
        }
        return RequestEntry(id: row["id"], author: NodeID(row["origin"] as String), hlc: HybridTimestamp(rawValue: UInt64(bitPattern: hlc)), values: values)
    }

    // MARK: Receipts

    /// Notes the receipt time of requests addressed to this node, and of clarifications and
    /// their replies addressed to it, in the transaction that applies them: the deadline runs,
    /// pauses and resumes from these moments. Only what merge accepted counts: the row must be
    /// held, from the batch's origin.
    static func recordRequestReceipts(in leaves: [BatchLeaf], origin: NodeID, nodeID: NodeID, now: UInt64, db: Database) throws {
        for case .full(let change) in leaves {
            switch (change.kind, change.operation) {
            case (RecordKind.request.rawValue, .create(let writes)) where writes.contains(FieldWrite("to_node", nodeID.rawValue)):
                try db.cachedStatement(
                    sql: """
                        INSERT OR IGNORE INTO request_receipt (request_id, received_at)
                        SELECT id, ?1 FROM request WHERE id = ?2 AND origin = ?3 AND to_node = ?4
                        """
                ).execute(arguments: [Int64(now), change.recordID.description, origin, nodeID])
            case (RecordKind.requestEntry.rawValue, .append(let writes))
            where writes.contains(FieldWrite("type", RequestEntry.Step.clarificationAsked.rawValue))
                || writes.contains(FieldWrite("type", RequestEntry.Step.clarificationGiven.rawValue)):
                // Addressed to this node when this node is the request's other centre.
                try db.cachedStatement(
                    sql: """
                        INSERT OR IGNORE INTO entry_receipt (entry_id, request_id, received_at)
                        SELECT request_entry.id, request.id, ?1 FROM request_entry JOIN request ON request.id = request_entry.record_id
                        WHERE request_entry.id = ?2 AND request_entry.origin = ?3
                        AND ((request.from_node = ?3 AND request.to_node = ?4) OR (request.to_node = ?3 AND request.from_node = ?4))
                        """
                ).execute(arguments: [Int64(now), change.recordID.description, origin, nodeID])
            default:
                continue
            }
        }
    }

    /// Acknowledges every request received but not yet acknowledged: sets its status to
    /// `acknowledged` with the receipt time and the due time, so the requesting node sees the
    /// deadline too. Then notes in each thread when a clarification or its reply reached this
    /// node (a `receipt` entry), which pauses or resumes the clock at both centres alike. All
    /// of one group go in one batch (of at most ``acknowledgementsPerBatch``), so however many
    /// a peer sends, this node answers with a bounded number of batches. Returns how many
    /// requests and entries it acknowledged.
    @discardableResult
    public func acknowledgeReceivedRequests() throws -> Int {
        let pending = try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT request_receipt.request_id, request_receipt.received_at, request.sharing_group, request.urgency
                    FROM request_receipt LEFT JOIN request ON request.id = request_receipt.request_id
                    WHERE request_receipt.acknowledged = 0 ORDER BY request_receipt.received_at, request_receipt.request_id
                    """
            )
        }
        var byGroup: [GroupID: [Acknowledgement]] = [:]
        var nothingToDo: [String] = []
        for row in pending {
            let requestID: String = row["request_id"]
            let receivedAt = UInt64(row["received_at"] as Int64)
            guard let id = RecordID(requestID), let group: GroupID = row["sharing_group"],
                let due = RequestDeadline.due(urgency: row["urgency"] ?? "", receivedAt: receivedAt, timeZone: configuration.timeZone)
            else {
                // Erased since, or not a request this node can answer: nothing to acknowledge.
                nothingToDo.append(requestID)
                continue
            }
            let writes = [
                FieldWrite("status", "acknowledged"), FieldWrite("received_at", Timestamps.iso8601(milliseconds: receivedAt)),
                FieldWrite("due_at", Timestamps.iso8601(milliseconds: due)),
            ]
            byGroup[group, default: []].append(Acknowledgement(noted: requestID, table: .request, step: .update(id, writes)))
        }
        if !nothingToDo.isEmpty {
            try writer.write { db in try Self.markAcknowledged(nothingToDo, in: .request, db: db) }
        }
        // Only a clarification that opened a pause, or the reply that closed one, moves the clock:
        // the receipts of others are not written, so a centre asking again and again costs this
        // one no batches. A bounded number per call; the rest go at the next.
        let (entries, boundaries) = try writer.read { db -> ([Row], Set<String>) in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT entry_receipt.entry_id, entry_receipt.request_id, entry_receipt.received_at, request.sharing_group
                    FROM entry_receipt LEFT JOIN request ON request.id = entry_receipt.request_id
                    WHERE entry_receipt.acknowledged = 0 ORDER BY entry_receipt.received_at, entry_receipt.entry_id LIMIT ?
                    """,
                arguments: [Self.entryReceiptsPerCall]
            )
            let requests = Set(rows.compactMap { $0["request_id"] as String? })
            var boundaries = Set<String>()
            for request in requests {
                let summary = try Self.requestSummaries(db, where: "request.id = ?1", arguments: [request]).first
                boundaries.formUnion(summary?.thread.pauseBoundaries ?? [])
            }
            return (rows, boundaries)
        }
        nothingToDo = []
        for row in entries {
            let entryID: String = row["entry_id"]
            guard let group: GroupID = row["sharing_group"], boundaries.contains(entryID) else {
                nothingToDo.append(entryID)
                continue
            }
            let writes = [
                FieldWrite("record_id", row["request_id"]), FieldWrite("type", RequestEntry.Step.receipt.rawValue), FieldWrite("entry_id", entryID),
                FieldWrite("received_at", Timestamps.iso8601(milliseconds: UInt64(row["received_at"] as Int64))),
            ]
            byGroup[group, default: []].append(Acknowledgement(noted: entryID, table: .entry, step: .append(writes)))
        }
        if !nothingToDo.isEmpty {
            try writer.write { db in try Self.markAcknowledged(nothingToDo, in: .entry, db: db) }
        }
        var acknowledged = 0
        for group in byGroup.keys.sorted() {
            let all = byGroup[group]!
            for start in stride(from: 0, to: all.count, by: Self.acknowledgementsPerBatch) {
                let chunk = all[start..<min(start + Self.acknowledgementsPerBatch, all.count)]
                // Another process (a `pccc request list` while the node serves) may have
                // acknowledged some since they were read: then this batch is not made at all,
                // and what is still pending is acknowledged at the next call.
                let markDone: (Database) throws -> Void = { db in
                    for item in chunk {
                        guard try Self.stillPending(item.noted, in: item.table, db: db) else { throw AcknowledgedMeanwhile() }
                        try Self.markAcknowledged([item.noted], in: item.table, db: db)
                        if item.table == .request { try self.checkSubjects(ofArrived: item.noted, db: db) }
                    }
                }
                do {
                    try transact(in: group, auditedAs: nil, byNode: true, also: markDone) { transaction in
                        for item in chunk {
                            switch item.step {
                            case .update(let id, let writes): transaction.update(id, writes)
                            case .append(let writes): _ = transaction.append(.requestEntry, writes)
                            }
                        }
                    }
                } catch is AcknowledgedMeanwhile {
                    continue
                } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                    // Another process held the write lock past the busy timeout (a heavily loaded
                    // machine): this duty is retried at the next call, so what is pending waits.
                    continue
                }
                acknowledged += chunk.count
            }
        }
        return acknowledged
    }

    /// The duplicate check a request's arrival makes: each of its subjects against the records
    /// held, logged as a system check when it found any.
    private func checkSubjects(ofArrived requestID: String, db: Database) throws {
        let found = try subjectMatches(ofRequest: requestID, db: db)
        guard !found.isEmpty else { return }
        let shown = found.flatMap { [$0.subject] + $0.matches.map(\.id.description) }
        try appendAudit(
            AuditEvent(
                user: "system", action: "duplicate_check", recordIDs: [requestID] + shown,
                detail: "at the arrival of request \(requestID): \(found.count) subjects with possible matches"),
            now: configuration.wallClock(), db: db)
    }

    /// One receipt to acknowledge: the row noting it, and what the acknowledgement writes.
    private struct Acknowledgement {
        enum Step {
            case update(RecordID, [FieldWrite])
            case append([FieldWrite])
        }
        let noted: String
        let table: ReceiptTable
        let step: Step
    }

    /// Where a receipt is noted until it is acknowledged: a request's, or a thread entry's.
    private enum ReceiptTable {
        case request
        case entry

        /// The table, and the column naming what was received.
        var name: (table: String, key: String) {
            switch self {
            case .request: ("request_receipt", "request_id")
            case .entry: ("entry_receipt", "entry_id")
            }
        }
    }

    /// A receipt marked done without a deadline, by a release that did not know the request's
    /// urgency (`urgent`, before it grew to know it), is acknowledged again now that the
    /// request applies in full: without this, the requester would never see the receipt.
    /// Read first: opening a replica to read it (`pccc digest`, `pccc status`) takes no write
    /// lock unless there is something to do.
    func reopenReceiptsWithoutDeadline() throws {
        let filter = """
            acknowledged = 1 AND request_id IN (
                SELECT id FROM request WHERE to_node = ?1 AND received_at IS NULL AND urgency IS NOT NULL)
            """
        let me = configuration.nodeID
        let stale = try writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM request_receipt WHERE \(filter))", arguments: [me]) ?? false
        }
        guard stale else { return }
        try writer.write { db in
            try db.execute(sql: "UPDATE request_receipt SET acknowledged = 0 WHERE \(filter)", arguments: [me])
        }
    }

    /// The most receipts of thread entries one acknowledgement pass reads.
    static let entryReceiptsPerCall = 2_000

    /// The most requests one acknowledgement batch covers, well inside the batch limits.
    static let acknowledgementsPerBatch = 500

    /// Thrown inside an acknowledgement's transaction to roll it back: someone else did it.
    private struct AcknowledgedMeanwhile: Error {}

    private static func stillPending(_ key: String, in receipts: ReceiptTable, db: Database) throws -> Bool {
        let (table, column) = receipts.name
        return try Int.fetchOne(db.cachedStatement(sql: "SELECT acknowledged FROM \(table) WHERE \(column) = ?"), arguments: [key]) == 0
    }

    private static func markAcknowledged(_ keys: [String], in receipts: ReceiptTable, db: Database) throws {
        let (table, column) = receipts.name
        let statement = try db.cachedStatement(sql: "UPDATE \(table) SET acknowledged = 1 WHERE \(column) = ?")
        for key in keys { try statement.execute(arguments: [key]) }
    }

    // MARK: Statistics kept through erasure

    /// Keeps what the yearly report counts of request `id` (no personal data: centres,
    /// urgency, times, outcome, grounds) before the request is erased, so the report does not
    /// change when a request is. Called by merge, in the erasure's transaction.
    static func keepRequestStatistic(_ id: String, of node: NodeID, db: Database) throws {
        guard
            let summary = try requestSummaries(
                db, where: "request.id = ?1 AND (request.from_node = ?2 OR request.to_node = ?2)", arguments: [id, node.rawValue]
            ).first
        else { return }
        let fact = RequestFact(summary)
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO request_statistic
                (request_id, from_node, to_node, urgency, created_at, received_at, due_at, responded_at, outcome, grounds, delayed_at, paused_for)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, fact.from, fact.to, fact.urgency, Int64(clamping: fact.createdAt), fact.receivedAt.map(Int64.init(clamping:)),
                fact.dueAt.map(Int64.init(clamping:)), fact.respondedAt.map(Int64.init(clamping:)), fact.outcome?.rawValue ?? "none",
                fact.grounds.map(\.rawValue).joined(separator: ","), fact.delayedAt.map(Int64.init(clamping:)), Int64(clamping: fact.pausedFor),
            ])
    }
}

extension RequestFact {
    /// The counted facts of a request this node holds.
    init(_ summary: RequestSummary) {
        self.init(
            from: summary.from, to: summary.to, urgency: summary.thread.urgencyClass,
            createdAt: Timestamps.milliseconds(fromISO8601: summary.createdAt) ?? 0, receivedAt: summary.receivedAt, dueAt: summary.thread.dueAt,
            respondedAt: summary.thread.respondedAt, outcome: summary.thread.outcome, grounds: summary.thread.refusalGrounds,
            delayedAt: summary.thread.firstDelayAt, pausedFor: summary.thread.pausedFor)
    }
}
