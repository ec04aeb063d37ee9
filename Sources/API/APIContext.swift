import Hummingbird
import Replica
import SyncCore

/// The request context of the HTTP API: Hummingbird's core plus the local user the bearer
/// token belongs to, set by `TokenAuthenticator`.
public struct APIContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The authenticated user; nil only before authentication.
    public var user: LocalUser?
    /// The bearer credential the user was authenticated by: a session (`pcccs_…`) or an API
    /// token (`pccc_…`).
    public var credential: String?
    /// The node serving the API, set with the user, for the sentences of refusals.
    public var nodeID: NodeID = ""

    /// Bodies are read by `APIRequestDecoder`, whose failures are `APIError`s naming the key.
    public var requestDecoder: APIRequestDecoder { APIRequestDecoder() }

    /// Creates a context for one request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
