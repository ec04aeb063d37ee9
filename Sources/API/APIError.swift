import Hummingbird
import Replica

/// Refusals as HTTP: the status that fits the replica's error code, and its one sentence as
/// `{"error": {"message": …}}`.
enum APIError {
    static func http(_ error: ReplicaError) -> HTTPError {
        HTTPError(status(of: error.code), message: error.reason)
    }

    static func status(of code: ReplicaError.Code) -> HTTPResponse.Status {
        switch code {
        case .notFound: return .notFound
        case .erased: return .gone
        case .invalid, .tooLarge: return .unprocessableContent
        case .notMember, .notAllowed: return .forbidden
        case .exists: return .conflict
        case .wrongReplica: return .internalServerError
        }
    }
}
