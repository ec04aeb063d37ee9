import HTTPTypes
import Hummingbird
import Replica

/// Resolves `Authorization: Bearer CREDENTIAL` (a sign-in session or an API token) to a local
/// user, or answers 401 with why. Credentials travel only in this header, never in a cookie,
/// so a page of another site cannot make a browser send one: no cross-site request forgery.
struct TokenAuthenticator: RouterMiddleware {
    let storage: APIStorage

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else {
            throw APIError(
                .unauthenticated, status: .unauthorized, "sign in: POST /api/session with a name and password, or send Authorization: Bearer TOKEN")
        }
        let credential = String(header.dropFirst(7))
        var context = context
        // The web UI's live updates say so: they do not count as use of a session.
        let inUse = HTTPField.Name("PCCC-Background").flatMap { request.headers[$0] } != "true"
        context.user = try await storage.run { replica in try replica.user(forCredential: credential, inUse: inUse) }
        context.credential = credential
        context.nodeID = storage.replica.configuration.nodeID
        return try await next(request, context)
    }
}
