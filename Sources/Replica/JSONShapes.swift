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
    /// A list's entries, sorted, as `value` holds them in one JSON array; absent for a field
    /// that is not a list.
    public var entries: [String]?
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
    /// Its owner's review decisions (kept until a date, with the reason), when shown with its
    /// attachments.
    public var reviews: [RecordJSON]?
    /// The records linked to it, both ways, when shown with its attachments.
    public var links: [LinkJSON]?

    enum CodingKeys: String, CodingKey {
        case id, kind, group, origin, label, fields, hits, notes, reviews, links
        case createdAt = "created_at"
        case erasureRequests = "erasure_requests"
    }
}

/// `{link_id, role, source, direction, kind, id, label}`: a record linked to the one shown.
public struct LinkJSON: Codable, Sendable, Equatable {
    /// The link record's id.
    public var linkID: String
    /// Its role.
    public var role: String
    /// Where it comes from; null when not said.
    @ExplicitNull public var source: String?
    /// `to` when the record shown is the link's from_id, `from` when it is its to_id.
    public var direction: String
    /// The other record's kind.
    public var kind: RecordKind
    /// The other record's id.
    public var id: String
    /// The other record's label.
    public var label: String

    enum CodingKeys: String, CodingKey {
        case role, source, direction, kind, id, label
        case linkID = "link_id"
    }
}

extension LinkedRecord {
    /// The link as JSON.
    public var json: LinkJSON {
        LinkJSON(
            linkID: linkID.description, role: role, source: source, direction: isOutgoing ? "to" : "from", kind: otherKind, id: otherID.description,
            label: otherLabel)
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

/// `{kind, id, group, origin, label, changed_at, same_as}`: one line of a listing.
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
    /// The other records of its cluster: the same subject, recorded at other centres.
    public var sameAs: [String]

    enum CodingKeys: String, CodingKey {
        case kind, id, group, origin, label
        case changedAt = "changed_at"
        case sameAs = "same_as"
    }
}

/// `{kind, id, group, label, same_as}`: one search result.
public struct SearchHitJSON: Codable, Sendable, Equatable {
    /// Its kind.
    public var kind: RecordKind
    /// The record id.
    public var id: String
    /// Its sharing group.
    public var group: GroupID
    /// A one-line label.
    public var label: String
    /// The other records of its cluster: the same subject, recorded at other centres.
    public var sameAs: [String]
    /// For a record a search following links brought in: the hit it is linked to, and how.
    public var linkedFrom: LinkedFromJSON?

    /// `{id, role}`: the search hit a record is linked to.
    public struct LinkedFromJSON: Codable, Sendable, Equatable {
        /// The hit's id.
        public var id: String
        /// The link's role.
        public var role: String
    }

    enum CodingKeys: String, CodingKey {
        case kind, id, group, label
        case sameAs = "same_as"
        case linkedFrom = "linked_from"
    }
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
    /// The urgency the requester gave: urgent or standard (urgent_direct or urgent_indirect
    /// from an earlier release).
    public var urgency: String
    /// urgent_direct (8 hours), urgent_indirect (3 days) or standard (7 days) once known;
    /// urgent while the requested centre has not classified it (8 hours meanwhile).
    public var urgencyClass: String
    /// Where it stands: sent, received, delayed, partially_answered, clarification_requested,
    /// answered, refused or closed.
    public var status: String
    /// The information sought.
    public var question: String
    /// The rest of the form (purpose, offence, availability_reasons, subject_relation,
    /// urgent_ground, urgent_reasons, use_restrictions, language, requesting_authority,
    /// case_number, spoc_copy, europol_copy, europol_reason), as far as it was filled in.
    public var form: [String: String]
    /// The last answer's text, once given.
    @ExplicitNull public var answer: String?
    /// The ids of the records it is about.
    public var subjects: [String]
    /// incoming or outgoing, seen from this centre.
    public var direction: String
    /// When the requested centre received it, ISO 8601.
    @ExplicitNull public var receivedAt: String?
    /// When the answer is due, ISO 8601, clarifications' pauses added.
    @ExplicitNull public var dueAt: String?
    /// The announced end of a delay for judicial authorisation, which overdue is measured
    /// against meanwhile.
    @ExplicitNull public var delayedUntil: String?
    /// Since when an open clarification pauses the clock.
    @ExplicitNull public var pausedSince: String?
    /// Whether it is past due, not answered, refused or closed, and not paused.
    public var overdue: Bool
    /// The thread, oldest first.
    public var entries: [RequestEntryJSON]
    /// The local user at this centre who holds it, when one does (never replicated).
    public var holder: String?
    /// Since when, ISO 8601.
    public var heldSince: String?
    /// Shown with one request only: what this centre holds that may be its subjects.
    public var subjectMatches: [SubjectMatchesJSON]?

    enum CodingKeys: String, CodingKey {
        case id, group, from, to, urgency, status, question, form, answer, subjects, direction, overdue, entries, holder
        case subjectMatches = "subject_matches"
        case urgencyClass = "urgency_class"
        case receivedAt = "received_at"
        case dueAt = "due_at"
        case delayedUntil = "delayed_until"
        case pausedSince = "paused_since"
        case heldSince = "held_since"
    }
}

/// One step of a request's thread.
public struct RequestEntryJSON: Codable, Sendable, Equatable {
    /// The entry's id.
    public var id: String
    /// classification, answer, partial_answer, refusal, clarification_asked,
    /// clarification_given, delay, receipt or close.
    public var type: String
    /// The centre that wrote it.
    public var author: NodeID
    /// When, ISO 8601.
    public var at: String
    /// The answer, reasons, clarification or delay's reason.
    @ExplicitNull public var text: String?
    /// A classification's direct or indirect.
    @ExplicitNull public var access: String?
    /// A classification's due time.
    @ExplicitNull public var dueAt: String?
    /// A refusal's whole or partial.
    @ExplicitNull public var extent: String?
    /// A refusal's grounds, a to h.
    public var grounds: [String]
    /// A delay's expected end.
    @ExplicitNull public var until: String?
    /// The entry a receipt notes.
    @ExplicitNull public var entryID: String?
    /// When a receipt's entry arrived.
    @ExplicitNull public var receivedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, type, author, at, text, access, extent, grounds, until
        case dueAt = "due_at"
        case entryID = "entry_id"
        case receivedAt = "received_at"
    }
}

/// A record due for review (`GET /api/reviews`, `pccc review list --json`).
public struct ReviewJSON: Codable, Sendable, Equatable {
    /// The record's id.
    public var id: String
    /// Its kind.
    public var kind: RecordKind
    /// Its sharing group.
    public var group: GroupID
    /// Its main values.
    public var label: String
    /// When it is due for review, ISO 8601.
    public var reviewAt: String
    /// created, request_closed or kept.
    public var basis: String
    /// Why the last review kept it, if one did.
    @ExplicitNull public var keptReason: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, group, label, basis
        case reviewAt = "review_at"
        case keptReason = "kept_reason"
    }
}

extension ReviewDue {
    /// The review as JSON.
    public var json: ReviewJSON {
        ReviewJSON(
            id: id, kind: kind, group: group, label: label, reviewAt: Timestamps.iso8601(milliseconds: reviewAt), basis: basis.rawValue,
            keptReason: keptReason)
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
    /// When an admin disabled them, ISO 8601; absent while they may sign in.
    public var disabledAt: String?
    /// Whether they have a password to sign in to the web UI with.
    public var hasPassword: Bool
    /// The OS account whose `pccc` commands act as them; absent when none is mapped.
    public var osAccount: String?

    enum CodingKeys: String, CodingKey {
        case name, role
        case addedAt = "added_at"
        case addedBy = "added_by"
        case disabledAt = "disabled_at"
        case hasPassword = "has_password"
        case osAccount = "os_account"
    }
}

/// A named API token, as listed (the token itself is shown only when made).
public struct APITokenJSON: Codable, Sendable, Equatable {
    /// Its user.
    public var user: String
    /// Its name, unique per user.
    public var name: String
    /// When made, ISO 8601.
    public var createdAt: String
    /// When it stops working, ISO 8601.
    public var expiresAt: String
    /// When revoked, ISO 8601; absent unless revoked.
    public var revokedAt: String?

    enum CodingKeys: String, CodingKey {
        case user, name
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
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
                value: values[name], by: stamp.origin, at: Timestamps.iso8601(milliseconds: stamp.hlc.milliseconds), hlc: String(stamp.hlc.rawValue),
                entries: lists.contains(name) ? SetValue.decode(values[name]) : nil
            )
        }
        return RecordJSON(
            id: id.description, kind: kind, group: group, origin: origin, createdAt: createdAt, label: label,
            fields: fields
        )
    }

    /// The record as JSON with its hits, notes, erasure requests, review decisions and links.
    public func json(attached: [RecordSnapshot], links: [LinkedRecord]) -> RecordJSON {
        var json = json
        json.links = links.map(\.json)
        json.hits = attached.filter { $0.kind == .hit }.map(\.json)
        json.notes = attached.filter { $0.kind == .note }.map(\.json)
        json.erasureRequests = attached.filter { $0.kind == .erasureRequest }.map(\.json)
        json.reviews = attached.filter { $0.kind == .review }.map(\.json)
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
        RecordSummaryJSON(
            kind: kind, id: id, group: group, origin: origin, label: label, changedAt: Timestamps.iso8601(milliseconds: lastChangedAt), sameAs: sameAs)
    }
}

/// `{strength, reason, kind, id, group, origin, label}`: a record that may be the same subject.
public struct PossibleMatchJSON: Codable, Sendable, Equatable {
    /// `identifier`, `name_and_birth_date` or `name`, strongest first.
    public var strength: String
    /// What matched.
    public var reason: String
    /// The record's kind.
    public var kind: RecordKind
    /// Its id.
    public var id: String
    /// Its group.
    public var group: GroupID
    /// The centre that owns it.
    public var origin: NodeID
    /// Its one-line label.
    public var label: String
}

/// `{id, possible_matches}`: a record just made, with the records that may be the same
/// subject, strongest first.
public struct CreatedRecordJSON: Codable, Sendable, Equatable {
    /// The new record's id.
    public var id: String
    /// The records that may be the same subject.
    public var possibleMatches: [PossibleMatchJSON]

    /// The answer for record `id` and its matches.
    public init(id: String, possibleMatches: [PossibleMatchJSON]) {
        self.id = id
        self.possibleMatches = possibleMatches
    }

    enum CodingKeys: String, CodingKey {
        case id
        case possibleMatches = "possible_matches"
    }
}

/// `{rows, created, already_imported, skipped, refused}`: what an import did with its file.
public struct ImportReportJSON: Codable, Sendable, Equatable {
    /// A row skipped as a likely duplicate.
    public struct Skipped: Codable, Sendable, Equatable {
        /// Its number in the file.
        public var row: Int
        /// Why.
        public var reason: String
        /// The held records it likely is.
        public var matches: [String]
    }

    /// A row refused.
    public struct Refused: Codable, Sendable, Equatable {
        /// Its number in the file.
        public var row: Int
        /// The field at fault; null when the row as a whole is.
        @ExplicitNull public var field: String?
        /// One sentence.
        public var reason: String
    }

    /// Rows read.
    public var rows: Int
    /// Records created.
    public var created: Int
    /// Rows an earlier run of the same import created.
    public var alreadyImported: Int
    /// Rows skipped as likely duplicates.
    public var skipped: [Skipped]
    /// Rows refused.
    public var refused: [Refused]

    enum CodingKeys: String, CodingKey {
        case rows, created, skipped, refused
        case alreadyImported = "already_imported"
    }
}

extension ImportReport {
    /// The report as JSON.
    public var json: ImportReportJSON {
        ImportReportJSON(
            rows: rows, created: created, alreadyImported: alreadyImported,
            skipped: skipped.map { .init(row: $0.row, reason: $0.reason, matches: $0.matches) },
            refused: refused.map { .init(row: $0.row, field: $0.field, reason: $0.reason) })
    }
}

/// `{subject, matches}`: the held records that may be the same as one subject of a request.
public struct SubjectMatchesJSON: Codable, Sendable, Equatable {
    /// The subject's id.
    public var subject: String
    /// The possible matches, strongest first.
    public var matches: [PossibleMatchJSON]
}

extension SubjectMatches {
    /// As JSON.
    public var json: SubjectMatchesJSON { SubjectMatchesJSON(subject: subject, matches: matches.map(\.json)) }
}

/// `{key, first, second}`: two records of two centres that share a strong identifier.
public struct PossibleDuplicateJSON: Codable, Sendable, Equatable {
    /// The shared identifier.
    public var key: String
    /// One record.
    public var first: PossibleMatchJSON
    /// The other.
    public var second: PossibleMatchJSON
}

extension PossibleMatch {
    /// The match as JSON.
    public var json: PossibleMatchJSON {
        PossibleMatchJSON(strength: strength.description, reason: reason, kind: kind, id: id.description, group: group, origin: origin, label: label)
    }
}

extension PossibleDuplicate {
    /// The pair as JSON.
    public var json: PossibleDuplicateJSON { PossibleDuplicateJSON(key: key, first: first.json, second: second.json) }
}

extension SearchHit {
    /// The search result as JSON.
    public var json: SearchHitJSON {
        SearchHitJSON(kind: kind, id: id, group: group, label: label, sameAs: sameAs, linkedFrom: linkedFrom.map { .init(id: $0.id, role: $0.role) })
    }
}

extension RequestSummary {
    /// The request as seen from node `me` at `now`, with its direction and whether it is overdue.
    public func json(me: NodeID, now: UInt64) -> RequestJSON {
        func time(_ milliseconds: UInt64?) -> String? { milliseconds.map(Timestamps.iso8601(milliseconds:)) }
        return RequestJSON(
            id: id, group: group, from: from, to: to, urgency: urgency, urgencyClass: thread.urgencyClass, status: status, question: question,
            form: form, answer: answer, subjects: subjectIDs, direction: to == me ? "incoming" : "outgoing", receivedAt: time(receivedAt),
            dueAt: time(dueAt), delayedUntil: time(thread.delayedUntil), pausedSince: time(thread.pausedSince), overdue: thread.isOverdue(now: now),
            entries: thread.entries.map { entry in
                RequestEntryJSON(
                    id: entry.id, type: entry.step.rawValue, author: entry.author, at: Timestamps.iso8601(milliseconds: entry.at), text: entry.text,
                    access: entry.access, dueAt: time(entry.dueAt), extent: entry.extent, grounds: entry.grounds.map(\.rawValue), until: time(entry.until),
                    entryID: entry.entryID, receivedAt: time(entry.receivedAt))
            })
    }
}

/// `GET /api/handover` and `pccc handover --json`: what this centre must act on, with holders.
public struct HandoverJSON: Codable, Sendable, Equatable {
    /// The hours ahead `due_soon` looks.
    public var hours: Int
    /// The requests, most urgent first, each with `holder` and `held_since` when held.
    public var items: [HandoverItemJSON]

    /// A handover of `items` looking `hours` ahead.
    public init(hours: Int, items: [HandoverItemJSON]) {
        self.hours = hours
        self.items = items
    }
}

/// One request of a handover.
public struct HandoverItemJSON: Codable, Sendable, Equatable {
    /// The request, as `GET /api/requests/{id}` shows it.
    public var request: RequestJSON
    /// Whether its answer falls due within the handover's hours, or is overdue.
    public var dueSoon: Bool

    enum CodingKeys: String, CodingKey {
        case request
        case dueSoon = "due_soon"
    }
}

extension HeldRequest {
    /// The item as JSON, seen from node `me` at `now`.
    public func json(me: NodeID, now: UInt64) -> HandoverItemJSON {
        var request = self.request.json(me: me, now: now)
        request.holder = holder
        request.heldSince = heldSince.map(Timestamps.iso8601(milliseconds:))
        return HandoverItemJSON(request: request, dueSoon: dueSoon)
    }
}

extension AuditEntry {
    /// The entry as JSON.
    public var json: AuditEntryJSON {
        AuditEntryJSON(
            seq: seq, at: Timestamps.iso8601(milliseconds: at), user: event.user, action: event.action, records: event.recordIDs,
            purpose: event.purpose, detail: event.detail, hash: Hex.encode(hash)
        )
    }
}

extension LocalUser {
    /// The user as JSON.
    public var json: UserJSON {
        UserJSON(
            name: name, role: role.rawValue, addedAt: Timestamps.iso8601(milliseconds: addedAt), addedBy: addedBy,
            disabledAt: disabledAt.map(Timestamps.iso8601(milliseconds:)), hasPassword: hasPassword, osAccount: osAccount)
    }
}

extension APIToken {
    /// The token's description as JSON.
    public var json: APITokenJSON {
        APITokenJSON(
            user: user, name: name, createdAt: Timestamps.iso8601(milliseconds: createdAt), expiresAt: Timestamps.iso8601(milliseconds: expiresAt),
            revokedAt: revokedAt.map(Timestamps.iso8601(milliseconds:)))
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
