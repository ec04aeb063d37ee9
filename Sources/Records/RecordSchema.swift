import SyncCore

/// The record kinds a replica knows, with their fields: the built-in schema this release
/// ships, grown by the region's schema file (docs/SCHEMA.md). Immutable; a replica runs with
/// one, and a newer one only ever adds to it (``checkGrowth(from:file:)``).
public struct RecordSchema: Sendable, Equatable {
    /// The schema's version: 1 for the built-in one; a region's file counts on from there.
    public let version: Int
    /// Every kind, in declaration order.
    public let kinds: [KindSchema]
    /// The fields every kind but the append-only ones has after its own, as the built-in
    /// document declares them; empty in a schema read from any other document.
    let commonFields: [FieldSpec]
    private let kindsByName: [String: KindSchema]

    init(version: Int, kinds: [KindSchema], commonFields: [FieldSpec] = []) {
        self.version = version
        self.kinds = kinds
        self.commonFields = commonFields
        kindsByName = Dictionary(uniqueKeysWithValues: kinds.map { ($0.kind.rawValue, $0) })
    }

    /// Two schemas are equal when they have the same version and the same kinds, whichever
    /// document they were read from.
    public static func == (lhs: RecordSchema, rhs: RecordSchema) -> Bool {
        lhs.version == rhs.version && lhs.kinds == rhs.kinds
    }

    /// The kind called `name`, or nil when this schema does not know it.
    public func kind(named name: String) -> KindSchema? {
        kindsByName[name]
    }

    /// The schema of `kind`, or nil when this schema does not know it.
    public subscript(kind: RecordKind) -> KindSchema? {
        kindsByName[kind.rawValue]
    }

    /// The kinds that are appended, never changed (hits, notes, erasure requests).
    public var appendOnlyKinds: [KindSchema] { kinds.filter(\.isAppendOnly) }

    /// What a user names a kind for, which decides the kinds allowed.
    public enum Use: Sendable {
        /// Creating a record by hand: every kind but requests (they have their own command and
        /// route) and the append-only ones.
        case create
        /// Listing records: those, and requests.
        case list
        /// Searching by name or identifier: the kinds with searchable fields.
        case search
    }

    /// The kinds allowed for `use`, in declaration order.
    public func kinds(for use: Use) -> [KindSchema] {
        switch use {
        case .create: kinds.filter { !$0.isAppendOnly && $0.kind != .request }
        case .list: kinds.filter { !$0.isAppendOnly }
        case .search: kinds.filter { !$0.searchableFields.isEmpty }
        }
    }

    /// The kind called `name`, when it is allowed for `use`.
    public func kind(named name: String, for use: Use) -> KindSchema? {
        kind(named: name).flatMap { kind in kinds(for: use).contains { $0.kind == kind.kind } ? kind : nil }
    }

    /// The kinds allowed for `use` as a sentence ends them: "person, vehicle, document or
    /// firearm". The one place front ends get the list they print.
    public func names(for use: Use) -> String {
        let names = kinds(for: use).map(\.kind.rawValue)
        guard names.count > 1 else { return names.joined() }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// How many of a batch's leaves wait for a newer schema: changes that hold something this
    /// schema does not know, and redacted leaves of a kind it does not know (whether an erasure
    /// explains them is judged once it does). Such a batch is applied in part and applied again
    /// when the schema grows (docs/PROTOCOL.md §5.11).
    public func waitingLeaves(in leaves: [BatchLeaf]) -> Int {
        leaves.reduce(0) { count, leaf in
            switch leaf {
            case .full(let change): needsNewerSchema(change) ? count + 1 : count
            case .redacted(let kind, _, _): self.kind(named: kind) == nil ? count + 1 : count
            }
        }
    }

    /// Whether `change` holds anything this schema does not know: a kind, a field, or a value
    /// outside the allowed ones of a field that does not merge by `max`.
    public func needsNewerSchema(_ change: Change) -> Bool {
        guard let kind = self[RecordKind(change.kind)] else { return true }
        for write in change.fieldWrites {
            // A write to `FIELD#…` waits only when the kind lacks FIELD (a set a newer schema
            // adds); one to a field the kind has but that is no set, or with a malformed tag, is
            // ignored for good, as §5.7 says, never held back.
            if let hash = write.field.firstIndex(of: "#"), kind.field(named: String(write.field[..<hash])) != nil {
                guard let spec = kind.spec(forWrite: write.field) else { continue }
                if let value = write.value, let allowed = spec.allowedValues, !allowed.contains(value) { return true }
                continue
            }
            guard let spec = kind.spec(forWrite: write.field) else { return true }
            // A value outside a `max` field's order never becomes valid: its order is its merge
            // class, which no schema changes.
            if case .max = spec.mergeClass { continue }
            if let value = write.value, let allowed = spec.allowedValues, !allowed.contains(value) { return true }
        }
        return false
    }
}

/// One kind of a ``RecordSchema``: its fields and how they are searched and shown.
public struct KindSchema: Sendable, Hashable {
    /// The kind.
    public let kind: RecordKind
    /// Whether its records are inserted once and never changed.
    public let isAppendOnly: Bool
    /// Whether the built-in schema has it; a region's kinds live in tables of their own prefix.
    public let isBuiltIn: Bool
    /// How many months after its creation a record of this kind is due for review (Directive
    /// (EU) 2016/680 Art. 5); for a request, after its closure. Nil for a kind never reviewed on
    /// its own (the append-only ones follow their record).
    public let reviewMonths: Int?
    /// Every writable field in column order: the kind's own, then the common ones (append-only
    /// kinds have only their own, all immutable), then those a region added.
    public let fields: [FieldSpec]
    /// The fields the built-in schema gives it, which the state digest always covers.
    public let builtInFieldNames: Set<String>
    /// Fields whose values feed the name index, in column order.
    public let searchableFields: [String]
    /// Searchable fields that hold identifiers rather than names: matched ignoring spaces
    /// and dashes.
    public let identifierFields: Set<String>
    /// The fields that merge as sets (lists), in column order.
    public let setFields: [FieldSpec]
    private let fieldsByName: [String: FieldSpec]

    init(kind: RecordKind, isAppendOnly: Bool, isBuiltIn: Bool, fields: [FieldSpec], builtInFieldNames: Set<String>, reviewMonths: Int? = nil) {
        self.reviewMonths = reviewMonths
        searchableFields = fields.filter { $0.search != .none }.map(\.name)
        identifierFields = Set(fields.filter { $0.search == .identifier }.map(\.name))
        setFields = fields.filter { $0.mergeClass == .set }
        self.kind = kind
        self.isAppendOnly = isAppendOnly
        self.isBuiltIn = isBuiltIn
        self.fields = fields
        self.builtInFieldNames = builtInFieldNames
        fieldsByName = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
    }

    /// The SQL table holding its records: the kind's name for a built-in kind, `region_` and
    /// the name for a region's, so a region's kind never meets a table of the node's own.
    public var tableName: String {
        isBuiltIn ? kind.rawValue : "region_" + kind.rawValue
    }

    /// Whether a record of this kind may have an unbound id: only the kinds of version 1 of the
    /// built-in schema, which the releases before bound ids made.
    public var acceptsUnboundIDs: Bool { isBuiltIn && RecordSchema.builtInVersion1[kind] != nil }

    /// This kind reviewed every `months` instead.
    func reviewed(every months: Int?) -> KindSchema {
        KindSchema(
            kind: kind, isAppendOnly: isAppendOnly, isBuiltIn: isBuiltIn, fields: fields, builtInFieldNames: builtInFieldNames, reviewMonths: months)
    }

    /// The spec of a field, or nil when the kind has no such field.
    public func field(named name: String) -> FieldSpec? {
        fieldsByName[name]
    }

    /// The spec a change's write falls under: the field it names, or for a write to one
    /// element of a set (`names#TAG`, ``SetElementKey``) that set's field; nil when the kind
    /// has neither.
    public func spec(forWrite name: String) -> FieldSpec? {
        if let spec = fieldsByName[name] { return spec }
        guard let key = SetElementKey(name), let spec = fieldsByName[key.field], spec.mergeClass == .set else { return nil }
        return spec
    }

    /// A record's main values in one line, such as "Ђорђевић, Марко · 1984-03-07 · alert wanted":
    /// the one label listings, search results, `--json` and the web UI all show. `origin` is the
    /// node that made the record, which an erasure request's label names. A region's kind shows
    /// its first three values.
    public func label(of values: [String: String], origin: NodeID) -> String {
        func value(_ field: String) -> String? {
            guard let text = values[field], !text.isEmpty else { return nil }
            return text
        }
        func line(_ parts: String?...) -> String { parts.compactMap { $0 }.joined(separator: " · ") }
        switch kind {
        case .person:
            let name = [value("family_name"), value("given_name")].compactMap { $0 }.joined(separator: ", ")
            return line(name.isEmpty ? nil : name, value("birth_date"), value("alert").map { "alert \($0)" })
        case .vehicle:
            return line(value("plate"), value("vin"), value("make"), value("alert").map { "alert \($0)" })
        case .document:
            return line(value("doc_type"), value("number"), value("issuing_country"), value("status"))
        case .firearm:
            return line(value("serial"), value("make"), value("model"), value("status"))
        case .request:
            return "\(value("urgency") ?? "?") \(value("from_node") ?? "?") → \(value("to_node") ?? "?") · \(value("status") ?? "open")"
        case .review:
            return line(value("keep_until").map { "kept until \($0)" }, value("reason"))
        case .requestEntry:
            return line(value("type"), value("extent"), value("access"), value("grounds").map { "grounds \($0)" })
        case .hit:
            return line(value("place"), value("outcome"))
        case .note:
            return value("text") ?? ""
        case .erasureRequest:
            return line("erasure asked by \(origin)", value("reason"), value("text"))
        default:
            return fields.lazy.compactMap { value($0.name) }.prefix(3).joined(separator: " · ")
        }
    }
}
