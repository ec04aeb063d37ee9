import Hummingbird
import Replica

/// Resolves `Authorization: Bearer TOKEN` to a local user, or answers 401.
struct TokenAuthenticator: RouterMiddleware {
    let storage: APIStorage

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else {
            throw APIError(.unauthenticated, status: .unauthorized, "sign in: send Authorization: Bearer TOKEN (pccc users token NAME makes one)")
        }
        let token = String(header.dropFirst(7))
        guard let user = try await storage.run({ replica in try replica.user(forToken: token) }) else {
            throw APIError(.unauthenticated, status: .unauthorized, "the token is unknown or was replaced by a newer one")
        }
        var context = context
        context.user = user
        context.nodeID = storage.replica.configuration.nodeID
        return try await next(request, context)
    }
}
