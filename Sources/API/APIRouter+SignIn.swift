import Foundation
import Hummingbird
import Records
import Replica
import SyncCore
import Synchronization

extension APIRouter {
    /// `POST /api/session`, the one `/api` route that needs no credential. At most
    /// `concurrentChecks` password checks run at once (each is about 60 ms of scrypt on the
    /// threads every API call shares); more are answered 429 at once, so a flood of sign-ins
    /// cannot hold up the staff's other calls.
    static func addSignInRoute(to root: RouteTable, _ storage: APIStorage, concurrentChecks: Int) {
        let inFlight = Mutex(0)
        root.post("api/session") { request, context in
            let body = try await request.decode(as: APIBody.SignIn.self, context: context)
            let admitted = inFlight.withLock { count in
                guard count < concurrentChecks else { return false }
                count += 1
                return true
            }
            guard admitted else {
                throw APIError(.busy, status: .tooManyRequests, "the node is checking as many passwords as it takes at once; try again in a second")
            }
            defer { inFlight.withLock { $0 -= 1 } }
            let signedIn = try await storage.run { try $0.signIn(name: body.name, password: body.password) }
            return try JSONBody.response(
                APIBody.Session(
                    token: signedIn.token, user: signedIn.user.json, endsAt: Timestamps.iso8601(milliseconds: signedIn.endsAt),
                    idleMinutes: signedIn.idleMilliseconds / 60_000),
                status: .created)
        }
    }

    /// Sign-out, passwords, disabling users and API tokens (docs/API.md, "Signing in").
    static func addAccountRoutes(to api: RouteTable, _ storage: APIStorage) {
        api.delete("session") { _, context in
            guard let credential = context.credential, credential.hasPrefix("pcccs_") else {
                throw APIError(
                    .notAllowed, status: .forbidden, "this request came with an API token, which is revoked with DELETE /api/tokens/NAME, not signed out")
            }
            try await storage.run { try $0.signOut(session: credential) }
            return JSONBody.noContent()
        }
        api.post("me/password") { request, context in
            let actor = try context.actor(request)
            let body = try await request.decode(as: APIBody.PasswordChange.self, context: context)
            try await storage.run { try $0.setPassword(body.password, for: actor.user, current: body.current, by: actor) }
            return JSONBody.noContent()
        }
        api.post("users/:name/password") { request, context in
            let actor = try context.actor(request, requiring: .admin)
            let name = try context.parameters.require("name")
            let body = try await request.decode(as: APIBody.PasswordSet.self, context: context)
            try await storage.run { try $0.setPassword(body.password, for: name, by: actor) }
            return JSONBody.noContent()
        }
        api.post("users/:name/disable") { request, context in
            let actor = try context.actor(request, requiring: .admin)
            let name = try context.parameters.require("name")
            try await storage.run { try $0.disableUser(name, by: actor) }
            return JSONBody.noContent()
        }
        api.post("users/:name/enable") { request, context in
            let actor = try context.actor(request, requiring: .admin)
            let name = try context.parameters.require("name")
            try await storage.run { try $0.enableUser(name, by: actor) }
            return JSONBody.noContent()
        }
        api.post("users/:name/sign-out") { request, context in
            let actor = try context.actor(request, requiring: .admin)
            let name = try context.parameters.require("name")
            let ended = try await storage.run { try $0.endSessions(of: name, by: actor) }
            return try JSONBody.response(APIBody.SessionsEnded(ended: ended))
        }
        api.get("tokens") { request, context in
            let actor = try context.actor(request)
            let user = request.uri.queryParameters.get("user").map { String($0) }
            let all = try flag(request, "all")
            let tokens = try await storage.run { try $0.apiTokens(of: all ? nil : user ?? actor.user, by: actor) }
            return try JSONBody.response(tokens.map(\.json))
        }
        api.post("tokens") { request, context in
            let actor = try context.actor(request)
            let body = try await request.decode(as: APIBody.NewToken.self, context: context)
            let user = body.user ?? actor.user
            let credential = context.credential ?? ""
            let issued = try await storage.run { replica in
                let token = try replica.issueToken(
                    for: user, named: body.name, days: body.days, notAfter: try replica.end(ofCredential: credential) ?? 0, by: actor)
                let description = try replica.apiTokens(of: user, by: actor).first { $0.name == body.name }
                return (token, description)
            }
            guard let description = issued.1 else { throw APIError(.internal, status: .internalServerError, "the token was made but is not listed") }
            return try JSONBody.response(APIBody.IssuedToken(token: issued.0, description: description.json), status: .created)
        }
        api.delete("tokens/:name") { request, context in
            let actor = try context.actor(request)
            let name = try context.parameters.require("name")
            let user = request.uri.queryParameters.get("user").map { String($0) } ?? actor.user
            try await storage.run { try $0.revokeToken(named: name, of: user, by: actor) }
            return JSONBody.noContent()
        }
    }
}
