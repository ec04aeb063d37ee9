import SyncCore

/// A record kind's name: one of the built-in schema (`person`, `request`) or one a region's
/// schema adds (docs/SCHEMA.md). What a kind holds is in its ``KindSchema``, found in the
/// ``RecordSchema`` a replica runs with, so two replicas may know different kinds.
public struct RecordKind: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The kind's name, as batches, tables and the API carry it.
    public let rawValue: String

    /// The kind called `name`; whether a schema knows it is for ``RecordSchema/kind(named:)``.
    public init(_ name: String) {
        rawValue = name
    }

    /// A kind written as a literal, such as `"person"`.
    public init(stringLiteral name: String) {
        rawValue = name
    }

    /// Decodes the kind from its name.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes the kind as its name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The kind's name.
    public var description: String { rawValue }

    /// Orders kinds by name.
    public static func < (lhs: RecordKind, rhs: RecordKind) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A person (POLE).
    public static let person: RecordKind = "person"
    /// A vehicle.
    public static let vehicle: RecordKind = "vehicle"
    /// An identity or travel document.
    public static let document: RecordKind = "document"
    /// A firearm.
    public static let firearm: RecordKind = "firearm"
    /// An information request between centres, with its workflow (``RequestWorkflow``).
    public static let request: RecordKind = "request"
    /// One step of a request's thread (``RequestThread``): appended, never changed.
    public static let requestEntry: RecordKind = "request_entry"
    /// The owner's decision, at a record's review, to keep it until a date: appended, never changed.
    public static let review: RecordKind = "review"
    /// A hit on a record: appended, never changed.
    public static let hit: RecordKind = "hit"
    /// A note on a record: appended, never changed.
    public static let note: RecordKind = "note"
    /// A group member's request that the record's owner erase it, with the reason.
    public static let erasureRequest: RecordKind = "erasure_request"
    /// An organisation (schema version 3).
    public static let organisation: RecordKind = "organisation"
    /// A thing with a type and an identifier: a plate, a registration certificate, a payment
    /// card, a boat, a container (schema version 3).
    public static let object: RecordKind = "object"
    /// A link between two records of one group, with its role (schema version 3).
    public static let link: RecordKind = "link"

    /// The id of the record a hit, note or erasure request is about, from its field writes.
    public static func parentRecordID(in writes: [FieldWrite]) -> String? {
        writes.first { $0.field == "record_id" }?.value
    }
}
