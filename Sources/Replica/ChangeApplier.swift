import Foundation
import GRDB
import Records
import SyncCore

/// Records erased while applying, whose stored leaves must then be redacted.
struct ErasedRecord: Hashable {
    let kind: String
    let id: String
}

/// Applies one change to the replica's tables by the merge rules. Local writes and received
/// batches both go through here, so a node merges its own writes exactly as its peers do.
struct ChangeApplier {
    let db: Database
    /// The kinds and fields this replica knows, and their statements.
    let tables: RecordTables
    let origin: NodeID
    let group: GroupID
    /// When the batch is applied, for the alarms it raises.
    let now: UInt64
    /// How many orphans one origin may leave waiting.
    let orphanLimit: Int
    private(set) var erased: [ErasedRecord] = []
    /// Whether `tombstone` and `orphan_change` hold any row, learnt once per transaction. Both
    /// are empty on most replicas, so this saves a lookup per change; only this applier writes
    /// to them while its transaction lasts.
    private var tombstonesExist: Bool?
    private var orphansExist: Bool?
    /// Whether this batch's origin reached its orphan bound.
    private var orphansFull = false
    /// Whether the batch is a stored one applied again because the schema grew (§5.11).
    let isReapplying: Bool
    /// The node applying: an erased request it sent or received leaves its counted facts.
    let localNode: NodeID

    init(
        db: Database, tables: RecordTables, origin: NodeID, group: GroupID, now: UInt64, orphanLimit: Int, localNode: NodeID,
        isReapplying: Bool = false
    ) {
        self.localNode = localNode
        self.db = db
        self.tables = tables
        self.isReapplying = isReapplying
        self.origin = origin
        self.group = group
        self.now = now
        self.orphanLimit = orphanLimit
    }

    /// Applies `change`. What the rules of docs/PROTOCOL.md §5.7 do not let the batch's origin do
    /// (an unknown kind or field, a value outside its allowed set, another group's record, a
    /// bound id made for another stream, a workflow step of another centre, an erasure by
    /// anyone but the owner) is ignored the same way on every replica.
    mutating func apply(_ change: Change) throws {
        guard let kind = tables.schema.kind(named: change.kind) else { return }
        let id = change.recordID.description
        let stamp = WriteStamp(hlc: change.hlc, origin: origin)
        let binding = RecordBinding(origin: origin, group: group, kind: kind.kind.rawValue)
        switch change.operation {
        case .erase(let reason):
            guard try mayErase(kind: kind, recordID: change.recordID, binding: binding) else { return }
            try erase(kind: kind, id: id, stamp: stamp, reason: reason, group: group)
        case .create(let writes):
            guard !kind.isAppendOnly, try mayCreate(kind: kind, recordID: change.recordID, binding: binding, writes: writes),
                try !isErased(kind: kind, id: id)
            else { return }
            if try insertIfAbsent(kind: kind, id: id, stamp: stamp, writes: writes) {
                try replayOrphans(kind: kind, id: id)
            } else if let existing = try recordGroup(kind: kind, id: id), existing == group {
                // The owner's create met again (applied once by a replica that did not know all
                // of its fields, now applied in full): its fields still count as set at creation.
                try merge(writes, kind: kind, id: id, stamp: stamp, asCreateBy: origin)
            }
        case .update(let writes):
            guard !kind.isAppendOnly, try !isErased(kind: kind, id: id) else { return }
            if let existing = try recordGroup(kind: kind, id: id) {
                guard existing == group else { return }
                try merge(writes, kind: kind, id: id, stamp: stamp)
            } else {
                // Another origin's update can outrun the create through other relays; keep it
                // until the create arrives and decides the record's group and owner.
                // Once per change: a batch applied again (§5.11) does not wait twice.
                try keepOrphan(
                    sql: """
                        INSERT INTO orphan_change (kind, record_id, sharing_group, origin, hlc, body)
                        SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS (
                            SELECT 1 FROM orphan_change WHERE kind = ?1 AND record_id = ?2 AND origin = ?4 AND hlc = ?5 AND body = ?6)
                        """,
                    arguments: [kind.kind.rawValue, id, group, origin, Int64(change.hlc.rawValue), Data(change.encodedBody)]
                )
            }
        case .append(let writes):
            guard kind.isAppendOnly, change.recordID.isBound ? change.recordID.isBound(to: binding) : kind.acceptsUnboundIDs,
                try !isErased(kind: kind, id: id), let parentID = RecordKind.parentRecordID(in: writes)
            else { return }
            // The hits and notes of an erased record are dropped, not buried: a node may only ever
            // see them redacted, so no tombstone of theirs could be made the same everywhere.
            if try anyTombstones(), try Self.isErased(anyKindID: parentID, db: db) { return }
            if let parent = try heldRecord(anyKindID: parentID) {
                guard parent.group == group, try mayAppend(kind: kind, writes, by: origin, to: parent.kind, parentID),
                    try insertIfAbsent(kind: kind, id: id, stamp: stamp, writes: writes)
                else { return }
                try replayOrphanAppends(parentID: id)
            } else {
                // The record it is about has not arrived: its group is unknown until it does.
                try keepOrphan(
                    sql: """
                        INSERT OR IGNORE INTO orphan_append (parent_id, kind, record_id, sharing_group, origin, hlc, body)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [parentID, kind.kind.rawValue, id, group, origin, Int64(change.hlc.rawValue), Data(change.encodedBody)]
                )
            }
        }
    }

    // MARK: What a change may touch

    /// A bound id is created only by the stream it was made for. An unbound id (made by an
    /// earlier release) is created unless it is held under another kind. A request is created
    /// only by the centre it names as `from_node`.
    private func mayCreate(kind: KindSchema, recordID: RecordID, binding: RecordBinding, writes: [FieldWrite]) throws -> Bool {
        if recordID.isBound {
            guard recordID.isBound(to: binding) else { return false }
        } else if !kind.acceptsUnboundIDs {
            // Only releases before bound ids made unbound ones, and they knew only version 1's kinds.
            return false
        } else if let held = try heldRecord(anyKindID: recordID.description), held.kind.kind != kind.kind {
            return false
        }
        if kind.kind == .request {
            // A centre asks another: a request to itself would let it write both sides' steps.
            return writes.contains(FieldWrite("from_node", origin.rawValue)) && !writes.contains(FieldWrite("to_node", origin.rawValue))
        }
        return true
    }

    /// Only the record's owner erases it, in the record's group. A bound id says who that is by
    /// itself; for an unbound id the held row does, and an unbound record not held here is
    /// erased as earlier releases did.
    private func mayErase(kind: KindSchema, recordID: RecordID, binding: RecordBinding) throws -> Bool {
        if recordID.isBound { return recordID.isBound(to: binding) }
        if let held = try heldRecord(anyKindID: recordID.description), held.kind.kind != kind.kind { return false }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT origin, sharing_group FROM \"\(kind.tableName)\" WHERE id = ?"),
                arguments: [recordID.description]
            )
        else { return true }
        return row["origin"] == origin && row["sharing_group"] == group
    }

    /// A request's thread entry counts only on a request, and only from the centre its step
    /// belongs to (a receipt from either centre; the thread's fold judges it further). A
    /// review's decision counts only from the record's owner. Other appended kinds count on
    /// any record.
    private func mayAppend(kind: KindSchema, _ writes: [FieldWrite], by author: NodeID, to parent: KindSchema, _ parentID: String) throws -> Bool {
        if kind.kind == .review {
            // A review's decision is the record's owner's alone, on a record reviewed on its own.
            guard !parent.isAppendOnly else { return false }
            let owner = try NodeID.fetchOne(db.cachedStatement(sql: "SELECT origin FROM \"\(parent.tableName)\" WHERE id = ?"), arguments: [parentID])
            return owner == author
        }
        guard kind.kind == .requestEntry else { return true }
        guard parent.kind == .request,
            let step = writes.first(where: { $0.field == "type" })?.value.flatMap(RequestEntry.Step.init(rawValue:)),
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT from_node, to_node FROM request WHERE id = ?"), arguments: [parentID])
        else { return false }
        let from: String? = row["from_node"]
        let to: String? = row["to_node"]
        switch step.party {
        case .requester: return author.rawValue == from
        case .requested: return author.rawValue == to
        case nil: return author.rawValue == from || author.rawValue == to
        }
    }

    /// Whether the write counts coming from `writer`: a request's workflow fields count only
    /// from the centre the workflow gives them to.
    private static func isPermitted(_ write: FieldWrite, kind: KindSchema, writer: NodeID, fromNode: String?, toNode: String?) -> Bool {
        kind.kind != .request || RequestWorkflow.permits(field: write.field, value: write.value, writer: writer.rawValue, fromNode: fromNode, toNode: toNode)
    }

    /// ``heldRecord(anyKindID:tables:db:)`` in this applier's transaction.
    func heldRecord(anyKindID id: String) throws -> (kind: KindSchema, group: GroupID)? {
        try Self.heldRecord(anyKindID: id, tables: tables, db: db)
    }

    /// The kind and group of the live record with this id, whatever its kind: one statement
    /// over every kind's table.
    static func heldRecord(anyKindID id: String, tables: RecordTables, db: Database) throws -> (kind: KindSchema, group: GroupID)? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: tables.heldRecordSQL), arguments: [id]),
            let kind = tables.schema.kind(named: row["kind"])
        else { return nil }
        return (kind, row["sharing_group"])
    }

    /// Whether this record of this kind has a tombstone.
    static func hasTombstone(kind: String, id: String, db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM tombstone WHERE kind = ? AND record_id = ?"), arguments: [kind, id]) ?? false
    }

    /// Keeps a change whose record has not arrived, unless its origin already has `orphanLimit`
    /// waiting: then it is dropped with an alarm, so no member can fill the disk with changes
    /// to records that never come. A batch applied again from the store (§5.11) keeps all of
    /// them: which it meets first must not decide what is kept, and the store bounds them.
    private mutating func keepOrphan(sql: String, arguments: StatementArguments) throws {
        if isReapplying {
            try db.cachedStatement(sql: sql).execute(arguments: arguments)
            orphansExist = true
            return
        }
        // Counted once per batch after the origin is full, not once per change.
        guard !orphansFull else { return }
        let waiting =
            try Int.fetchOne(
                db.cachedStatement(
                    sql: "SELECT (SELECT COUNT(*) FROM orphan_change WHERE origin = ?1) + (SELECT COUNT(*) FROM orphan_append WHERE origin = ?1)"
                ),
                arguments: [origin]
            ) ?? 0
        guard waiting < orphanLimit else {
            orphansFull = true
            try Replica.raiseAlarm(
                code: "orphans_full",
                subject: origin.rawValue,
                message: "\(origin) sent \(waiting) changes to records this node does not hold; further ones are dropped",
                now: now,
                db: db
            )
            return
        }
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
        orphansExist = true
    }

    // MARK: Records

    private func recordGroup(kind: KindSchema, id: String) throws -> GroupID? {
        try GroupID.fetchOne(
            db.cachedStatement(sql: "SELECT sharing_group FROM \"\(kind.tableName)\" WHERE id = ?"),
            arguments: [id]
        )
    }

    /// Inserts a new record and returns true, or returns false when a record of that id is
    /// already held (the caller merges into it): one statement instead of a lookup first.
    @discardableResult
    private func insertIfAbsent(kind: KindSchema, id: String, stamp: WriteStamp, writes: [FieldWrite]) throws -> Bool {
        let toNode = kind.kind == .request ? writes.first { $0.field == "to_node" }?.value : nil
        let accepted = writes.filter { write in
            guard let spec = kind.field(named: write.field), spec.mergeClass != .set, Self.isAllowed(write.value, spec),
                Self.isPermitted(write, kind: kind, writer: stamp.origin, fromNode: stamp.origin.rawValue, toNode: toNode)
            else { return false }
            let incoming = StampedValue(value: write.value, stamp: stamp)
            return MergeRule.incomingWins(spec.mergeClass, current: nil, incoming: incoming, recordOrigin: stamp.origin, isCreate: true)
        }
        var values: [String: String] = [:]
        for write in accepted { values[write.field] = write.value }
        let createdAt = Timestamps.iso8601(milliseconds: stamp.hlc.milliseconds)
        try db.cachedStatement(sql: tables.insertSQL[kind.kind]!).executeBinding { binder in
            binder.bind(id)
            binder.bind(group)
            binder.bind(stamp.origin)
            binder.bind(createdAt)
            if accepted.isEmpty {
                binder.bindNull()
                binder.bindNull()
            } else {
                binder.bind(bytes: FieldClocks.encoded(accepted.map(\.field), stampedWith: stamp))
                binder.bind(Int64(bitPattern: stamp.hlc.rawValue))
            }
            for field in kind.fields { binder.bind(values[field.name]) }
        }
        guard db.changesCount > 0 else { return false }
        if !kind.setFields.isEmpty, try mergeElements(writes, kind: kind, id: id, stamp: stamp) == true {
            // The sets' columns were written after the insert; the index reads the row.
            try reindexNames(kind: kind, id: id)
            if Self.writesKeyedField(writes, of: kind) { try rekey(kind: kind, id: id) }
            return true
        }
        if Self.writesKeyedField(writes, of: kind) { try rekey(kind: kind, id: id) }
        // The new row holds exactly the accepted values, so they are indexed without reading it back.
        if !kind.searchableFields.isEmpty {
            let keys = NameIndex.keys(kind: kind, values: values)
            if try !NameIndex.insertNew(kind: kind, id: id, keys: keys, db: db) {
                try NameIndex.set(kind: kind, id: id, keys: keys, db: db)
            }
        }
        return true
    }

    /// The most writes one change makes to the elements of one set field; the rest are
    /// ignored, alike everywhere, so no change makes a node rewrite a set without bound.
    static let maxElementWritesPerChange = 256
    /// The most values a set's column shows: the first in bytewise order, so a set any member
    /// can grow never makes its column, its index keys or its rewrite unbounded.
    static let maxShownElements = 256

    /// Merges a change's writes to set elements (`FIELD#TAG`) into `set_element` by the set
    /// rule, then rewrites each changed set's column and each set's field clock. Returns nil
    /// when no element write counted (the row is untouched), else whether a searchable set
    /// changed.
    private func mergeElements(_ writes: [FieldWrite], kind: KindSchema, id: String, stamp: WriteStamp) throws -> Bool? {
        var writesPerField: [String: Int] = [:]
        var met = Set<String>()
        var changed = Set<String>()
        for write in writes {
            guard let key = SetElementKey(write.field), let spec = kind.field(named: key.field), spec.mergeClass == .set else { continue }
            // Every well-formed write counts towards the bound, whatever the schema allows yet,
            // so the writes that count are the same at every node and after a schema grows.
            writesPerField[key.field, default: 0] += 1
            guard writesPerField[key.field]! <= Self.maxElementWritesPerChange, (write.value?.utf8.count ?? 0) <= RecordValidation.maxEntryBytes,
                Self.isAllowed(write.value, spec)
            else { continue }
            met.insert(key.field)
            let held = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT value, hlc, origin FROM set_element WHERE kind = ? AND record_id = ? AND field = ? AND tag = ?"),
                arguments: [kind.kind.rawValue, id, key.field, key.tag]
            ).map { row in
                let hlc: Int64 = row["hlc"]
                return StampedValue(value: row["value"], stamp: WriteStamp(hlc: HybridTimestamp(rawValue: UInt64(bitPattern: hlc)), origin: row["origin"]))
            }
            let incoming = StampedValue(value: write.value, stamp: stamp)
            guard MergeRule.incomingWins(.set, current: held, incoming: incoming, recordOrigin: nil, isCreate: false) else { continue }
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO set_element (kind, record_id, field, tag, value, hlc, origin) VALUES (?, ?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [kind.kind.rawValue, id, key.field, key.tag, write.value, Int64(bitPattern: stamp.hlc.rawValue), stamp.origin])
            changed.insert(key.field)
        }
        guard !met.isEmpty else { return nil }
        guard
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, field_clocks FROM \"\(kind.tableName)\" WHERE id = ?"), arguments: [id])
        else { return false }
        // A set's clock (its provenance) is the greatest stamp of an element write of it met,
        // changed or not: the same at every node once every write is met, in whatever order.
        var clocks = try FieldClocks(storedIn: row)
        for field in met where clocks.stamps[field].map({ $0 < stamp }) ?? true { clocks.stamp([field], with: stamp) }
        let fields = changed.sorted()
        var values: [String?] = []
        for field in fields {
            let live = try String.fetchAll(
                db.cachedStatement(
                    sql: "SELECT DISTINCT value FROM set_element WHERE kind = ? AND record_id = ? AND field = ? AND value IS NOT NULL ORDER BY value LIMIT ?"),
                arguments: [kind.kind.rawValue, id, field, Self.maxShownElements])
            values.append(SetValue.encode(live))
        }
        let assignments = fields.map { "\"\($0)\" = ?, " }.joined()
        try db.cachedStatement(sql: "UPDATE \"\(kind.tableName)\" SET \(assignments)field_clocks = ?, last_hlc = ? WHERE id = ?")
            .executeBinding { binder in
                for value in values { binder.bind(value) }
                binder.bind(bytes: clocks.encoded)
                binder.bind(Int64(bitPattern: (clocks.latest ?? stamp).hlc.rawValue))
                binder.bind(id)
            }
        return fields.contains { kind.searchableFields.contains($0) }
    }

    /// Merges writes into an existing record. A create never comes here for a new record, so
    /// immutable fields are never overwritten.
    private mutating func merge(_ writes: [FieldWrite], kind: KindSchema, id: String, stamp: WriteStamp, asCreateBy creator: NodeID? = nil) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM \"\(kind.tableName)\" WHERE id = ?"), arguments: [id]) else {
            return
        }
        let recordOrigin: NodeID = row["origin"]
        let isCreate = creator == recordOrigin
        let clocks = try FieldClocks(storedIn: row)
        var winners: [FieldWrite] = []
        let fromNode: String? = kind.kind == .request ? row["from_node"] : nil
        let toNode: String? = kind.kind == .request ? row["to_node"] : nil
        for write in writes {
            guard let spec = kind.field(named: write.field), spec.mergeClass != .set, Self.isAllowed(write.value, spec),
                Self.isPermitted(write, kind: kind, writer: stamp.origin, fromNode: fromNode, toNode: toNode)
            else { continue }
            let current = clocks.stamps[write.field].map { StampedValue(value: row[write.field], stamp: $0) }
            // Who a request is between decides which writes and steps count, so the first create
            // in its stream fixes it: a second create never re-addresses it. (Both fields are of
            // version 1 with no allowed set, so every node knows them from the first apply.)
            if isCreate, kind.kind == .request, write.field == "to_node" || write.field == "from_node", current != nil { continue }
            let incoming = StampedValue(value: write.value, stamp: stamp)
            if MergeRule.incomingWins(spec.mergeClass, current: current, incoming: incoming, recordOrigin: recordOrigin, isCreate: isCreate) {
                winners.append(write)
            }
        }
        let setsChanged = kind.setFields.isEmpty ? nil : try mergeElements(writes, kind: kind, id: id, stamp: stamp)
        if setsChanged == true { try reindexNames(kind: kind, id: id) }
        if !winners.isEmpty { try store(winners, kind: kind, id: id, stamp: stamp, clocks: clocks, rewrittenBySets: setsChanged != nil) }
        // The match keys are read back from the row, once every write landed.
        if Self.writesKeyedField(writes, of: kind) { try rekey(kind: kind, id: id) }
    }

    /// Writes the plain fields that won into the record's row, with their clocks.
    private func store(
        _ winners: [FieldWrite], kind: KindSchema, id: String, stamp: WriteStamp, clocks held: FieldClocks, rewrittenBySets: Bool
    )
        throws
    {
        var clocks = held
        if rewrittenBySets {
            // The sets' merge rewrote the row's clocks: merge the plain writes into those.
            guard let fresh = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, field_clocks FROM \"\(kind.tableName)\" WHERE id = ?"), arguments: [id])
            else { return }
            clocks = try FieldClocks(storedIn: fresh)
        }
        clocks.stamp(winners.map(\.field), with: stamp)
        let assignments = winners.map { "\"\($0.field)\" = ?" }.joined(separator: ", ")
        try db.cachedStatement(sql: "UPDATE \"\(kind.tableName)\" SET \(assignments), field_clocks = ?, last_hlc = ? WHERE id = ?")
            .executeBinding { binder in
                for write in winners { binder.bind(write.value) }
                binder.bind(bytes: clocks.encoded)
                binder.bind(Int64(bitPattern: (clocks.latest ?? stamp).hlc.rawValue))
                binder.bind(id)
            }
        if winners.contains(where: { kind.searchableFields.contains($0.field) }) {
            try reindexNames(kind: kind, id: id)
        }
    }

    /// Applies the changes that waited for this record's create: its updates, then the hits and
    /// notes about it.
    private mutating func replayOrphans(kind: KindSchema, id: String) throws {
        guard try anyOrphans() else { return }
        try replayOrphanUpdates(kind: kind, id: id)
        try replayOrphanAppends(parentID: id)
    }

    private mutating func replayOrphanUpdates(kind: KindSchema, id: String) throws {
        let orphans = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT sharing_group, origin, body FROM orphan_change WHERE kind = ? AND record_id = ? ORDER BY hlc, origin, rowid"),
            arguments: [kind.kind.rawValue, id]
        )
        guard !orphans.isEmpty, let recordID = RecordID(id) else { return }
        try db.execute(sql: "DELETE FROM orphan_change WHERE kind = ? AND record_id = ?", arguments: [kind.kind.rawValue, id])
        for orphan in orphans where orphan["sharing_group"] as GroupID == group {
            let body: Data = orphan["body"]
            guard let change = try? Change.decode(kind: kind.kind.rawValue, recordID: recordID, body: Array(body)) else { continue }
            let stamp = WriteStamp(hlc: change.hlc, origin: orphan["origin"])
            try merge(change.fieldWrites, kind: kind, id: id, stamp: stamp)
        }
    }

    /// Inserts the hits and notes that waited for the record `parentID` (of this batch's group,
    /// which the record just joined), then those about each of them in turn.
    private mutating func replayOrphanAppends(parentID: String) throws {
        guard try anyOrphans() else { return }
        var parents = [parentID]
        while let parent = parents.popLast() {
            let orphans = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT kind, record_id, sharing_group, origin, body FROM orphan_append WHERE parent_id = ? ORDER BY hlc, origin, record_id"),
                arguments: [parent]
            )
            guard !orphans.isEmpty else { continue }
            try db.execute(sql: "DELETE FROM orphan_append WHERE parent_id = ?", arguments: [parent])
            for orphan in orphans where orphan["sharing_group"] as GroupID == group {
                let body: Data = orphan["body"]
                guard let kind = tables.schema.kind(named: orphan["kind"]), let recordID = RecordID(orphan["record_id"] as String),
                    let change = try? Change.decode(kind: kind.kind.rawValue, recordID: recordID, body: Array(body))
                else { continue }
                let stamp = WriteStamp(hlc: change.hlc, origin: orphan["origin"])
                guard let parentKind = try heldRecord(anyKindID: parent)?.kind,
                    try mayAppend(kind: kind, change.fieldWrites, by: stamp.origin, to: parentKind, parent)
                else { continue }
                if try insertIfAbsent(kind: kind, id: recordID.description, stamp: stamp, writes: change.fieldWrites) {
                    parents.append(recordID.description)
                }
            }
        }
    }

    private mutating func anyOrphans() throws -> Bool {
        if let orphansExist { return orphansExist }
        let exist =
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM orphan_change) OR EXISTS (SELECT 1 FROM orphan_append)")
            ) ?? false
        orphansExist = exist
        return exist
    }

    /// Whether any of `writes` (a field, or an element of a list) feeds the record's match keys.
    private static func writesKeyedField(_ writes: [FieldWrite], of kind: KindSchema) -> Bool {
        guard MatchKeys.fields[kind.kind] != nil else { return false }
        return writes.contains { MatchKeys.isKeyed(kind.kind, SetElementKey($0.field)?.field ?? $0.field) }
    }

    /// Brings the record's rows in `match_key` up to date with its row.
    private func rekey(kind: KindSchema, id: String) throws {
        guard let keyed = MatchKeys.fields[kind.kind]?.filter({ kind.field(named: $0.field) != nil }), !keyed.isEmpty else { return }
        let columns = (["sharing_group", "origin"] + keyed.map(\.field)).map { "\"\($0)\"" }.joined(separator: ", ")
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM \"\(kind.tableName)\" WHERE id = ?"), arguments: [id]) else {
            return
        }
        var values: [String: String] = [:]
        for (field, _) in keyed { values[field] = row[field] }
        let group: String = row["sharing_group"]
        let origin: String = row["origin"]
        try db.cachedStatement(sql: "DELETE FROM match_key WHERE kind = ? AND record_id = ?").execute(arguments: [kind.kind.rawValue, id])
        for key in MatchKeys.keys(kind: kind.kind, values: values) {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO match_key (key, kind, record_id, sharing_group, origin) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [key, kind.kind.rawValue, id, group, origin])
        }
    }

    /// Brings the record's search keys in `name_key` and `name_index` up to date with its row.
    private func reindexNames(kind: KindSchema, id: String) throws {
        guard !kind.searchableFields.isEmpty else { return }
        let columns = kind.searchableFields.map { "\"\($0)\"" }.joined(separator: ", ")
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM \"\(kind.tableName)\" WHERE id = ?"), arguments: [id]) else {
            return
        }
        try NameIndex.set(kind: kind, id: id, keys: NameIndex.keys(kind: kind, row: row), db: db)
    }

    private static func isAllowed(_ value: String?, _ spec: FieldSpec) -> Bool {
        guard let value, let allowed = spec.allowedValues else { return true }
        return allowed.contains(value)
    }

    // MARK: Erasure

    /// The stamp of the erasure that won for this record, if it was erased.
    private func erasureStamp(kind: KindSchema, id: String) throws -> WriteStamp? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT hlc, origin FROM tombstone WHERE kind = ? AND record_id = ?"),
            arguments: [kind.kind.rawValue, id]
        ).map { row in
            let hlc: Int64 = row["hlc"]
            return WriteStamp(hlc: HybridTimestamp(rawValue: UInt64(hlc)), origin: row["origin"])
        }
    }

    private mutating func isErased(kind: KindSchema, id: String) throws -> Bool {
        try anyTombstones() && erasureStamp(kind: kind, id: id) != nil
    }

    private mutating func anyTombstones() throws -> Bool {
        if let tombstonesExist { return tombstonesExist }
        let exist = try Self.anyTombstones(db: db)
        tombstonesExist = exist
        return exist
    }

    /// Whether any record was ever erased here.
    static func anyTombstones(db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM tombstone)")) ?? false
    }

    /// Whether a record with this id, of any kind, was erased.
    static func isErased(anyKindID id: String, db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM tombstone WHERE record_id = ? LIMIT 1"), arguments: [id]) ?? false
    }

    /// Erasure beats every write. Of several erasures the greatest stamp is kept, with the group
    /// of the batch that carried it, so tombstones converge whatever the arrival order. The
    /// record's hits and notes go with it.
    private mutating func erase(kind: KindSchema, id: String, stamp: WriteStamp, reason: String, group: GroupID) throws {
        if let existing = try erasureStamp(kind: kind, id: id), !(existing < stamp) { return }
        try db.execute(
            sql: "INSERT OR REPLACE INTO tombstone (kind, record_id, hlc, origin, reason, sharing_group) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [kind.kind.rawValue, id, Int64(stamp.hlc.rawValue), stamp.origin, reason, group]
        )
        tombstonesExist = true
        try Replica.settleRedactions(kind: kind, id: id, db: db)
        if kind.kind == .request { try Replica.keepRequestStatistic(id, of: localNode, db: db) }
        try purge(kind: kind, id: id)
        // Everything appended about it goes too, down to notes about its hits: a node that
        // holds a note about a hit must drop it exactly as a node that meets the note later,
        // when the hit is gone, does.
        var parents = [id]
        while let parent = parents.popLast() {
            for childKind in tables.schema.appendOnlyKinds {
                for child in try String.fetchAll(db, sql: "SELECT id FROM \"\(childKind.tableName)\" WHERE record_id = ?", arguments: [parent]) {
                    try purge(kind: childKind, id: child)
                    parents.append(child)
                }
            }
        }
    }

    /// Removes every value of a record and schedules its stored leaves for redaction.
    private mutating func purge(kind: KindSchema, id: String) throws {
        try db.execute(sql: "DELETE FROM \"\(kind.tableName)\" WHERE id = ?", arguments: [id])
        if !kind.setFields.isEmpty {
            try db.execute(sql: "DELETE FROM set_element WHERE kind = ? AND record_id = ?", arguments: [kind.kind.rawValue, id])
        }
        if MatchKeys.fields[kind.kind] != nil {
            try db.execute(sql: "DELETE FROM match_key WHERE kind = ? AND record_id = ?", arguments: [kind.kind.rawValue, id])
        }
        if !kind.isAppendOnly { try db.execute(sql: "DELETE FROM import_row WHERE record_id = ?", arguments: [id]) }
        try db.execute(sql: "DELETE FROM orphan_change WHERE kind = ? AND record_id = ?", arguments: [kind.kind.rawValue, id])
        try db.execute(sql: "DELETE FROM orphan_append WHERE parent_id = ?1 OR record_id = ?1", arguments: [id])
        try NameIndex.remove(id: id, db: db)
        erased.append(ErasedRecord(kind: kind.kind.rawValue, id: id))
    }
}
