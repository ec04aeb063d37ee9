import Foundation
import GRDB
import Records
import SyncCore

extension Replica {
    /// Runs one local transaction in `group`: validates every write, merges it, and stores the
    /// resulting signed batch, all in one SQLite transaction, with one audit entry per step
    /// when an `actor` is given. Returns that batch.
    @discardableResult
    public func transact(
        in group: GroupID,
        auditedAs actor: AuditActor? = nil,
        _ build: (inout LocalTransaction) throws -> Void
    ) throws -> SignedBatch {
        try transact(in: group, auditedAs: actor, byNode: false, also: nil, build)
    }

    /// `transact`, optionally writing node-managed fields and running `also` in the same
    /// SQLite transaction.
    @discardableResult
    func transact(
        in group: GroupID,
        auditedAs actor: AuditActor?,
        byNode: Bool,
        also: ((Database) throws -> Void)?,
        _ build: (inout LocalTransaction) throws -> Void
    ) throws -> SignedBatch {
        let wallClock = configuration.wallClock
        let nodeID = configuration.nodeID
        var transaction = LocalTransaction(newID: { kind in
            RecordID.make(milliseconds: wallClock(), boundTo: RecordBinding(origin: nodeID, group: group, kind: kind.rawValue))
        })
        try build(&transaction)
        let steps = transaction.steps
        guard configuration.roster.isMember(configuration.nodeID, of: group) else {
            throw ReplicaError(.notMember, "this node is not a member of group \(group)")
        }
        guard !steps.isEmpty else {
            throw ReplicaError(.invalid, "the transaction writes nothing")
        }
        return try writeErasing { db in
            var clock = try Self.loadClock(db)
            let now = configuration.wallClock()
            var applier = makeApplier(db: db, origin: configuration.nodeID, group: group, now: now)
            var leaves: [BatchLeaf] = []
            leaves.reserveCapacity(steps.count)
            for step in steps {
                let change = try self.change(for: step, hlc: tick(&clock), group: group, byNode: byNode, db: db)
                try applier.apply(change)
                leaves.append(.full(change))
                if let actor {
                    try appendAudit(Self.auditEvent(for: change, group: group, actor: actor), now: now, db: db)
                }
            }
            try also?(db)
            let (epoch, epochKey) = try Self.currentEpochAndKey(db)
            if let epochKey, epochKey != configuration.signingKey.publicKey.topologyForm {
                throw ReplicaError(
                    .invalid, "the node's signing key was rotated after this command started (pccc keys rotate); run it again to sign with the new key")
            }
            let head = try BatchStore.head(of: StreamID(origin: configuration.nodeID, epoch: epoch, group: group), db: db)
            let batch = try SignedBatch.make(
                network: configuration.roster.network,
                origin: configuration.nodeID,
                epoch: epoch,
                group: group,
                seq: (head?.seq ?? 0) + 1,
                prevHash: head?.headerHash ?? BatchHeader.zeroHash,
                leaves: leaves,
                signingKey: configuration.signingKey
            )
            do throws(BatchRejection) {
                try batch.checkLimits(configuration.limits)
            } catch {
                throw ReplicaError(.tooLarge, "the transaction is too large for one batch (\(error.reason)); split it")
            }
            try BatchStore.store(batch, leaves: leaves, receivedAt: configuration.wallClock(), db: db)
            try BatchStore.purgeErased(applier.erased, db: db)
            try Self.saveClock(clock, db)
            return (batch, !applier.erased.isEmpty)
        }
    }

    /// Creates one record, with the entries of its lists, in its own transaction and returns
    /// its id.
    public func create(
        _ kind: RecordKind, in group: GroupID, _ fields: [FieldWrite], sets: [SetEdit] = [], auditedAs actor: AuditActor? = nil
    ) throws -> RecordID {
        var id: RecordID?
        try transact(in: group, auditedAs: actor) { id = $0.create(kind, fields, sets: sets) }
        return id!
    }

    /// Updates fields and lists of one record in its own transaction.
    public func update(_ id: RecordID, _ fields: [FieldWrite], sets: [SetEdit] = [], auditedAs actor: AuditActor? = nil) throws {
        try transact(in: try liveGroup(of: id), auditedAs: actor) { $0.update(id, fields, sets: sets) }
    }

    /// Erases one record in its own transaction.
    public func erase(_ id: RecordID, reason: String, auditedAs actor: AuditActor? = nil) throws {
        // The caller's input is judged before the record's state: a malformed reason is the
        // same refusal whether or not the record is still live.
        guard Self.isValidReasonCode(reason) else { throw Self.malformedReason }
        try transact(in: try liveGroup(of: id), auditedAs: actor) { $0.erase(id, reason: reason) }
    }

    static let malformedReason = ReplicaError(.invalid, "the erasure reason must be a code of 1 to 64 lowercase letters, digits, '_' or '-'", field: "reason")

    /// Appends a hit or note in its own transaction, in the group of the record it refers to.
    public func append(_ kind: RecordKind, _ fields: [FieldWrite], auditedAs actor: AuditActor? = nil) throws -> RecordID {
        guard let target = RecordKind.parentRecordID(in: fields), let targetID = RecordID(target) else {
            throw ReplicaError(.invalid, "a \(kind.rawValue) needs record_id set to the id of the record it is about")
        }
        // A request's thread and a review's decision have their own checks (`act`, `keep`).
        guard kind != .requestEntry, kind != .review else {
            throw ReplicaError(.invalid, "a \(kind) is written by its own command (pccc request, pccc review), not appended by hand")
        }
        // The caller's input is judged before the target's state (its transaction checks again).
        let known = try kindSchema(kind)
        if known.isAppendOnly { try validate(fields, kind: known, isCreate: true, byNode: false) }
        var id: RecordID?
        try transact(in: try liveGroup(of: targetID), auditedAs: actor) { id = $0.append(kind, fields) }
        return id!
    }

    /// The audit entry of one local change: the fields it wrote, never their values, so an
    /// erasure leaves no personal data behind in the log.
    static func auditEvent(for change: Change, group: GroupID, actor: AuditActor) -> AuditEvent {
        let id = change.recordID.description
        switch change.operation {
        case .create(let writes):
            let fields = auditedFields(writes).joined(separator: ", ")
            return AuditEvent(
                user: actor.user, action: "create", recordIDs: [id], purpose: actor.purpose, detail: "\(change.kind) in group \(group): \(fields)")
        case .update(let writes):
            let set = auditedFields(writes.filter { $0.value != nil })
            let cleared = auditedFields(writes.filter { $0.value == nil })
            var detail = "\(change.kind): set " + (set.isEmpty ? "nothing" : set.joined(separator: ", "))
            if !cleared.isEmpty { detail += "; cleared " + cleared.joined(separator: ", ") }
            return AuditEvent(user: actor.user, action: "change", recordIDs: [id], purpose: actor.purpose, detail: detail)
        case .erase(let reason):
            return AuditEvent(user: actor.user, action: "erase", recordIDs: [id], purpose: actor.purpose, detail: "\(change.kind), reason \(reason)")
        case .append(let writes):
            let parent = RecordKind.parentRecordID(in: writes)
            // A request's thread step says which step it is (no value of the record is logged).
            let step = change.kind == RecordKind.requestEntry.rawValue ? writes.first { $0.field == "type" }?.value.map { " (\($0))" } ?? "" : ""
            return AuditEvent(
                user: actor.user, action: "create", recordIDs: [id] + (parent.map { [$0] } ?? []), purpose: actor.purpose,
                detail: "\(change.kind)\(step) on \(parent ?? "no record")"
            )
        }
    }

    /// The fields of writes as the audit log names them: a list once, however many of its
    /// entries were written.
    private static func auditedFields(_ writes: [FieldWrite]) -> [String] {
        distinct(writes.map { SetElementKey($0.field)?.field ?? $0.field })
    }

    /// The group of the live record `id`, or why there is none.
    public func liveGroup(of id: RecordID) throws -> GroupID {
        try writer.read { db in try locate(id, db: db).group }
    }

    /// The schema of `kind`, or a refusal naming the kinds this node knows.
    func kindSchema(_ kind: RecordKind) throws -> KindSchema {
        guard let known = tables.schema[kind] else {
            throw ReplicaError(
                .invalid,
                "this node's record schema (version \(tables.schema.version)) has no kind \(kind); its kinds are \(tables.schema.kinds.map(\.kind.rawValue).joined(separator: ", "))",
                field: "kind")
        }
        return known
    }

    /// Finds a live record's kind and group, or says why there is none.
    func locate(_ id: RecordID, db: Database) throws -> (kind: KindSchema, group: GroupID) {
        if let held = try ChangeApplier.heldRecord(anyKindID: id.description, tables: tables, db: db) { return held }
        if try ChangeApplier.isErased(anyKindID: id.description, db: db) {
            throw ReplicaError(.erased, "record \(id) has been erased")
        }
        throw ReplicaError(.notFound, "no record has id \(id)")
    }

    private func change(for step: LocalTransaction.Step, hlc: HybridTimestamp, group: GroupID, byNode: Bool, db: Database) throws -> Change {
        switch step {
        case .create(let name, let id, let writes, let sets):
            let kind = try kindSchema(name)
            guard !kind.isAppendOnly else {
                throw ReplicaError(.invalid, "a \(kind.kind) is appended, not created")
            }
            try validate(writes, kind: kind, isCreate: true, byNode: byNode)
            try validate(sets, kind: kind, isCreate: true)
            if kind.kind == .link { try checkLinkEnds(writes, group: group, db: db) }
            let elements = sets.flatMap { edit in
                Self.distinct(edit.add).map { FieldWrite(SetElementKey(field: edit.field, tag: SetElementKey.randomTag()).writeField, $0) }
            }
            if kind.kind == .request {
                let me = configuration.nodeID
                guard writes.contains(FieldWrite("from_node", me.rawValue)) else {
                    throw ReplicaError(.notAllowed, "a request made here is from this centre: from_node must be \(me)")
                }
                let toNode = writes.first { $0.field == "to_node" }?.value ?? ""
                try requirePermitted(writes, fromNode: me.rawValue, toNode: toNode)
            }
            return Change(kind: kind.kind.rawValue, recordID: id, hlc: hlc, operation: .create(writes + elements))
        case .update(let id, let writes, let sets):
            let (kind, recordGroup) = try locate(id, db: db)
            try requireGroup(recordGroup, group, id)
            guard !kind.isAppendOnly else {
                throw ReplicaError(.invalid, "a \(kind.kind) is append-only and cannot be changed")
            }
            guard !writes.isEmpty || !sets.isEmpty else { throw ReplicaError(.invalid, "the update of \(id) sets no field") }
            try validate(writes, kind: kind, isCreate: false, byNode: byNode)
            try validate(sets, kind: kind, isCreate: false)
            let elements = try elementWrites(for: sets, of: id, kind: kind, db: db)
            guard !writes.isEmpty || !elements.isEmpty else {
                throw ReplicaError(.invalid, "the update of \(id) changes nothing: its lists already hold every entry it adds")
            }
            if kind.kind == .request {
                let row = try Row.fetchOne(db, sql: "SELECT from_node, to_node, status FROM request WHERE id = ?", arguments: [id.description])
                // The node's own acknowledgement still lands on a request closed meanwhile.
                guard byNode || row?["status"] as String? != "closed" else {
                    throw ReplicaError(.notAllowed, "request \(id) is closed; nothing in it changes any more")
                }
                try requirePermitted(writes, fromNode: row?["from_node"] ?? "", toNode: row?["to_node"] ?? "")
            }
            return Change(kind: kind.kind.rawValue, recordID: id, hlc: hlc, operation: .update(writes + elements))
        case .erase(let id, let reason):
            let (kind, recordGroup) = try locate(id, db: db)
            try requireGroup(recordGroup, group, id)
            let owner = try NodeID.fetchOne(db, sql: "SELECT origin FROM \"\(kind.tableName)\" WHERE id = ?", arguments: [id.description])
            guard owner == configuration.nodeID else {
                throw ReplicaError(
                    .notAllowed,
                    "record \(id) belongs to \(owner?.rawValue ?? "another centre"), which alone erases it; ask it to with `pccc record request-erasure`"
                )
            }
            guard Self.isValidReasonCode(reason) else { throw Self.malformedReason }
            return Change(kind: kind.kind.rawValue, recordID: id, hlc: hlc, operation: .erase(reason: reason))
        case .append(let name, let id, let writes):
            let kind = try kindSchema(name)
            guard kind.isAppendOnly else {
                throw ReplicaError(.invalid, "a \(kind.kind) is created, not appended")
            }
            try validate(writes, kind: kind, isCreate: true, byNode: byNode)
            if let target = RecordKind.parentRecordID(in: writes) {
                guard let targetID = RecordID(target) else {
                    throw ReplicaError(.invalid, "record_id \(target) is not a record id", field: "record_id")
                }
                try requireGroup(try locate(targetID, db: db).group, group, targetID)
            }
            return Change(kind: kind.kind.rawValue, recordID: id, hlc: hlc, operation: .append(writes))
        }
    }

    private func validate(_ edits: [SetEdit], kind: KindSchema, isCreate: Bool) throws {
        do {
            try RecordValidation.check(edits, kind: kind, isCreate: isCreate)
        } catch {
            throw ReplicaError(.invalid, error.reason, field: error.field)
        }
    }

    /// The element writes of list edits to a held record: a new tag for each value added that
    /// the list does not hold yet, and a removal of every tag this node holds with a value
    /// removed; a value removed that the list does not hold is refused.
    ///
    /// An edit whose writes to one list would pass the bound one change counts (a value held
    /// under very many tags), or that leaves a list more entries than its column shows, is
    /// refused rather than applied in part.
    private func elementWrites(for edits: [SetEdit], of id: RecordID, kind: KindSchema, db: Database) throws -> [FieldWrite] {
        var writes: [FieldWrite] = []
        for edit in edits {
            let live = try Row.fetchAll(
                db, sql: "SELECT tag, value FROM set_element WHERE kind = ? AND record_id = ? AND field = ? AND value IS NOT NULL",
                arguments: [kind.kind.rawValue, id.description, edit.field])
            var held = Set(live.map { $0["value"] as String })
            var fieldWrites: [FieldWrite] = []
            for value in Self.distinct(edit.remove) {
                guard held.remove(value) != nil else {
                    throw ReplicaError(.invalid, "\(edit.field) of \(id) holds no entry \"\(value)\"", field: edit.field)
                }
                for row in live where row["value"] as String == value {
                    fieldWrites.append(FieldWrite(SetElementKey(field: edit.field, tag: row["tag"]).writeField, nil))
                }
            }
            for value in Self.distinct(edit.add) where held.insert(value).inserted {
                fieldWrites.append(FieldWrite(SetElementKey(field: edit.field, tag: SetElementKey.randomTag()).writeField, value))
            }
            guard fieldWrites.count <= ChangeApplier.maxElementWritesPerChange else {
                throw ReplicaError(
                    .invalid, "this edit of \(edit.field) writes \(fieldWrites.count) entries, more than one change holds; remove fewer at a time",
                    field: edit.field)
            }
            guard held.count <= ChangeApplier.maxShownElements else {
                throw ReplicaError(
                    .invalid, "a list holds at most \(ChangeApplier.maxShownElements) entries; remove some of \(edit.field) first", field: edit.field)
            }
            writes += fieldWrites
        }
        return writes
    }

    /// `values` without repeats, in their first order.
    private static func distinct(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }

    /// A link joins two live records of its own group, and not a record to itself; `same_as`
    /// and `not_same` join two records of one kind.
    private func checkLinkEnds(_ writes: [FieldWrite], group: GroupID, db: Database) throws {
        var ends: [RecordID] = []
        var kinds: [RecordKind] = []
        for field in ["from_id", "to_id"] {
            let text = writes.first { $0.field == field }?.value ?? ""
            guard let end = RecordID(text) else { throw ReplicaError(.invalid, "\(field) \(text) is not a record id", field: field) }
            let (kind, endGroup) = try locate(end, db: db)
            guard !kind.isAppendOnly, kind.kind != .link else {
                throw ReplicaError(.invalid, "a link joins records, not a \(kind.kind)", field: field)
            }
            guard endGroup == group else {
                throw ReplicaError(.invalid, "record \(end) lives in group \(endGroup); a link joins records of its own group \(group)", field: field)
            }
            ends.append(end)
            kinds.append(kind.kind)
        }
        guard ends[0] != ends[1] else { throw ReplicaError(.invalid, "a link joins two different records", field: "to_id") }
        let role = writes.first { $0.field == "role" }?.value ?? ""
        if role == "same_as" || role == "not_same", kinds[0] != kinds[1] {
            throw ReplicaError(.invalid, "a \(role) link joins two records of one kind, not a \(kinds[0]) and a \(kinds[1])", field: "to_id")
        }
    }

    private func validate(_ writes: [FieldWrite], kind: KindSchema, isCreate: Bool, byNode: Bool) throws {
        do {
            try RecordValidation.check(writes, kind: kind, isCreate: isCreate, byNode: byNode)
        } catch {
            throw ReplicaError(.invalid, error.reason, field: error.field)
        }
    }

    /// Refuses a request write the workflow gives to the other centre.
    private func requirePermitted(_ writes: [FieldWrite], fromNode: String, toNode: String) throws {
        let me = configuration.nodeID
        for write in writes where !RequestWorkflow.permits(field: write.field, value: write.value, writer: me.rawValue, fromNode: fromNode, toNode: toNode) {
            throw ReplicaError(.notAllowed, RequestWorkflow.refusal(field: write.field, value: write.value, fromNode: fromNode, toNode: toNode))
        }
    }

    private func requireGroup(_ recordGroup: GroupID, _ group: GroupID, _ id: RecordID) throws {
        guard recordGroup == group else {
            throw ReplicaError(.invalid, "record \(id) lives in group \(recordGroup), not in this transaction's group \(group)")
        }
    }

    static func isValidReasonCode(_ reason: String) -> Bool {
        !reason.isEmpty && reason.utf8.count <= 64
            && reason.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 }
    }
}
