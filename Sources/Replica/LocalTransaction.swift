import Records
import SyncCore

/// The writes of one local transaction, in one sharing group. `Replica.transact` turns them
/// into exactly one batch of the node's stream for that group.
public struct LocalTransaction: Sendable {
    enum Step: Sendable {
        case create(RecordKind, RecordID, [FieldWrite], sets: [SetEdit])
        case update(RecordID, [FieldWrite], sets: [SetEdit])
        case erase(RecordID, reason: String)
        case append(RecordKind, RecordID, [FieldWrite])
    }

    private(set) var steps: [Step] = []
    /// Makes the id of a new record of a kind, bound to this node and the transaction's group.
    private let newID: @Sendable (RecordKind) -> RecordID

    init(newID: @escaping @Sendable (RecordKind) -> RecordID) {
        self.newID = newID
    }

    /// Creates a record of `kind` with its initial values and list entries, and returns its
    /// new id.
    @discardableResult
    public mutating func create(_ kind: RecordKind, _ fields: [FieldWrite], sets: [SetEdit] = []) -> RecordID {
        let id = newID(kind)
        steps.append(.create(kind, id, fields, sets: sets))
        return id
    }

    /// Writes some fields of an existing record (nil clears a field), and adds and removes
    /// entries of its lists.
    public mutating func update(_ id: RecordID, _ fields: [FieldWrite], sets: [SetEdit] = []) {
        steps.append(.update(id, fields, sets: sets))
    }

    /// Erases a record everywhere, keeping only a tombstone with `reason`.
    public mutating func erase(_ id: RecordID, reason: String) {
        steps.append(.erase(id, reason: reason))
    }

    /// Inserts a hit or note row and returns its id.
    @discardableResult
    public mutating func append(_ kind: RecordKind, _ fields: [FieldWrite]) -> RecordID {
        let id = newID(kind)
        steps.append(.append(kind, id, fields))
        return id
    }
}
