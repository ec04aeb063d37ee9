import Foundation
import Hummingbird
import NIOCore

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
    }

    /// `PATCH /api/records/{id}`: fields to set and fields to clear.
    public struct RecordChanges: Codable, Sendable {
        /// Fields to set, by name.
        public var set: [String: String]?
        /// Fields to clear.
        public var clear: [String]?
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

    /// `POST /api/records/{id}/notes`, and `POST /api/requests/{id}/answer`.
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
        /// urgent_direct, urgent_indirect or standard.
        @NonEmpty public var urgency: String
        /// What is asked.
        @NonEmpty public var question: String
        /// Ids of records the request is about.
        public var subjects: [String]?
        /// The sharing group to send it in.
        public var group: String?
    }

    /// `POST /api/users`.
    public struct NewUser: Codable, Sendable {
        /// The user's name.
        @NonEmpty public var name: String
        /// staff or admin.
        @NonEmpty public var role: String
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
