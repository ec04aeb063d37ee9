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

    private static func localUser(from row: Row) -> LocalUser {
        let addedAt: Int64 = row["added_at"]
        return LocalUser(
            name: row["name"], role: LocalUser.Role(rawValue: row["role"]) ?? .staff, addedAt: UInt64(addedAt), addedBy: row["added_by"]
        )
    }
}
