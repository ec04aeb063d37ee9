import Foundation
import Hummingbird
import Replica

/// Every refusal of the HTTP API: the HTTP status, a stable code, one sentence, and the field
/// (of the body, the query or the record) it concerns. It renders itself as
/// `{"error": {"code", "message", "field"}}`, the shape docs/openapi.yaml gives every error.
/// Two errors are equal when their codes are: the sentence is for people, the code for programs.
public struct APIError: HTTPResponseError, Equatable, CustomStringConvertible {
    /// A stable code; new codes may be added, existing ones never change meaning.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code as the JSON answer carries it.
        public let rawValue: String
        /// A code by its JSON form.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The JSON form.
        public var description: String { rawValue }

        /// Malformed JSON, a missing or mistyped key, a bad query parameter or id (400).
        public static let badRequest = Code(rawValue: "bad_request")
        /// A consultation, search, listing or export without the purpose the node's rule asks
        /// for in the `PCCC-Purpose` header (400).
        public static let purposeRequired = Code(rawValue: ReplicaError.Code.purposeRequired.rawValue)
        /// No token, or an unknown or replaced one (401).
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        /// The user may not do this: staff on an admin route, another centre's step (403).
        public static let notAllowed = Code(rawValue: ReplicaError.Code.notAllowed.rawValue)
        /// This node is not a member of the group (403).
        public static let notMember = Code(rawValue: ReplicaError.Code.notMember.rawValue)
        /// No record, route or file by that name (404).
        public static let notFound = Code(rawValue: ReplicaError.Code.notFound.rawValue)
        /// The path exists, but not with this method (405).
        public static let methodNotAllowed = Code(rawValue: "method_not_allowed")
        /// The record was erased (410).
        public static let erased = Code(rawValue: ReplicaError.Code.erased.rawValue)
        /// The thing to add already exists (409).
        public static let exists = Code(rawValue: ReplicaError.Code.exists.rawValue)
        /// A write refused by the record rules (422).
        public static let invalid = Code(rawValue: ReplicaError.Code.invalid.rawValue)
        /// A body over the limit (413), or a write too large for one batch (422).
        public static let tooLarge = Code(rawValue: ReplicaError.Code.tooLarge.rawValue)
        /// More password checks at once than the node runs (429).
        public static let busy = Code(rawValue: "busy")
        /// A fault of this node, logged there (500).
        public static let `internal` = Code(rawValue: "internal")
    }

    /// The HTTP status of the answer.
    public let status: HTTPResponse.Status
    /// The stable code.
    public let code: Code
    /// One sentence saying what is wrong.
    public let message: String
    /// The body key, query parameter or record field concerned, when there is one.
    public let field: String?
    /// The methods the path serves, sent as `Allow` with a 405.
    let allow: String?

    /// Creates an error.
    public init(_ code: Code, status: HTTPResponse.Status, _ message: String, field: String? = nil) {
        self.init(code, status: status, message, field: field, allow: nil)
    }

    init(_ code: Code, status: HTTPResponse.Status, _ message: String, field: String? = nil, allow: String?) {
        self.code = code
        self.status = status
        self.message = message
        self.field = field
        self.allow = allow
    }

    /// A malformed request: 400 `bad_request`.
    public static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, status: .badRequest, message, field: field)
    }

    /// The replica's refusal, with the status that fits its code.
    public init(_ error: ReplicaError) {
        let status: HTTPResponse.Status
        switch error.code {
        case .notFound: status = .notFound
        case .erased: status = .gone
        case .purposeRequired: status = .badRequest
        case .invalid, .tooLarge: status = .unprocessableContent
        case .notMember, .notAllowed: status = .forbidden
        case .unauthenticated: status = .unauthorized
        case .exists: status = .conflict
        case .wrongReplica, .wrongSchema: status = .internalServerError
        }
        self.init(Code(rawValue: error.code.rawValue), status: status, error.reason, field: error.field)
    }

    /// An error Hummingbird raised itself (no route, a body it could not read), in this shape.
    init(_ error: HTTPError) {
        let code: Code
        switch error.status {
        case .badRequest: code = .badRequest
        case .unauthorized: code = .unauthenticated
        case .forbidden: code = .notAllowed
        case .notFound: code = .notFound
        case .methodNotAllowed: code = .methodNotAllowed
        case .contentTooLarge: code = .tooLarge
        default: code = error.status.code >= 500 ? .internal : .badRequest
        }
        self.init(code, status: error.status, error.body ?? error.status.reasonPhrase.lowercased())
    }

    /// Equal when the codes are.
    public static func == (lhs: APIError, rhs: APIError) -> Bool { lhs.code == rhs.code }

    /// The sentence.
    public var description: String { message }

    /// The answer's body; `field` is always present, null when the error concerns no one field.
    public struct Body: Codable, Sendable {
        /// The error itself.
        public struct Detail: Codable, Sendable {
            /// The stable code.
            public let code: String
            /// One sentence.
            public let message: String
            /// The field concerned, or null.
            public let field: String?

            /// Encodes `field` as null when absent, so every error has all three keys.
            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(code, forKey: .code)
                try container.encode(message, forKey: .message)
                try container.encode(field, forKey: .field)
            }
        }

        /// The error itself.
        public let error: Detail
    }

    /// The JSON answer, with `Allow` on a 405 and `Retry-After: 1` on a 429.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONBody.response(Body(error: .init(code: code.rawValue, message: message, field: field)), status: status)
        if let allow { response.headers[.allow] = allow }
        if status == .tooManyRequests { response.headers[.retryAfter] = "1" }
        return response
    }
}

/// Gives every error leaving the router the shape of `APIError`: the replica's refusals,
/// Hummingbird's own (no such route), and faults, which are logged and answered 500.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = APIContext

    /// The routes, to answer a known path's other methods 405.
    let served: RouteTable.Served

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as ReplicaError where error.code == .wrongReplica {
            // The node's own files are wrong: its log says which; the client learns no path.
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            throw APIError(.internal, status: .internalServerError, "the node could not answer; its log says why")
        } catch let error as ReplicaError {
            throw APIError(error)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            // The router found no route for the method; the path may still have others.
            guard let methods = served.methods(at: request.uri.path) else {
                throw APIError(.notFound, status: .notFound, "there is no route \(request.method) \(request.uri.path)")
            }
            let allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
            throw APIError(.methodNotAllowed, status: .methodNotAllowed, "\(request.uri.path) takes \(allow), not \(request.method)", allow: allow)
        } catch let error as HTTPError {
            if error.status.code >= 500 { context.logger.error("\(request.method) \(request.uri.path) failed: \(error)") }
            throw APIError(error)
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            throw APIError(.internal, status: .internalServerError, "the node could not answer; its log says why")
        }
    }
}
