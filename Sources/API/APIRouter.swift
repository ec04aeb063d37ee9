import Foundation
import HTTPTypes
import Hummingbird
import Node
import Records
import Replica
import Topology

/// The node's HTTP API: every staff workflow and the node's status, as JSON under `/api`,
/// each call authenticated by a local user's bearer token and audited like the command line.
/// docs/API.md lists the routes.
public enum APIRouter {
    /// The router, for `Application` or Hummingbird's test client. `topology` gives the
    /// topology in force (it changes on reload); `metrics` renders the Prometheus text for
    /// `/metrics`, which is absent when nil; `certificates` gives the node's own certificate
    /// and trusted CAs in force, whose expiry the status and `/metrics` report;
    /// `concurrentSignIns` bounds the password checks run at once.
    public static func make(
        replica: Replica,
        topology: @escaping @Sendable () -> RegionTopology,
        metrics: (@Sendable () -> [UInt8])? = nil,
        certificates: @escaping @Sendable () -> [CertificateInUse] = { [] },
        concurrentSignIns: Int = 2
    ) -> Router<APIContext> {
        let storage = APIStorage(replica: replica)
        let router = Router(context: APIContext.self)
        let served = RouteTable.Served()
        router.add(middleware: APIErrorMiddleware(served: served))
        let root = RouteTable(router, served: served)
        WebUI.addRoutes(to: root)
        if let metrics {
            root.get("metrics") { _, _ in
                // The gauges read from the replica are brought up to date at each scrape.
                try await storage.run { try NodeStatus(replica: $0, topology: topology(), certificates: certificates()) }.recordMetrics()
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: metrics()))
                )
            }
        }
        addSignInRoute(to: root, storage, concurrentChecks: concurrentSignIns)
        let api = RouteTable(router.group("api").add(middleware: TokenAuthenticator(storage: storage)), prefix: "api", served: served)
        api.get("me") { _, context in try JSONBody.response(try context.requireUser().json) }
        api.get("status") { _, _ in
            let status = try await storage.run { try NodeStatus(replica: $0, topology: topology(), certificates: certificates()) }
            return try JSONBody.response(status.json())
        }
        api.get("topology") { _, _ in try JSONBody.response(topology().json) }
        api.get("kinds") { _, _ in try JSONBody.response(storage.replica.recordSchema.kinds.map(\.json)) }
        api.get("users") { _, _ in try JSONBody.response(try await storage.run { try $0.users() }.map(\.json)) }
        api.post("users") { request, context in
            let body = try await request.decode(as: APIBody.NewUser.self, context: context)
            guard let role = LocalUser.Role(rawValue: body.role) else {
                throw APIError.badRequest("role must be staff or admin, not \(body.role)", field: "role")
            }
            let actor = try context.actor(request, requiring: .admin)
            try await storage.run { try $0.addUser(body.name, role: role, osAccount: body.osAccount, addedBy: actor) }
            return try JSONBody.response(APIBody.NewUser(name: body.name, role: role.rawValue, osAccount: body.osAccount), status: .created)
        }
        addAccountRoutes(to: api, storage)
        addRecordRoutes(to: api, storage)
        addRequestRoutes(to: api, storage)
        addReviewRoutes(to: api, storage)
        addAuditRoutes(to: api, storage)
        addPurposeRoutes(to: api, storage)
        return router
    }
}

extension APIContext {
    /// The authenticated user; the authenticator guarantees one on every `/api` route.
    func requireUser() throws -> LocalUser {
        guard let user else { throw APIError(.unauthenticated, status: .unauthorized, "sign in first") }
        return user
    }

    /// The user as an audit actor, with the purpose from the `PCCC-Purpose` header, refused
    /// when the route needs an admin and the user is staff.
    func actor(_ request: Request, requiring role: LocalUser.Role = .staff) throws -> AuditActor {
        let user = try requireUser()
        try user.authorize(for: role, at: nodeID)
        let purpose = HTTPField.Name("PCCC-Purpose").flatMap { request.headers[$0] }
        return AuditActor(user: user.name, purpose: purpose.map(Self.decodedPurpose))
    }

    /// A purpose as sent: as it is, or, starting `utf-8''`, RFC 8187's percent-encoded UTF-8,
    /// which is how a browser sends text outside Latin-1 in a header. Encoding that does not
    /// decode is kept as it came, and the purpose rule judges it.
    static func decodedPurpose(_ value: String) -> String {
        guard value.lowercased().hasPrefix("utf-8''"), let decoded = value.dropFirst(7).removingPercentEncoding else { return value }
        return decoded
    }
}
