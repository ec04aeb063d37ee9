import Crypto
import Foundation
import GRDB

extension Replica {
    /// The node's users, by name.
    public func users() throws -> [LocalUser] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM local_user ORDER BY name").map(Self.localUser(from:))
        }
    }

    /// One user, or nil when no user has that name.
    public func user(named name: String) throws -> LocalUser? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM local_user WHERE name = ?", arguments: [name]).map(Self.localUser(from:))
        }
    }

    /// The local user `name`, refused unless they are a user here with at least `role`: who may
    /// act, decided in one place for every front end.
    public func actingUser(named name: String, requiring role: LocalUser.Role) throws -> LocalUser {
        let nodeID = configuration.nodeID
        guard let known = try user(named: name) else {
            throw ReplicaError(.notAllowed, "\(name) is not a user of node \(nodeID); an admin adds them with pccc users add \(name) --role staff")
        }
        try known.authorize(for: role, at: nodeID)
        return known
    }

    /// Adds a user and logs it. `addedBy` is the acting admin, or nil for the node's first
    /// admin, which only works while the node has no users.
    public func addUser(_ name: String, role: LocalUser.Role, addedBy actor: AuditActor?) throws {
        guard LocalUser.isValidName(name) else {
            throw ReplicaError(
                .invalid,
                "user name \(name) must be 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
        let now = configuration.wallClock()
        try writer.write { db in
            if let actor {
                guard try String.fetchOne(db, sql: "SELECT role FROM local_user WHERE name = ?", arguments: [actor.user]) == "admin" else {
                    throw ReplicaError(.notAllowed, "only an admin adds users, and \(actor.user) is not an admin of this node")
                }
            } else {
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM local_user") == 0 else {
                    throw ReplicaError(.notAllowed, "this node already has users; an admin adds the next one")
                }
            }
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM local_user WHERE name = ?", arguments: [name]) == 0 else {
                throw ReplicaError(.exists, "user \(name) already exists at this node")
            }
            try db.execute(
                sql: "INSERT INTO local_user (name, role, added_at, added_by) VALUES (?, ?, ?, ?)",
                arguments: [name, role.rawValue, Int64(now), actor?.user ?? "init"]
            )
            try Self.appendAudit(
                AuditEvent(user: actor?.user ?? name, action: "user_add", purpose: actor?.purpose, detail: "\(name) as \(role.rawValue)"),
                now: now,
                db: db
            )
        }
    }

    /// Makes a new API token for `name`, replacing any earlier one, and returns it; only its
    /// hash is stored. Users get their own; admins may get anyone's.
    public func issueToken(for name: String, by actor: AuditActor) throws -> String {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let token =
            "pccc_"
            + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let now = configuration.wallClock()
        try writer.write { db in
            let actorRole = try String.fetchOne(db, sql: "SELECT role FROM local_user WHERE name = ?", arguments: [actor.user])
            guard actor.user == name || actorRole == "admin" else {
                throw ReplicaError(.notAllowed, "only an admin makes tokens for other users, and \(actor.user) is not an admin of this node")
            }
            try db.execute(sql: "UPDATE local_user SET token_hash = ? WHERE name = ?", arguments: [Self.tokenHash(token), name])
            guard db.changesCount == 1 else { throw ReplicaError(.notFound, "no user is named \(name) at this node") }
            try Self.appendAudit(AuditEvent(user: actor.user, action: "token_issue", purpose: actor.purpose, detail: name), now: now, db: db)
        }
        return token
    }

    /// The user an API token belongs to, or nil for an unknown or replaced token.
    public func user(forToken token: String) throws -> LocalUser? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM local_user WHERE token_hash = ?", arguments: [Self.tokenHash(token)]).map(Self.localUser(from:))
        }
    }

    private static func tokenHash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }

    private static func localUser(from row: Row) -> LocalUser {
        let addedAt: Int64 = row["added_at"]
        return LocalUser(
            name: row["name"], role: LocalUser.Role(rawValue: row["role"]) ?? .staff, addedAt: UInt64(addedAt), addedBy: row["added_by"]
        )
    }
}
