/// One record's writes in one local transaction, with the HLC reading that orders them.
///
/// A change names its record kind and id; the group and origin come from the batch that
/// carries it, so a change cannot claim another group or author than its signed header.
public struct Change: Hashable, Sendable {
    /// What the change does to its record.
    public enum Operation: Hashable, Sendable {
        /// Creates the record with its initial field values.
        case create([FieldWrite])
        /// Writes some fields of an existing record.
        case update([FieldWrite])
        /// Erases the record everywhere, for the given reason code.
        case erase(reason: String)
        /// Inserts one row of an append-only kind; it is never changed afterwards.
        case append([FieldWrite])
    }

    /// The record kind, such as `person`.
    public let kind: String
    /// The record's id.
    public let recordID: RecordID
    /// When the change was made at its origin.
    public let hlc: HybridTimestamp
    /// What the change does.
    public let operation: Operation

    /// Creates a change; field writes are kept sorted by name, which makes the encoding canonical.
    public init(kind: String, recordID: RecordID, hlc: HybridTimestamp, operation: Operation) {
        self.kind = kind
        self.recordID = recordID
        self.hlc = hlc
        switch operation {
        case .create(let writes): self.operation = .create(writes.sorted { $0.field < $1.field })
        case .update(let writes): self.operation = .update(writes.sorted { $0.field < $1.field })
        case .append(let writes): self.operation = .append(writes.sorted { $0.field < $1.field })
        case .erase: self.operation = operation
        }
    }

    /// The field writes of a create, update or append; empty for an erase.
    public var fieldWrites: [FieldWrite] {
        switch operation {
        case .create(let writes), .update(let writes), .append(let writes): return writes
        case .erase: return []
        }
    }
}

/// One field set to a value, or cleared (`nil`).
public struct FieldWrite: Hashable, Sendable {
    /// The field name, such as `family_name`.
    public let field: String
    /// The new value, or nil to clear the field.
    public let value: String?

    /// Creates a write.
    public init(_ field: String, _ value: String?) {
        self.field = field
        self.value = value
    }
}
