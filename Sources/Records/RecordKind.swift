import SyncCore

/// The record kinds of the domain (POLE model, UMF/SIS inspired) and the schema of each.
public enum RecordKind: String, CaseIterable, Hashable, Sendable, Codable {
    case person
    case vehicle
    case document
    case firearm
    case request
    case hit
    case note
    /// A group member's request that the record's owner erase it, with the reason.
    case erasureRequest = "erasure_request"

    /// Kinds whose rows are inserted once and never changed.
    public var isAppendOnly: Bool { self == .hit || self == .note || self == .erasureRequest }

    /// Request status order: a request only moves forward.
    public static let requestStatusOrder = ["open", "acknowledged", "answered", "closed"]

    /// Fields every record carries besides its id, group, origin and creation time.
    public static let commonFields: [FieldSpec] = [
        FieldSpec("handling_code", .owner, allowed: ["H0", "H1", "H2", "H3"]),
        FieldSpec("source_reliability", .owner, allowed: ["A", "B", "C", "X"]),
        FieldSpec("info_accuracy", .owner, allowed: ["1", "2", "3", "4"]),
        FieldSpec("derived_from", .owner),
    ]

    /// The kind's own fields, in column order.
    public var ownFields: [FieldSpec] {
        switch self {
        case .person:
            return [
                FieldSpec("family_name", required: true), FieldSpec("given_name"), FieldSpec("birth_date", format: .date),
                FieldSpec("birth_place"), FieldSpec("nationality", format: .country), FieldSpec("sex", allowed: ["F", "M", "X"]),
                FieldSpec("aliases"), FieldSpec("alert", allowed: ["wanted", "missing", "suspect", "none"]),
                FieldSpec("reason"),
            ]
        case .vehicle:
            return [
                FieldSpec("plate"), FieldSpec("vin"), FieldSpec("make"), FieldSpec("model"), FieldSpec("colour"),
                FieldSpec("registration_country", format: .country), FieldSpec("alert", allowed: ["stolen", "wanted", "none"]),
            ]
        case .document:
            return [
                FieldSpec("doc_type", required: true), FieldSpec("number", required: true), FieldSpec("issuing_country", format: .country),
                FieldSpec("status", allowed: ["stolen", "lost", "invalid", "false", "misappropriated"]),
            ]
        case .firearm:
            return [
                FieldSpec("serial", required: true), FieldSpec("make"), FieldSpec("model"), FieldSpec("calibre"),
                FieldSpec("status"),
            ]
        case .request:
            return [
                FieldSpec("from_node", .immutable), FieldSpec("to_node", .immutable, required: true),
                FieldSpec("urgency", .immutable, allowed: ["urgent_direct", "urgent_indirect", "standard"], required: true),
                FieldSpec("subject_ids", .immutable), FieldSpec("question", required: true),
                FieldSpec("status", .max(order: Self.requestStatusOrder)), FieldSpec("answer"),
                // Set by the requested node when the request reaches it; the deadline runs from there.
                FieldSpec("received_at", format: .timestamp, managed: true), FieldSpec("due_at", format: .timestamp, managed: true),
            ]
        case .hit:
            return [
                FieldSpec("record_id", .immutable, required: true), FieldSpec("place", .immutable),
                FieldSpec("checked_at", .immutable, format: .timestamp), FieldSpec("outcome", .immutable),
            ]
        case .note:
            return [
                FieldSpec("record_id", .immutable, required: true), FieldSpec("author", .immutable),
                FieldSpec("text", .immutable, required: true),
            ]
        case .erasureRequest:
            return [
                FieldSpec("record_id", .immutable, required: true), FieldSpec("reason", .immutable, required: true),
                FieldSpec("author", .immutable), FieldSpec("text", .immutable),
            ]
        }
    }

    /// Every writable field: the kind's own, then the common ones (append-only kinds have
    /// only their own, all immutable).
    public var fields: [FieldSpec] {
        Self.fieldsOfKind[self]!
    }

    private static let fieldsOfKind: [RecordKind: [FieldSpec]] = Dictionary(
        uniqueKeysWithValues: allCases.map { kind in (kind, kind.isAppendOnly ? kind.ownFields : kind.ownFields + commonFields) }
    )

    /// The spec of a field, or nil when the kind has no such field.
    public func field(named name: String) -> FieldSpec? {
        Self.fieldsByName[self]?[name]
    }

    /// Looked up once per field write, so built once rather than on every lookup.
    private static let fieldsByName: [RecordKind: [String: FieldSpec]] = Dictionary(
        uniqueKeysWithValues: allCases.map { kind in
            (kind, Dictionary(uniqueKeysWithValues: fieldsOfKind[kind]!.map { ($0.name, $0) }))
        }
    )

    /// The id of the record a hit, note or erasure request is about, from its field writes.
    public static func parentRecordID(in writes: [FieldWrite]) -> String? {
        writes.first { $0.field == "record_id" }?.value
    }

    /// Searchable fields that hold identifiers rather than names: matched ignoring spaces
    /// and dashes.
    public var identifierFields: Set<String> {
        switch self {
        case .vehicle: return ["plate", "vin"]
        case .document: return ["number"]
        case .firearm: return ["serial"]
        default: return []
        }
    }

    /// Fields whose values feed the name index.
    public var searchableFields: [String] {
        switch self {
        case .person: return ["family_name", "given_name", "aliases"]
        case .vehicle: return ["plate", "vin"]
        case .document: return ["number"]
        case .firearm: return ["serial"]
        case .request, .hit, .note, .erasureRequest: return []
        }
    }
}
