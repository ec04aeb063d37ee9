import Foundation
import Hummingbird
import NIOCore
import Records
import Replica

/// The request bodies of the API, one type per route that takes one; docs/openapi.yaml
/// describes the same shapes. Keys are the JSON keys; unknown keys are ignored.
public enum APIBody {
    /// `POST /api/records`.
    public struct NewRecord: Codable, Sendable {
        /// person, vehicle, document or firearm.
        @NonEmpty public var kind: String
        /// The sharing group, fixed at creation.
        @NonEmpty public var group: String
        /// Field names to values.
        public var fields: [String: String]?
        /// List names (fields that merge as sets) to the entries they start with.
        public var add: [String: [String]]?
    }

    /// `PATCH /api/records/{id}`: fields to set and fields to clear, list entries to add and
    /// to remove.
    public struct RecordChanges: Codable, Sendable {
        /// Fields to set, by name.
        public var set: [String: String]?
        /// Fields to clear.
        public var clear: [String]?
        /// Entries to add, by list.
        public var add: [String: [String]]?
        /// Entries to remove, by list.
        public var remove: [String: [String]]?

        /// The list edits, one per list named, in name order.
        var setEdits: [SetEdit] {
            let fields = Set((add ?? [:]).keys).union((remove ?? [:]).keys).sorted()
            return fields.map { SetEdit($0, add: add?[$0] ?? [], remove: remove?[$0] ?? []) }
        }
    }

    /// `POST /api/records/{id}/erase`.
    public struct Erasure: Codable, Sendable {
        /// The reason, a code such as `court_order`.
        @NonEmpty public var reason: String
    }

    /// `POST /api/records/{id}/hits`; `checked_at` defaults to now.
    public struct NewHit: Codable, Sendable {
        /// Where the record was checked.
        @NonEmpty public var place: String
        /// What came of it.
        @NonEmpty public var outcome: String
        /// When, ISO 8601; now when absent.
        public var checkedAt: String?

        enum CodingKeys: String, CodingKey {
            case place, outcome
            case checkedAt = "checked_at"
        }
    }

    /// `POST /api/records/{id}/notes`, and `POST /api/requests/{id}/ask-clarification` and
    /// `/clarify`.
    public struct Text: Codable, Sendable {
        /// The text.
        @NonEmpty public var text: String
    }

    /// `POST /api/records/{id}/erasure-requests`.
    public struct NewErasureRequest: Codable, Sendable {
        /// The reason, a code such as `court_order`.
        @NonEmpty public var reason: String
        /// Words for the owner, optional.
        public var text: String?
    }

    /// `POST /api/requests`; `group` defaults to the smallest group holding both centres.
    public struct NewRequest: Codable, Sendable {
        /// The requested centre's node id.
        @NonEmpty public var to: String
        /// The sharing group to send it in.
        public var group: String?
        /// urgent or standard.
        public var urgency: String?
        /// The information sought.
        public var question: String?
        /// The purpose, with the facts.
        public var purpose: String?
        /// The offence.
        public var offence: String?
        /// Why the requested state is believed to hold the information.
        public var availabilityReasons: String?
        /// Ids of records the request is about.
        public var subjects: [String]?
        /// How the subjects relate to the purpose.
        public var subjectRelation: String?
        /// An urgent request's ground.
        public var urgentGround: String?
        /// Why the ground applies.
        public var urgentReasons: String?
        /// Restrictions on use.
        public var useRestrictions: String?
        /// The request's language, ISO 639-1.
        public var language: String?
        /// The requesting authority or officer.
        public var requestingAuthority: String?
        /// The national case number.
        public var caseNumber: String?
        /// sent, or the Art. 8(3) exception.
        public var spocCopy: String?
        /// sent or not_needed.
        public var europolCopy: String?
        /// Why Europol was not copied.
        public var europolReason: String?

        enum CodingKeys: String, CodingKey {
            case to, group, urgency, question, purpose, offence, subjects, language
            case availabilityReasons = "availability_reasons"
            case subjectRelation = "subject_relation"
            case urgentGround = "urgent_ground"
            case urgentReasons = "urgent_reasons"
            case useRestrictions = "use_restrictions"
            case requestingAuthority = "requesting_authority"
            case caseNumber = "case_number"
            case spocCopy = "spoc_copy"
            case europolCopy = "europol_copy"
            case europolReason = "europol_reason"
        }

        /// The form; a missing field is left empty for the form's own check to name.
        var form: RequestForm {
            RequestForm(
                question: question ?? "", urgency: urgency ?? "", purpose: purpose ?? "", offence: offence ?? "",
                availabilityReasons: availabilityReasons ?? "", subjects: subjects ?? [], subjectRelation: subjectRelation, urgentGround: urgentGround,
                urgentReasons: urgentReasons, useRestrictions: useRestrictions, language: language ?? "", requestingAuthority: requestingAuthority ?? "",
                caseNumber: caseNumber ?? "", spocCopy: spocCopy ?? "", europolCopy: europolCopy ?? "", europolReason: europolReason)
        }
    }

    /// `POST /api/records/{id}/keep`: the review's decision to keep the record.
    public struct Keep: Codable, Sendable {
        /// The day to keep it until, YYYY-MM-DD.
        @NonEmpty public var until: String
        /// Why it is still needed.
        @NonEmpty public var reason: String
    }

    /// `GET /api/reviews/count`.
    public struct ReviewCount: Codable, Sendable {
        /// How many records are due for review now.
        public var due: Int
    }

    /// `POST /api/requests/{id}/classify`.
    public struct Classification: Codable, Sendable {
        /// direct or indirect.
        @NonEmpty public var access: String
    }

    /// `POST /api/requests/{id}/answer`.
    public struct Answer: Codable, Sendable {
        /// The information.
        @NonEmpty public var text: String
        /// Whether it is only part of it.
        public var partial: Bool?
    }

    /// `POST /api/requests/{id}/refuse`.
    public struct Refusal: Codable, Sendable {
        /// whole or partial.
        @NonEmpty public var extent: String
        /// Grounds of Art. 6(1), a to h.
        public var grounds: [String]
        /// The reasons.
        @NonEmpty public var reasons: String
    }

    /// `POST /api/requests/{id}/delay`.
    public struct Delay: Codable, Sendable {
        /// Why judicial authorisation delays the answer.
        @NonEmpty public var reason: String
        /// The expected end, ISO 8601.
        @NonEmpty public var until: String
    }

    /// `POST /api/users`.
    public struct NewUser: Codable, Sendable {
        /// The user's name.
        @NonEmpty public var name: String
        /// staff or admin.
        @NonEmpty public var role: String
        /// The OS account whose `pccc` commands act as the user, if any.
        public var osAccount: String?

        enum CodingKeys: String, CodingKey {
            case name, role
            case osAccount = "os_account"
        }
    }

    /// `POST /api/requests/:id/hand`: the colleague who takes the request over.
    public struct Hand: Codable, Sendable {
        /// Their user name.
        @NonEmpty public var to: String
    }

    /// `POST /api/handover/accept`: the requests the incoming operator takes over.
    public struct HandoverAcceptance: Codable, Sendable {
        /// Their ids.
        public var ids: [String]
    }

    /// The answer to `GET /api/handover/count`.
    public struct UnheldUrgent: Codable, Sendable {
        /// How many urgent requests to this centre nobody here holds.
        public var unheldUrgent: Int

        enum CodingKeys: String, CodingKey {
            case unheldUrgent = "unheld_urgent"
        }
    }

    /// `POST /api/session`: who signs in.
    public struct SignIn: Codable, Sendable {
        /// The user's name.
        @NonEmpty public var name: String
        /// Their password.
        @NonEmpty public var password: String
    }

    /// The answer to `POST /api/session`.
    public struct Session: Codable, Sendable {
        /// The session token, sent as `Authorization: Bearer TOKEN` until sign-out.
        public var token: String
        /// Who signed in.
        public var user: UserJSON
        /// When the session ends whatever happens, ISO 8601.
        public var endsAt: String
        /// How many minutes it may go unused before it ends.
        public var idleMinutes: UInt64

        enum CodingKeys: String, CodingKey {
            case token, user
            case endsAt = "ends_at"
            case idleMinutes = "idle_minutes"
        }
    }

    /// `POST /api/me/password`: a user's new password, with the one they have now.
    public struct PasswordChange: Codable, Sendable {
        /// The password now.
        @NonEmpty public var current: String
        /// The new one.
        @NonEmpty public var password: String
    }

    /// `POST /api/users/:name/password`: the password an admin sets.
    public struct PasswordSet: Codable, Sendable {
        /// The new password.
        @NonEmpty public var password: String
    }

    /// The answer to `POST /api/users/:name/sign-out`.
    public struct SessionsEnded: Codable, Sendable {
        /// How many sessions ended.
        public var ended: Int
    }

    /// `PUT /api/purposes`, and the answer to `GET /api/purposes`: what purpose every
    /// consultation, search, listing and export must give.
    public struct Purposes: Codable, Sendable {
        /// free-text, case-number or none.
        @NonEmpty public var rule: String
        /// The case numbers a purpose may start with, sorted.
        public var caseNumbers: [String]

        /// Creates the body.
        public init(rule: String, caseNumbers: [String]) {
            self.rule = rule
            self.caseNumbers = caseNumbers
        }

        enum CodingKeys: String, CodingKey {
            case rule
            case caseNumbers = "case_numbers"
        }
    }

    /// `POST /api/tokens`: a named API token to make.
    public struct NewToken: Codable, Sendable {
        /// Its name, unique per user; a token of that name is replaced.
        @NonEmpty public var name: String
        /// How many days it lasts (default 90, at most 365).
        public var days: Int?
        /// Whose (an admin's choice); the caller's own when absent.
        public var user: String?
    }

    /// The answer to `POST /api/tokens`: the token, shown once, and its description.
    public struct IssuedToken: Codable, Sendable {
        /// The token.
        public var token: String
        /// What it is.
        public var description: APITokenJSON
    }

    /// `GET /api/audit/verify`: `{intact: true, entries}` or `{intact: false, first_bad_entry, reason}`.
    public struct AuditVerification: Codable, Sendable {
        /// Whether every hash checks.
        public var intact: Bool
        /// How many entries, when intact.
        public var entries: Int?
        /// The first entry whose hash does not check, when broken.
        public var firstBadEntry: Int64?
        /// What is wrong with it, when broken.
        public var reason: String?

        enum CodingKeys: String, CodingKey {
            case intact, entries, reason
            case firstBadEntry = "first_bad_entry"
        }
    }

    /// The answer of every route that creates something: `{id}` (201).
    public struct Created: Codable, Sendable {
        /// The new thing's id.
        public let id: String
    }
}

/// A string key that must be present and not empty; an empty one is refused as malformed,
/// naming the key.
@propertyWrapper
public struct NonEmpty: Codable, Sendable {
    /// The string, never empty once decoded.
    public var wrappedValue: String

    /// Wraps a string.
    public init(wrappedValue: String) { self.wrappedValue = wrappedValue }

    /// Decodes a string, refusing an empty one.
    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(String.self)
        guard !value.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "must be a non-empty string"))
        }
        wrappedValue = value
    }

    /// Encodes the string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

/// Reads request bodies for `request.decode(as:context:)`: at most `maxBytes`, JSON, and every
/// decoding failure as a 400 `APIError` naming the key.
public struct APIRequestDecoder: RequestDecoder {
    /// The largest request body accepted.
    public static let maxBytes = 1 << 20

    /// A decoder.
    public init() {}

    /// Decodes a body of at most `maxBytes` as `T`.
    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maxBytes)
        } catch is NIOTooManyBytesError {
            throw APIError(.tooLarge, status: .contentTooLarge, "the request body is larger than \(Self.maxBytes) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw Self.refusal(error)
        }
    }

    /// The sentence and key of a decoding failure.
    static func refusal(_ error: DecodingError) -> APIError {
        switch error {
        case .keyNotFound(let key, let context):
            let path = Self.path(context.codingPath + [key])
            return .badRequest("the body needs \"\(path)\"", field: path)
        case .valueNotFound(_, let context):
            let path = Self.path(context.codingPath)
            return .badRequest("\"\(path)\" must not be null", field: path)
        case .typeMismatch(let type, let context):
            guard !context.codingPath.isEmpty else { return .badRequest("the request body must be a JSON object") }
            let path = Self.path(context.codingPath)
            return .badRequest("\"\(path)\" must be \(Self.describe(type))", field: context.codingPath.first?.stringValue)
        case .dataCorrupted(let context):
            guard !context.codingPath.isEmpty else { return .badRequest("the request body must be a JSON object") }
            let path = Self.path(context.codingPath)
            return .badRequest("\"\(path)\" \(context.debugDescription)", field: path)
        @unknown default:
            return .badRequest("the request body does not have the shape docs/openapi.yaml gives this route")
        }
    }

    /// A key path as a user writes it: `fields.family_name`, `subjects[0]`.
    private static func path(_ keys: [any CodingKey]) -> String {
        keys.reduce(into: "") { path, key in
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += (path.isEmpty ? "" : ".") + key.stringValue
            }
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is [String].Type: return "an array of strings"
        case is [String: String].Type: return "an object of field names to string values"
        default: return "of the type docs/openapi.yaml gives it"
        }
    }
}
