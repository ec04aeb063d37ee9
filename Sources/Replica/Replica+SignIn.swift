import Crypto
import Foundation
import GRDB
import Records

/// Signing in with a password, sessions, named API tokens, and disabling users: every refusal
/// is one sentence with code `unauthenticated`, and every one that concerns a known user is
/// audited (docs/AUDIT.md).
extension Replica {
    static let sessionPrefix = "pcccs_"
    static let tokenPrefix = "pccc_"

    /// Checks `password` for `name` and begins a session. A wrong name and a wrong password get
    /// the same sentence; `failuresBeforeLockout` wrong passwords in a row lock the account for
    /// `lockoutMilliseconds`. Each attempt is counted before its password is checked, so
    /// attempts sent at once cannot slip past the count.
    public func signIn(name: String, password: String) throws -> SignedIn {
        let policy = try signInPolicy()
        let now = configuration.wallClock()
        guard let user = try checkPassword(password, of: name, now: now, refusal: "sign_in_refused") else {
            throw ReplicaError(.unauthenticated, "the name or password is wrong")
        }
        if user.disabledAt != nil {
            try audit(AuditEvent(user: name, action: "sign_in_refused", detail: "disabled"), now: now)
            throw ReplicaError(.unauthenticated, "\(name) is disabled at this node; an admin enables them again")
        }
        let token = Self.sessionPrefix + Base64URL.random(32)
        try writer.write { db in
            try Self.deleteEndedSessions(before: now, policy: policy, db: db)
            try db.execute(
                sql: "INSERT INTO user_session (token_hash, user, started_at, last_seen_at) VALUES (?, ?, ?, ?)",
                arguments: [Self.credentialHash(token), name, Int64(now), Int64(now)])
            try appendAudit(AuditEvent(user: name, action: "sign_in"), now: now, db: db)
        }
        return SignedIn(token: token, user: user, endsAt: now + policy.sessionMilliseconds, idleMilliseconds: policy.idleMilliseconds)
    }

    /// Checks `password` against `name`'s, counting the attempt first: nil for an unknown name,
    /// a user without a password, or a wrong password (audited as `refusal` for a known user);
    /// refused while the account is locked. A right password clears the count.
    private func checkPassword(_ password: String, of name: String, now: UInt64, refusal: String) throws -> LocalUser? {
        let policy = configuration.signIn
        // Reserve the attempt: while `failuresBeforeLockout` attempts are counted and not yet
        // judged, or the lock holds, the next is refused without a check.
        let reserved = try writer.write { db -> Row? in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM local_user WHERE name = ?", arguments: [name]) else { return nil }
            let lockedUntil = (row["locked_until"] as Int64?).map(UInt64.init)
            if let lockedUntil, lockedUntil > now { throw Self.locked(name, until: lockedUntil, policy: policy) }
            let failures: Int = row["failed_sign_ins"]
            if failures >= policy.failuresBeforeLockout { throw Self.locked(name, until: now + policy.lockoutMilliseconds, policy: policy) }
            try db.execute(sql: "UPDATE local_user SET failed_sign_ins = failed_sign_ins + 1 WHERE name = ?", arguments: [name])
            return row
        }
        guard let reserved else {
            _ = Self.unusedPassword.matches(password)
            return nil
        }
        let hash = (reserved["password"] as String?).flatMap(PasswordHash.init(text:))
        guard let hash, hash.matches(password) else {
            if hash == nil { _ = Self.unusedPassword.matches(password) }
            // The attempt stays counted; the one that reaches the limit locks the account. A
            // failure never lifts a lock.
            let locked = try writer.write { db -> UInt64? in
                let failures = try Int.fetchOne(db, sql: "SELECT failed_sign_ins FROM local_user WHERE name = ?", arguments: [name]) ?? 0
                var lockedUntil: UInt64?
                if failures >= policy.failuresBeforeLockout {
                    lockedUntil = now + policy.lockoutMilliseconds
                    try db.execute(
                        sql: "UPDATE local_user SET failed_sign_ins = 0, locked_until = max(coalesce(locked_until, 0), ?) WHERE name = ?",
                        arguments: [Int64(now + policy.lockoutMilliseconds), name])
                }
                let detail =
                    hash == nil
                    ? "no password set" : lockedUntil == nil ? "wrong password (\(failures) of \(policy.failuresBeforeLockout))" : "wrong password; locked"
                try appendAudit(AuditEvent(user: name, action: refusal, detail: detail), now: now, db: db)
                return lockedUntil
            }
            if let locked { throw Self.locked(name, until: locked, policy: policy) }
            return nil
        }
        // Right, unless a lock came down while it was checked.
        let user = try writer.write { db -> LocalUser in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM local_user WHERE name = ?", arguments: [name]) else {
                throw ReplicaError(.unauthenticated, "the name or password is wrong")
            }
            if let lockedUntil = (row["locked_until"] as Int64?).map(UInt64.init), lockedUntil > now {
                throw Self.locked(name, until: lockedUntil, policy: policy)
            }
            try db.execute(sql: "UPDATE local_user SET failed_sign_ins = 0, locked_until = NULL WHERE name = ?", arguments: [name])
            return Self.localUser(from: row)
        }
        return user
    }

    private static func locked(_ name: String, until: UInt64, policy: SignInPolicy) -> ReplicaError {
        ReplicaError(
            .unauthenticated, "\(name) is locked until \(Timestamps.iso8601(milliseconds: until)) after \(policy.failuresBeforeLockout) wrong passwords")
    }

    /// The user a bearer credential (a session or an API token) belongs to; refused, in one
    /// sentence, when it is unknown, ended, expired, revoked, or its user is disabled. A
    /// session's idle time restarts unless `inUse` is false (a call no person made).
    public func user(forCredential credential: String, inUse: Bool = true) throws -> LocalUser {
        if credential.hasPrefix(Self.sessionPrefix) { return try user(forSession: credential, inUse: inUse) }
        if credential.hasPrefix(Self.tokenPrefix) { return try user(forToken: credential) }
        throw ReplicaError(.unauthenticated, "that is neither a session nor an API token of this node")
    }

    /// When a valid credential ends at the latest: a session at its absolute limit, a token at
    /// its expiry; nil for one that is not this node's.
    public func end(ofCredential credential: String) throws -> UInt64? {
        let key = Self.credentialHash(credential)
        let sessionMilliseconds = try signInPolicy().sessionMilliseconds
        return try writer.read { db in
            if credential.hasPrefix(Self.sessionPrefix) {
                return try Int64.fetchOne(db, sql: "SELECT started_at FROM user_session WHERE token_hash = ?", arguments: [key]).map {
                    UInt64($0) + sessionMilliseconds
                }
            }
            return try Int64.fetchOne(db, sql: "SELECT expires_at FROM api_token WHERE token_hash = ?", arguments: [key]).map(UInt64.init)
        }
    }

    private func user(forSession token: String, inUse: Bool) throws -> LocalUser {
        let policy = try signInPolicy()
        let now = configuration.wallClock()
        let key = Self.credentialHash(token)
        let found = try writer.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT s.started_at, s.last_seen_at, u.* FROM user_session s JOIN local_user u ON u.name = s.user
                    WHERE s.token_hash = ?
                    """, arguments: [key])
        }
        guard let found else { throw ReplicaError(.unauthenticated, "the session ended or is not one of this node's; sign in again") }
        let user = Self.localUser(from: found)
        let started = UInt64(found["started_at"] as Int64)
        let lastSeen = UInt64(found["last_seen_at"] as Int64)
        let ended: String? =
            user.disabledAt != nil
            ? "\(user.name) is disabled at this node"
            : now >= started + policy.sessionMilliseconds
                ? "the session reached its \(policy.sessionHours)-hour limit; sign in again"
                : now >= lastSeen + policy.idleMilliseconds
                    ? "the session ended after \(SignInPolicy.count(policy.idleMinutes, "minute")) unused; sign in again" : nil
        if let ended {
            try writer.write { db in
                try db.execute(sql: "DELETE FROM user_session WHERE token_hash = ?", arguments: [key])
                if db.changesCount == 1 {
                    try appendAudit(AuditEvent(user: user.name, action: "session_end", detail: ended), now: now, db: db)
                }
            }
            throw ReplicaError(.unauthenticated, ended)
        }
        if inUse, now >= lastSeen + SignInPolicy.lastUseResolutionMilliseconds {
            try writer.write { db in
                try db.execute(sql: "UPDATE user_session SET last_seen_at = ? WHERE token_hash = ?", arguments: [Int64(now), key])
            }
        }
        return user
    }

    private func user(forToken token: String) throws -> LocalUser {
        let now = configuration.wallClock()
        let key = Self.credentialHash(token)
        let found = try writer.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT t.name AS token_name, t.expires_at, t.revoked_at, t.last_refused_at, u.*
                    FROM api_token t JOIN local_user u ON u.name = t.user WHERE t.token_hash = ?
                    """, arguments: [key])
        }
        guard let found else { throw ReplicaError(.unauthenticated, "the token is not one of this node's") }
        let user = Self.localUser(from: found)
        let name: String = found["token_name"]
        let expiresAt = UInt64(found["expires_at"] as Int64)
        let refusal: String? =
            if let revokedAt = (found["revoked_at"] as Int64?).map(UInt64.init) {
                "token \(name) of \(user.name) was revoked at \(Timestamps.iso8601(milliseconds: revokedAt))"
            } else if now >= expiresAt {
                "token \(name) of \(user.name) expired at \(Timestamps.iso8601(milliseconds: expiresAt)); make a new one"
            } else if user.disabledAt != nil {
                "\(user.name) is disabled at this node"
            } else { nil }
        guard let refusal else { return user }
        let lastAudited = (found["last_refused_at"] as Int64?).map(UInt64.init)
        if lastAudited.map({ now >= $0 + SignInPolicy.refusalAuditMilliseconds }) ?? true {
            try writer.write { db in
                try db.execute(sql: "UPDATE api_token SET last_refused_at = ? WHERE token_hash = ?", arguments: [Int64(now), key])
                try appendAudit(AuditEvent(user: user.name, action: "token_refused", detail: refusal), now: now, db: db)
            }
        }
        throw ReplicaError(.unauthenticated, refusal)
    }

    /// Ends the session `token` (signing out); audited. Ending one that already ended is not
    /// an error.
    public func signOut(session token: String) throws {
        let now = configuration.wallClock()
        try writer.write { db in
            let user = try String.fetchOne(
                db, sql: "DELETE FROM user_session WHERE token_hash = ? RETURNING user", arguments: [Self.credentialHash(token)])
            if let user { try appendAudit(AuditEvent(user: user, action: "sign_out"), now: now, db: db) }
        }
    }

    /// Ends every session of `name` (admins only); returns how many there were.
    @discardableResult
    public func endSessions(of name: String, by actor: AuditActor) throws -> Int {
        let now = configuration.wallClock()
        return try writer.write { db in
            try Self.requireAdmin(actor, to: "end other users' sessions", db: db)
            try Self.requireUser(name, db: db)
            try db.execute(sql: "DELETE FROM user_session WHERE user = ?", arguments: [name])
            let ended = db.changesCount
            try appendAudit(
                AuditEvent(user: actor.user, action: "sessions_end", purpose: actor.purpose, detail: "\(name): \(ended)"), now: now, db: db)
            return ended
        }
    }

    /// Sets `name`'s password and ends every session of theirs. An admin sets anyone's, which
    /// also unlocks them; a user changes their own only with `current`, their password now,
    /// each wrong one counted towards the lockout.
    public func setPassword(_ password: String, for name: String, current: String? = nil, by actor: AuditActor) throws {
        try PasswordHash.checkAcceptable(password)
        if let current {
            guard actor.user == name else { throw ReplicaError(.notAllowed, "only \(name) changes their password with their current one") }
            // Counted as a sign-in attempt: a stolen session cannot guess the password.
            guard try checkPassword(current, of: name, now: configuration.wallClock(), refusal: "password_refused") != nil else {
                throw ReplicaError(.unauthenticated, "the current password is wrong", field: "current")
            }
        }
        let hash = try PasswordHash(hashing: password)
        let now = configuration.wallClock()
        try writer.write { db in
            if current == nil { try Self.requireAdmin(actor, to: "set other users' passwords", db: db) }
            try Self.requireUser(name, db: db)
            try db.execute(
                sql: "UPDATE local_user SET password = ?, failed_sign_ins = 0, locked_until = NULL WHERE name = ?", arguments: [hash.text, name])
            // Whoever knew the old password, or holds a session opened with it, is out.
            try db.execute(sql: "DELETE FROM user_session WHERE user = ?", arguments: [name])
            try appendAudit(AuditEvent(user: actor.user, action: "password_set", purpose: actor.purpose, detail: name), now: now, db: db)
        }
    }

    /// Disables `name` (admins only): their sessions end, their tokens and the command line
    /// refuse them, until ``enableUser(_:by:)``. The last admin who is not disabled stays.
    public func disableUser(_ name: String, by actor: AuditActor) throws {
        let now = configuration.wallClock()
        try writer.write { db in
            try Self.requireAdmin(actor, to: "disable users", db: db)
            try Self.requireUser(name, db: db)
            let otherAdmins =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM local_user WHERE role = 'admin' AND disabled_at IS NULL AND name != ?", arguments: [name]) ?? 0
            let role = try String.fetchOne(db, sql: "SELECT role FROM local_user WHERE name = ?", arguments: [name])
            guard role != "admin" || otherAdmins > 0 else {
                throw ReplicaError(.notAllowed, "\(name) is the node's last enabled admin, and stays enabled")
            }
            try db.execute(sql: "UPDATE local_user SET disabled_at = coalesce(disabled_at, ?) WHERE name = ?", arguments: [Int64(now), name])
            try db.execute(sql: "DELETE FROM user_session WHERE user = ?", arguments: [name])
            try appendAudit(AuditEvent(user: actor.user, action: "user_disable", purpose: actor.purpose, detail: name), now: now, db: db)
        }
    }

    /// Enables `name` again and unlocks them (admins only).
    public func enableUser(_ name: String, by actor: AuditActor) throws {
        let now = configuration.wallClock()
        try writer.write { db in
            try Self.requireAdmin(actor, to: "enable users", db: db)
            try Self.requireUser(name, db: db)
            try db.execute(
                sql: "UPDATE local_user SET disabled_at = NULL, failed_sign_ins = 0, locked_until = NULL WHERE name = ?", arguments: [name])
            try appendAudit(AuditEvent(user: actor.user, action: "user_enable", purpose: actor.purpose, detail: name), now: now, db: db)
        }
    }

    /// Makes the API token `tokenName` for `name`, lasting `days`, replacing an earlier token
    /// of that name; returns it (only its hash is kept). Users make their own, admins anyone's.
    /// `notAfter` caps its expiry: a token made through the API lasts no longer than the
    /// session or token that made it, so a stolen session cannot become a year's access.
    public func issueToken(
        for name: String, named tokenName: String = "token", days: Int? = nil, notAfter: UInt64? = nil, by actor: AuditActor
    ) throws -> String {
        let policy = configuration.signIn
        let days = days ?? policy.defaultTokenDays
        guard LocalUser.isValidName(tokenName) else {
            throw ReplicaError(.invalid, "a token name is 1 to 64 lowercase letters, digits, '.', '_' or '-', not \(tokenName)", field: "name")
        }
        guard (1...policy.maximumTokenDays).contains(days) else {
            throw ReplicaError(.invalid, "a token lasts 1 to \(policy.maximumTokenDays) days, not \(days)", field: "days")
        }
        let token = Self.tokenPrefix + Base64URL.random(32)
        let now = configuration.wallClock()
        let expiresAt = min(now + UInt64(days) * 86_400_000, notAfter ?? .max)
        guard expiresAt > now else { throw ReplicaError(.unauthenticated, "the credential making the token has ended") }
        try writer.write { db in
            try Self.requireSelfOrAdmin(actor, for: name, to: "make tokens for other users", db: db)
            try Self.requireUser(name, db: db)
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO api_token (user, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [name, tokenName, Self.credentialHash(token), Int64(now), Int64(expiresAt)])
            try appendAudit(
                AuditEvent(
                    user: actor.user, action: "token_issue", purpose: actor.purpose,
                    detail: "\(name) \(tokenName) until \(Timestamps.iso8601(milliseconds: expiresAt))"), now: now, db: db)
        }
        return token
    }

    /// Revokes `name`'s token `tokenName` (their own, or anyone's as an admin).
    public func revokeToken(named tokenName: String, of name: String, by actor: AuditActor) throws {
        let now = configuration.wallClock()
        try writer.write { db in
            try Self.requireSelfOrAdmin(actor, for: name, to: "revoke other users' tokens", db: db)
            try db.execute(
                sql: "UPDATE api_token SET revoked_at = coalesce(revoked_at, ?) WHERE user = ? AND name = ?", arguments: [Int64(now), name, tokenName])
            guard db.changesCount == 1 else { throw ReplicaError(.notFound, "\(name) has no token named \(tokenName)") }
            try appendAudit(
                AuditEvent(user: actor.user, action: "token_revoke", purpose: actor.purpose, detail: "\(name) \(tokenName)"), now: now, db: db)
        }
    }

    /// The API tokens of `name`, or of every user when nil (an admin's view), by user and name.
    public func apiTokens(of name: String?, by actor: AuditActor) throws -> [APIToken] {
        try writer.read { db in
            if let name {
                try Self.requireSelfOrAdmin(actor, for: name, to: "list other users' tokens", db: db)
            } else {
                try Self.requireAdmin(actor, to: "list every user's tokens", db: db)
            }
            return try Row.fetchAll(
                db, sql: "SELECT * FROM api_token WHERE ?1 IS NULL OR user = ?1 ORDER BY user, name", arguments: [name]
            ).map { row in
                APIToken(
                    user: row["user"], name: row["name"], createdAt: UInt64(row["created_at"] as Int64), expiresAt: UInt64(row["expires_at"] as Int64),
                    revokedAt: (row["revoked_at"] as Int64?).map(UInt64.init))
            }
        }
    }

    private func audit(_ event: AuditEvent, now: UInt64) throws {
        try writer.write { db in try appendAudit(event, now: now, db: db) }
    }

    /// The sign-in policy in force: the configuration's, with the session limits an admin set
    /// (``setSessionLimits(idleMinutes:sessionHours:by:)``).
    public func signInPolicy() throws -> SignInPolicy {
        var policy = configuration.signIn
        guard
            let row = try writer.read({ db in
                try Row.fetchOne(db.cachedStatement(sql: "SELECT idle_minutes, session_hours FROM session_limit WHERE only_row = 1"))
            })
        else { return policy }
        policy.idleMilliseconds = UInt64(row["idle_minutes"] as Int) * 60_000
        policy.sessionMilliseconds = UInt64(row["session_hours"] as Int) * 3_600_000
        return policy
    }

    /// Sets how long a session may stay unused and how long it lasts at most (admins only;
    /// audited as `session_limits`). Sessions already open follow the new limits from their
    /// next use.
    public func setSessionLimits(idleMinutes: Int, sessionHours: Int, by actor: AuditActor) throws {
        guard SignInPolicy.idleMinutesRange.contains(idleMinutes) else {
            throw ReplicaError(.invalid, "the idle limit must be from 1 to 1440 minutes, not \(idleMinutes)", field: "idle_minutes")
        }
        guard SignInPolicy.sessionHoursRange.contains(sessionHours) else {
            throw ReplicaError(.invalid, "the session limit must be from 1 to 72 hours, not \(sessionHours)", field: "session_hours")
        }
        guard idleMinutes <= sessionHours * 60 else {
            throw ReplicaError(
                .invalid,
                "the idle limit (\(SignInPolicy.count(idleMinutes, "minute"))) cannot be longer than the session limit (\(SignInPolicy.count(sessionHours, "hour")))"
            )
        }
        let now = configuration.wallClock()
        try writer.write { db in
            try Self.requireAdmin(actor, to: "set the session limits", db: db)
            try db.execute(
                sql: "INSERT OR REPLACE INTO session_limit (only_row, idle_minutes, session_hours) VALUES (1, ?, ?)",
                arguments: [idleMinutes, sessionHours])
            try appendAudit(
                AuditEvent(
                    user: actor.user, action: "session_limits", purpose: actor.purpose,
                    detail: "unused \(SignInPolicy.count(idleMinutes, "minute")), at most \(SignInPolicy.count(sessionHours, "hour"))"),
                now: now, db: db)
        }
    }

    /// Sessions past either limit, removed at each sign-in so the table holds only live ones.
    private static func deleteEndedSessions(before now: UInt64, policy: SignInPolicy, db: Database) throws {
        try db.execute(
            sql: "DELETE FROM user_session WHERE last_seen_at <= ? OR started_at <= ?",
            arguments: [Int64(now) - Int64(policy.idleMilliseconds), Int64(now) - Int64(policy.sessionMilliseconds)])
    }

    static func requireAdmin(_ actor: AuditActor, to what: String, db: Database) throws {
        let row = try Row.fetchOne(db, sql: "SELECT role, disabled_at FROM local_user WHERE name = ?", arguments: [actor.user])
        guard row?["role"] == "admin", (row?["disabled_at"] as Int64?) == nil else {
            throw ReplicaError(.notAllowed, "only an admin may \(what), and \(actor.user) is not an enabled admin of this node")
        }
    }

    private static func requireSelfOrAdmin(_ actor: AuditActor, for name: String, to what: String, db: Database) throws {
        if actor.user != name { try requireAdmin(actor, to: what, db: db) }
    }

    static func requireUser(_ name: String, db: Database) throws {
        guard try Int.fetchOne(db, sql: "SELECT count(*) FROM local_user WHERE name = ?", arguments: [name]) == 1 else {
            throw ReplicaError(.notFound, "no user is named \(name) at this node")
        }
    }

    static func credentialHash(_ credential: String) -> Data {
        Data(SHA256.hash(data: Data(credential.utf8)))
    }

    /// Checked against when the name is unknown or has no password, so that takes as long as
    /// a wrong password does.
    private static let unusedPassword = try! PasswordHash(hashing: Base64URL.random(16))
}
