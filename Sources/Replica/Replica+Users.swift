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

    /// The local user the operating-system account `account` is mapped to, refused unless there
    /// is one, enabled, with at least `role`: who a command acts as.
    public func actingUser(forAccount account: String, requiring role: LocalUser.Role) throws -> LocalUser {
        let nodeID = configuration.nodeID
        let mapped = try writer.read { db in
            try String.fetchOne(db, sql: "SELECT name FROM local_user WHERE os_account = ?", arguments: [account])
        }
        guard let name = mapped else {
            throw ReplicaError(
                .notAllowed,
                "the OS account \(account) is not mapped to a user of node \(nodeID); an admin maps it with pccc users map-account \(account) --to USER")
        }
        return try actingUser(named: name, requiring: role)
    }

    /// Maps the operating-system account `account` to the user `name`, replacing the account
    /// the user had; `actor` must be an enabled admin, unless the caller vouches that it acts for
    /// the account owning the node's files (`asFolderOwner`), which needs no user: whoever owns
    /// the files holds every power over them, and must be able to map an admin again when no
    /// admin's account is mapped. Audited as `account_map`.
    public func mapAccount(_ account: String, to name: String, by actor: AuditActor, asFolderOwner: Bool = false) throws {
        try Self.requireValidAccount(account)
        let now = configuration.wallClock()
        try writer.write { db in
            if !asFolderOwner { try Self.requireAdmin(actor, to: "map OS accounts", db: db) }
            try Self.requireUser(name, db: db)
            try Self.requireUnmapped(account, unlessTo: name, db: db)
            try db.execute(sql: "UPDATE local_user SET os_account = ? WHERE name = ?", arguments: [account, name])
            try appendAudit(AuditEvent(user: actor.user, action: "account_map", purpose: actor.purpose, detail: "\(account) to \(name)"), now: now, db: db)
        }
    }

    /// Removes the mapping of `account`; `actor` must be an enabled admin, and the last
    /// enabled admin with a mapped account keeps it, so the command line always has an admin.
    /// Audited as `account_unmap`.
    public func unmapAccount(_ account: String, by actor: AuditActor) throws {
        let now = configuration.wallClock()
        try writer.write { db in
            try Self.requireAdmin(actor, to: "unmap OS accounts", db: db)
            guard let name = try String.fetchOne(db, sql: "SELECT name FROM local_user WHERE os_account = ?", arguments: [account]) else {
                throw ReplicaError(.notFound, "the OS account \(account) is not mapped at this node")
            }
            let others = try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM local_user WHERE role = 'admin' AND disabled_at IS NULL AND os_account IS NOT NULL AND name != ?",
                arguments: [name])
            if try Self.isEnabledAdmin(name, db: db), others == 0 {
                throw ReplicaError(.notAllowed, "\(name) is the last enabled admin with an OS account; map another admin's account first")
            }
            try db.execute(sql: "UPDATE local_user SET os_account = NULL WHERE name = ?", arguments: [name])
            try appendAudit(AuditEvent(user: actor.user, action: "account_unmap", purpose: actor.purpose, detail: "\(account) from \(name)"), now: now, db: db)
        }
    }

    /// The local user `name`, refused unless they are a user here with at least `role`: who may
    /// act, decided in one place for every front end.
    public func actingUser(named name: String, requiring role: LocalUser.Role) throws -> LocalUser {
        let nodeID = configuration.nodeID
        guard let known = try user(named: name) else {
            throw ReplicaError(.notAllowed, "\(name) is not a user of node \(nodeID); an admin adds them with pccc users add \(name) --role staff")
        }
        guard known.disabledAt == nil else { throw ReplicaError(.notAllowed, "\(name) is disabled at node \(nodeID); an admin enables them again") }
        try known.authorize(for: role, at: nodeID)
        return known
    }

    /// Adds a user and logs it, with the operating-system account whose commands act as them
    /// when one is given. `addedBy` is the acting admin, or nil for the node's first admin,
    /// which only works while the node has no users.
    public func addUser(_ name: String, role: LocalUser.Role, osAccount: String? = nil, addedBy actor: AuditActor?) throws {
        if let osAccount { try Self.requireValidAccount(osAccount) }
        guard LocalUser.isValidName(name) else {
            throw ReplicaError(
                .invalid,
                "user name \(name) must be 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
        let now = configuration.wallClock()
        try writer.write { db in
            if let actor {
                try Self.requireAdmin(actor, to: "add users", db: db)
            } else {
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM local_user") == 0 else {
                    throw ReplicaError(.notAllowed, "this node already has users; an admin adds the next one")
                }
            }
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM local_user WHERE name = ?", arguments: [name]) == 0 else {
                throw ReplicaError(.exists, "user \(name) already exists at this node")
            }
            if let osAccount { try Self.requireUnmapped(osAccount, unlessTo: name, db: db) }
            try db.execute(
                sql: "INSERT INTO local_user (name, role, added_at, added_by, os_account) VALUES (?, ?, ?, ?, ?)",
                arguments: [name, role.rawValue, Int64(now), actor?.user ?? "init", osAccount]
            )
            try appendAudit(
                AuditEvent(
                    user: actor?.user ?? name, action: "user_add", purpose: actor?.purpose,
                    detail: "\(name) as \(role.rawValue)" + (osAccount.map { ", OS account \($0)" } ?? "")),
                now: now,
                db: db
            )
        }
    }

    private static func isEnabledAdmin(_ name: String, db: Database) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM local_user WHERE name = ? AND role = 'admin' AND disabled_at IS NULL", arguments: [name]) == 1
    }

    private static func requireValidAccount(_ account: String) throws {
        guard LocalUser.isValidAccountName(account) else {
            throw ReplicaError(.invalid, "an OS account name is 1 to 64 letters, digits, '.', '_', '-' or '@', not starting with '-' or '@', not \(account)")
        }
    }

    /// Refuses an account another user than `name` is mapped to: one account acts as one user.
    private static func requireUnmapped(_ account: String, unlessTo name: String, db: Database) throws {
        if let holder = try String.fetchOne(db, sql: "SELECT name FROM local_user WHERE os_account = ? AND name != ?", arguments: [account, name]) {
            throw ReplicaError(.exists, "the OS account \(account) is mapped to \(holder); unmap it first with pccc users unmap-account \(account)")
        }
    }

    static func localUser(from row: Row) -> LocalUser {
        let addedAt: Int64 = row["added_at"]
        var user = LocalUser(
            name: row["name"], role: LocalUser.Role(rawValue: row["role"]) ?? .staff, addedAt: UInt64(addedAt), addedBy: row["added_by"]
        )
        user.disabledAt = (row["disabled_at"] as Int64?).map(UInt64.init)
        user.hasPassword = (row["password"] as String?) != nil
        user.osAccount = row["os_account"]
        return user
    }
}
