import Foundation
import Records
import SyncCore

// The JSON shapes the command line (`--json`) and the HTTP API share, as Codable types, so both
// say the same and a key is spelled once. docs/openapi.yaml describes each; the API's contract
// test checks real answers against it.

/// An optional that is written as `null` when absent rather than left out: for keys every
/// answer carries.
@propertyWrapper
public struct ExplicitNull<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    /// The value, or nil for `null`.
    public var wrappedValue: Value?

    /// Wraps a value.
    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    /// Reads a value or `null`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    /// Writes the value or `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

/// One field of a record: its value (`null` once cleared) and who wrote it when.
public struct FieldJSON: Codable, Sendable, Equatable {
    /// The value; nil once cleared.
    @ExplicitNull public var value: String?
    /// The node that wrote it.
    public var by: NodeID
    /// When, ISO 8601 UTC.
    public var at: String
    /// The exact clock, so the merge order of two writes can be checked.
    public var hlc: String
}

/// `{id, kind, group, origin, created_at, fields}`, and on a record shown with what is attached
/// to it, `hits`, `notes` and `erasure_requests`.
public struct RecordJSON: Codable, Sendable, Equatable {
    /// The record id.
    public var id: String
    /// Its kind.
    public var kind: RecordKind
    /// Its sharing group.
    public var group: GroupID
    /// The node that created it.
    public var origin: NodeID
    /// When it was created, ISO 8601.
    public var createdAt: String
    /// Its main values in one line (`RecordKind.label`), as listings show it.
    public var label: String
    /// Its fields by name.
    public var fields: [String: FieldJSON]
    /// The hits on it, when shown with its attachments.
    public var hits: [RecordJSON]?
    /// The notes on it, when shown with its attachments.
    public var notes: [RecordJSON]?
    /// The erasure requests for it, when shown with its attachments.
    public var erasureRequests: [RecordJSON]?

    enum CodingKeys: String, CodingKey {
        case id, kind, group, origin, label, fields, hits, notes
        case createdAt = "created_at"
        case erasureRequests = "erasure_requests"
    }
}

/// `{id, kind, erased: true, reason, erased_by, erased_at}`.
public struct TombstoneJSON: Codable, Sendable, Equatable {
    /// The record id.
    public var id: String
    /// Its kind.
    public var kind: RecordKind
    /// Always true.
    public var erased = true
    /// The reason code.
    public var reason: String
    /// The node that erased it.
    public var erasedBy: NodeID
    /// When, ISO 8601.
    public var erasedAt: String

    enum CodingKeys: String, CodingKey {
        case id, kind, erased, reason
        case erasedBy = "erased_by"
        case erasedAt = "erased_at"
    }
}

/// `{kind, id, group, origin, label, changed_at}`: one line of a listing.
public struct RecordSummaryJSON: Codable, Sendable, Equatable {
    /// Its kind.
    public var kind: RecordKind
    /// The record id.
    public var id: String
    /// Its sharing group.
    public var group: GroupID
    /// The node that created it.
    public var origin: NodeID
    /// A one-line label.
    public var label: String
    /// When a field last changed, ISO 8601.
    public var changedAt: String

    enum CodingKeys: String, CodingKey {
        case kind, id, group, origin, label
        case changedAt = "changed_at"
    }
}

/// `{kind, id, group, label}`: one search result.
public struct SearchHitJSON: Codable, Sendable, Equatable {
    /// Its kind.
    public var kind: RecordKind
    /// The record id.
    public var id: String
    /// Its sharing group.
    public var group: GroupID
    /// A one-line label.
    public var label: String
}

/// A request as one centre sees it.
public struct RequestJSON: Codable, Sendable, Equatable {
    /// The request id.
    public var id: String
    /// Its sharing group.
    public var group: GroupID
    /// The requesting centre.
    public var from: NodeID
    /// The requested centre.
    public var to: NodeID
    /// Its urgency.
    public var urgency: String
    /// open, acknowledged, answered or closed.
    public var status: String
    /// The question.
    public var question: String
    /// The answer, once given.
    @ExplicitNull public var answer: String?
    /// The ids of the records it is about.
    public var subjects: [String]
    /// incoming or outgoing, seen from this centre.
    public var direction: String
    /// When the requested centre received it, ISO 8601.
    @ExplicitNull public var receivedAt: String?
    /// When the answer is due, ISO 8601.
    @ExplicitNull public var dueAt: String?
    /// Whether it is past due and neither answered nor closed.
    public var overdue: Bool

    enum CodingKeys: String, CodingKey {
        case id, group, from, to, urgency, status, question, answer, subjects, direction, overdue
        case receivedAt = "received_at"
        case dueAt = "due_at"
    }
}

/// One entry of the audit log.
public struct AuditEntryJSON: Codable, Sendable, Equatable {
    /// Its position in the chain.
    public var seq: Int64
    /// When, ISO 8601.
    public var at: String
    /// Who acted.
    public var user: String
    /// What they did.
    public var action: String
    /// The records it touched.
    public var records: [String]
    /// Why, as the user said.
    @ExplicitNull public var purpose: String?
    /// More about it.
    @ExplicitNull public var detail: String?
    /// The entry's hash in the chain, hex.
    public var hash: String
}

/// `{name, role, added_at, added_by}`.
public struct UserJSON: Codable, Sendable, Equatable {
    /// The login-style name.
    public var name: String
    /// staff or admin.
    public var role: String
    /// When added, ISO 8601.
    public var addedAt: String
    /// Who added them.
    public var addedBy: String

    enum CodingKeys: String, CodingKey {
        case name, role
        case addedAt = "added_at"
        case addedBy = "added_by"
    }
}

/// An erasure another centre asked of this one.
public struct ErasureRequestJSON: Codable, Sendable, Equatable {
    /// The erasure request's own id.
    public var id: String
    /// The record to erase.
    public var recordID: String
    /// Its kind.
    public var recordKind: RecordKind
    /// The asking centre.
    public var from: NodeID
    /// The reason code.
    public var reason: String
    /// Words for the owner, when given.
    public var text: String?
    /// Who asked, when known.
    public var author: String?
    /// When it was asked, ISO 8601.
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, from, reason, text, author
        case recordID = "record_id"
        case recordKind = "record_kind"
        case createdAt = "created_at"
    }
}

extension RecordSnapshot {
    /// The record as JSON, without what is attached to it.
    public var json: RecordJSON {
        var fields: [String: FieldJSON] = [:]
        for (name, stamp) in provenance {
            fields[name] = FieldJSON(
                value: values[name], by: stamp.origin, at: Timestamps.iso8601(milliseconds: stamp.hlc.milliseconds), hlc: String(stamp.hlc.rawValue)
            )
        }
        return RecordJSON(
            id: id.description, kind: kind, group: group, origin: origin, createdAt: createdAt, label: label,
            fields: fields
        )
    }

    /// The record as JSON with its hits, notes and erasure requests.
    public func json(attached: [RecordSnapshot]) -> RecordJSON {
        var json = json
        json.hits = attached.filter { $0.kind == .hit }.map(\.json)
        json.notes = attached.filter { $0.kind == .note }.map(\.json)
        json.erasureRequests = attached.filter { $0.kind == .erasureRequest }.map(\.json)
        return json
    }
}

extension TombstoneSnapshot {
    /// The tombstone as JSON.
    public var json: TombstoneJSON {
        TombstoneJSON(
            id: id.description, kind: kind, reason: reason, erasedBy: stamp.origin, erasedAt: Timestamps.iso8601(milliseconds: stamp.hlc.milliseconds)
        )
    }
}

extension RecordSummary {
    /// The listing line as JSON.
    public var json: RecordSummaryJSON {
        RecordSummaryJSON(kind: kind, id: id, group: group, origin: origin, label: label, changedAt: Timestamps.iso8601(milliseconds: lastChangedAt))
    }
}

extension SearchHit {
    /// The search result as JSON.
    public var json: SearchHitJSON { SearchHitJSON(kind: kind, id: id, group: group, label: label) }
}

extension RequestSummary {
    /// The request as seen from node `me` at `now`, with its direction and whether it is overdue.
    public func json(me: NodeID, now: UInt64) -> RequestJSON {
        RequestJSON(
            id: id, group: group, from: from, to: to, urgency: urgency, status: status, question: question, answer: answer, subjects: subjectIDs,
            direction: to == me ? "incoming" : "outgoing", receivedAt: receivedAt.map(Timestamps.iso8601(milliseconds:)),
            dueAt: dueAt.map(Timestamps.iso8601(milliseconds:)), overdue: RequestDeadline.isOverdue(status: status, dueAt: dueAt, now: now)
        )
    }
}

extension AuditEntry {
    /// The entry as JSON.
    public var json: AuditEntryJSON {
        AuditEntryJSON(
            seq: seq, at: Timestamps.iso8601(milliseconds: at), user: event.user, action: event.action, records: event.recordIDs,
            purpose: event.purpose, detail: event.detail, hash: hash.map { String(format: "%02x", $0) }.joined()
        )
    }
}

extension LocalUser {
    /// The user as JSON.
    public var json: UserJSON {
        UserJSON(name: name, role: role.rawValue, addedAt: Timestamps.iso8601(milliseconds: addedAt), addedBy: addedBy)
    }
}

extension ErasureRequestSummary {
    /// The erasure request as JSON.
    public var json: ErasureRequestJSON {
        ErasureRequestJSON(
            id: id, recordID: recordID, recordKind: recordKind, from: from, reason: reason, text: text, author: author, createdAt: createdAt)
    }
}

/// Encodes the shapes the same way everywhere: sorted keys, slashes unescaped.
public enum JSONShapes {
    /// The encoded bytes; `pretty` for people (`--json`), compact for the API.
    public static func encode(_ value: some Encodable, pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
