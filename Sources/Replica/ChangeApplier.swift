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
    let origin: String
    let group: String
    private(set) var erased: [ErasedRecord] = []
    /// Whether `tombstone` and `orphan_change` hold any row, learnt once per transaction. Both
    /// are empty on most replicas, so this saves a lookup per change; only this applier writes
    /// to them while its transaction lasts.
    private var tombstonesExist: Bool?
    private var orphansExist: Bool?

    init(db: Database, origin: String, group: String) {
        self.db = db
        self.origin = origin
        self.group = group
    }

    /// Applies `change`. Writes the rules ignore (unknown kind or field, a value outside its
    /// allowed set, another group's record) are dropped the same way on every replica.
    mutating func apply(_ change: Change) throws {
        guard let kind = RecordKind(rawValue: change.kind) else { return }
        let id = change.recordID.description
        let stamp = WriteStamp(hlc: change.hlc, origin: origin)
        switch change.operation {
        case .erase(let reason):
            try erase(kind: kind, id: id, stamp: stamp, reason: reason, group: group)
        case .create(let writes), .update(let writes):
            guard !kind.isAppendOnly, try !isErased(kind: kind, id: id) else { return }
            if case .create = change.operation, try insertIfAbsent(kind: kind, id: id, stamp: stamp, writes: writes) {
                try replayOrphans(kind: kind, id: id)
            } else if let existing = try recordGroup(kind: kind, id: id) {
                guard existing == group else { return }
                try merge(writes, kind: kind, id: id, stamp: stamp)
            } else {
                // Another origin's update can outrun the create through other relays; keep it
                // until the create arrives and decides the record's group and owner.
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO orphan_change (kind, record_id, sharing_group, origin, hlc, body)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [kind.rawValue, id, group, origin, Int64(change.hlc.rawValue), Data(change.encodedBody)]
                )
                orphansExist = true
            }
        case .append(let writes):
            guard kind.isAppendOnly, try !isErased(kind: kind, id: id) else { return }
            // The hits and notes of an erased record are dropped, not buried: a node may only ever
            // see them redacted, so no tombstone of theirs could be made the same everywhere.
            if let parentID = RecordKind.parentRecordID(in: writes), try anyTombstones(),
                try Self.isErased(anyKindID: parentID, db: db)
            {
                return
            }
            try insertIfAbsent(kind: kind, id: id, stamp: stamp, writes: writes)
        }
    }

    // MARK: Records

    private func recordGroup(kind: RecordKind, id: String) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT sharing_group FROM \"\(kind.rawValue)\" WHERE id = ?"),
            arguments: [id]
        )
    }

    /// Inserts a new record and returns true, or returns false when a record of that id is
    /// already held (the caller merges into it): one statement instead of a lookup first.
    @discardableResult
    private func insertIfAbsent(kind: RecordKind, id: String, stamp: WriteStamp, writes: [FieldWrite]) throws -> Bool {
        let accepted = writes.filter { write in
            guard let spec = kind.field(named: write.field), Self.isAllowed(write.value, spec) else { return false }
            let incoming = StampedValue(value: write.value, stamp: stamp)
            return MergeRule.incomingWins(spec.mergeClass, current: nil, incoming: incoming, recordOrigin: stamp.origin, isCreate: true)
        }
        var values: [String: String] = [:]
        for write in accepted { values[write.field] = write.value }
        let createdAt = Timestamps.iso8601(milliseconds: stamp.hlc.milliseconds)
        try db.cachedStatement(sql: Self.insertSQL[kind]!).executeBinding { binder in
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
        // The new row holds exactly the accepted values, so they are indexed without reading it back.
        if !kind.searchableFields.isEmpty {
            let keys = NameIndex.keys(kind: kind, values: values)
            if try !NameIndex.insertNew(kind: kind, id: id, keys: keys, db: db) {
                try NameIndex.set(kind: kind, id: id, keys: keys, db: db)
            }
        }
        return true
    }

    /// One insert per kind naming every column, so its text is built once; a field the create
    /// leaves out is bound as NULL, which is what an omitted column would hold.
    private static let insertSQL: [RecordKind: String] = Dictionary(
        uniqueKeysWithValues: RecordKind.allCases.map { kind in
            let columns = ["id", "sharing_group", "origin", "created_at", "field_clocks", "last_hlc"] + kind.fields.map(\.name)
            let names = columns.map { "\"\($0)\"" }.joined(separator: ", ")
            let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
            return (kind, "INSERT OR IGNORE INTO \"\(kind.rawValue)\" (\(names)) VALUES (\(marks))")
        }
    )

    /// Merges writes into an existing record. A create never comes here for a new record, so
    /// immutable fields are never overwritten.
    private mutating func merge(_ writes: [FieldWrite], kind: RecordKind, id: String, stamp: WriteStamp) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM \"\(kind.rawValue)\" WHERE id = ?"), arguments: [id]) else {
            return
        }
        let recordOrigin: String = row["origin"]
        var clocks = try FieldClocks(storedIn: row)
        var winners: [FieldWrite] = []
        for write in writes {
            guard let spec = kind.field(named: write.field), Self.isAllowed(write.value, spec) else { continue }
            let current = clocks.stamps[write.field].map { StampedValue(value: row[write.field], stamp: $0) }
            let incoming = StampedValue(value: write.value, stamp: stamp)
            if MergeRule.incomingWins(spec.mergeClass, current: current, incoming: incoming, recordOrigin: recordOrigin, isCreate: false) {
                winners.append(write)
            }
        }
        guard !winners.isEmpty else { return }
        clocks.stamp(winners.map(\.field), with: stamp)
        let assignments = winners.map { "\"\($0.field)\" = ?" }.joined(separator: ", ")
        try db.cachedStatement(sql: "UPDATE \"\(kind.rawValue)\" SET \(assignments), field_clocks = ?, last_hlc = ? WHERE id = ?")
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

    private mutating func replayOrphans(kind: RecordKind, id: String) throws {
        guard try anyOrphans() else { return }
        let orphans = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT sharing_group, origin, body FROM orphan_change WHERE kind = ? AND record_id = ? ORDER BY hlc, origin"),
            arguments: [kind.rawValue, id]
        )
        guard !orphans.isEmpty, let recordID = RecordID(id) else { return }
        try db.execute(sql: "DELETE FROM orphan_change WHERE kind = ? AND record_id = ?", arguments: [kind.rawValue, id])
        for orphan in orphans where orphan["sharing_group"] as String == group {
            let body: Data = orphan["body"]
            guard let change = try? Change.decode(kind: kind.rawValue, recordID: recordID, body: Array(body)) else { continue }
            let stamp = WriteStamp(hlc: change.hlc, origin: orphan["origin"])
            try merge(change.fieldWrites, kind: kind, id: id, stamp: stamp)
        }
    }

    private mutating func anyOrphans() throws -> Bool {
        if let orphansExist { return orphansExist }
        let exist = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM orphan_change)")) ?? false
        orphansExist = exist
        return exist
    }

    /// Brings the record's search keys in `name_key` and `name_index` up to date with its row.
    private func reindexNames(kind: RecordKind, id: String) throws {
        guard !kind.searchableFields.isEmpty else { return }
        let columns = kind.searchableFields.map { "\"\($0)\"" }.joined(separator: ", ")
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM \"\(kind.rawValue)\" WHERE id = ?"), arguments: [id]) else {
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
    private func erasureStamp(kind: RecordKind, id: String) throws -> WriteStamp? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT hlc, origin FROM tombstone WHERE kind = ? AND record_id = ?"),
            arguments: [kind.rawValue, id]
        ).map { row in
            let hlc: Int64 = row["hlc"]
            return WriteStamp(hlc: HybridTimestamp(rawValue: UInt64(hlc)), origin: row["origin"])
        }
    }

    private mutating func isErased(kind: RecordKind, id: String) throws -> Bool {
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
    private mutating func erase(kind: RecordKind, id: String, stamp: WriteStamp, reason: String, group: String) throws {
        if let existing = try erasureStamp(kind: kind, id: id), !(existing < stamp) { return }
        try db.execute(
            sql: "INSERT OR REPLACE INTO tombstone (kind, record_id, hlc, origin, reason, sharing_group) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [kind.rawValue, id, Int64(stamp.hlc.rawValue), stamp.origin, reason, group]
        )
        tombstonesExist = true
        try purge(kind: kind, id: id)
        guard !kind.isAppendOnly else { return }
        for childKind in RecordKind.allCases where childKind.isAppendOnly {
            for child in try String.fetchAll(db, sql: "SELECT id FROM \"\(childKind.rawValue)\" WHERE record_id = ?", arguments: [id]) {
                try purge(kind: childKind, id: child)
            }
        }
    }

    /// Removes every value of a record and schedules its stored leaves for redaction.
    private mutating func purge(kind: RecordKind, id: String) throws {
        try db.execute(sql: "DELETE FROM \"\(kind.rawValue)\" WHERE id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM orphan_change WHERE kind = ? AND record_id = ?", arguments: [kind.rawValue, id])
        try NameIndex.remove(id: id, db: db)
        erased.append(ErasedRecord(kind: kind.rawValue, id: id))
    }
}
