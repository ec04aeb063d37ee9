import Foundation
import HTTPTypes
import Hummingbird
import Records
import Replica

/// The node's HTTP API: every staff workflow and the node's status, as JSON under `/api`,
/// each call authenticated by a local user's bearer token and audited like the command line.
/// docs/API.md lists the routes.
public enum APIRouter {
    /// The router, for `Application` or Hummingbird's test client.
    public static func make(replica: Replica) -> Router<APIContext> {
        let storage = APIStorage(replica: replica)
        let router = Router(context: APIContext.self)
        let api = router.group("api").add(middleware: TokenAuthenticator(storage: storage))
        api.get("me") { _, context in try JSONBody.response(try context.requireUser().jsonObject) }
        api.get("status") { _, _ in try await status(storage) }
        api.get("users") { _, _ in try JSONBody.response(try await storage.run { try $0.users() }.map(\.jsonObject)) }
        api.post("users") { request, context in
            let body = try await JSONBody.object(of: request)
            let name = try JSONBody.string(body, "name")
            guard let role = LocalUser.Role(rawValue: try JSONBody.string(body, "role")) else {
                throw HTTPError(.badRequest, message: "\"role\" must be staff or admin")
            }
            let actor = try context.actor(request, requiring: .admin)
            try await storage.run { try $0.addUser(name, role: role, addedBy: actor) }
            return try JSONBody.response(["name": name, "role": role.rawValue], status: .created)
        }
        addRecordRoutes(to: api, storage)
        addRequestRoutes(to: api, storage)
        addAuditRoutes(to: api, storage)
        return router
    }

    static func status(_ storage: APIStorage) async throws -> Response {
        let (nodeID, network, peers, alarms, quarantined, streams, heartbeat) = try await storage.run { replica in
            (
                replica.configuration.nodeID, replica.configuration.roster.network, try replica.peerStatuses(), try replica.alarms(),
                try replica.quarantinedCount(), try replica.streamPositions(), try replica.servingHeartbeat()
            )
        }
        func time(_ milliseconds: UInt64?) -> Any { milliseconds.map(Timestamps.iso8601(milliseconds:)) as Any? ?? NSNull() }
        return try JSONBody.response([
            "node": nodeID, "network": network, "quarantined": quarantined, "serving_heartbeat": time(heartbeat),
            "peers": peers.map { peer -> [String: Any] in
                [
                    "peer": peer.peer, "connected": peer.connected, "since": time(peer.since), "last_contact": time(peer.lastContact),
                    "last_error": peer.lastError as Any? ?? NSNull(), "topology_matches": peer.topologyMatches as Any? ?? NSNull(),
                ]
            },
            "alarms": alarms.map { ["code": $0.code, "subject": $0.subject, "message": $0.message, "count": $0.count] },
            "streams": streams.map { ["origin": $0.origin, "group": $0.group, "seq": $0.seq] },
        ])
    }
}

extension APIContext {
    /// The authenticated user; the authenticator guarantees one on every `/api` route.
    func requireUser() throws -> LocalUser {
        guard let user else { throw HTTPError(.unauthorized, message: "sign in first") }
        return user
    }

    /// The user as an audit actor, with the purpose from the `PCCC-Purpose` header, refused
    /// when the route needs an admin and the user is staff.
    func actor(_ request: Request, requiring role: LocalUser.Role = .staff) throws -> AuditActor {
        let user = try requireUser()
        if role == .admin, user.role != .admin {
            throw HTTPError(.forbidden, message: "\(user.name) is staff, and only an admin may do this")
        }
        let purpose = HTTPField.Name("PCCC-Purpose").flatMap { request.headers[$0] }
        return AuditActor(user: user.name, purpose: purpose)
    }
}
