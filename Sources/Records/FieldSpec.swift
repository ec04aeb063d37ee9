import SyncCore

/// One field of a record kind: its name, merge class and, where the law or the model fixes
/// them, the values it may take.
public struct FieldSpec: Hashable, Sendable {
    /// How a field's values feed the name index.
    public enum Search: String, Hashable, Sendable {
        /// Not searched.
        case none
        /// Searched as names: folded, transliterated, word by word.
        case name
        /// Searched as an identifier (a plate, a serial): matched ignoring spaces and dashes.
        case identifier
    }

    /// The column name, such as `family_name`.
    public let name: String
    /// How concurrent writes merge.
    public let mergeClass: MergeClass
    /// The allowed values, or nil for free text.
    public let allowedValues: [String]?
    /// Whether a create must set it.
    public let isRequired: Bool
    /// The shape a free-text value must have.
    public let format: FieldFormat
    /// Whether only the node itself writes it (a request's receipt and deadline), never a user.
    public let isManaged: Bool
    /// Whether and how search finds records by it.
    public let search: Search
    /// Whether its column has an index of its own.
    public let isIndexed: Bool

    /// Creates a field spec; a `max` field's allowed values are its order.
    public init(
        _ name: String,
        _ mergeClass: MergeClass = .lww,
        allowed: [String]? = nil,
        required: Bool = false,
        format: FieldFormat = .text,
        managed: Bool = false,
        search: Search = .none,
        indexed: Bool = false
    ) {
        self.name = name
        self.isManaged = managed
        self.format = format
        self.mergeClass = mergeClass
        if case .max(let order) = mergeClass, allowed == nil {
            self.allowedValues = order
        } else {
            self.allowedValues = allowed
        }
        self.isRequired = required
        self.search = search
        self.isIndexed = indexed
    }

    /// The same field with `values` added to its allowed ones, in the order given.
    func allowing(_ values: [String]) -> FieldSpec {
        let grown = (allowedValues ?? []) + values.filter { !(allowedValues ?? []).contains($0) }
        return FieldSpec(
            name, mergeClass, allowed: grown, required: isRequired, format: format, managed: isManaged, search: search, indexed: isIndexed)
    }
}
