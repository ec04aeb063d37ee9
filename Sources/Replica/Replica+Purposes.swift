import GRDB

// The node's purpose rule (`PurposeRule`): read at every consultation, set by an admin, each
// change audited. It lives in `purpose_rule` (one row) and `case_number`, local to the node and
// never replicated: each centre answers to its own data-protection officer.
extension Replica {
    /// The rule in force and the listed case numbers, sorted.
    public func purposeRule() throws -> (rule: PurposeRule, caseNumbers: [String]) {
        try writer.read { db in (try Self.purposeRule(db), try Self.caseNumbers(db)) }
    }

    /// Sets the rule; `actor` must be an enabled admin. Audited as `purpose_rule`.
    public func setPurposeRule(_ rule: PurposeRule, by actor: AuditActor) throws {
        try changePurposes(by: actor) { db, now in try setRule(rule, by: actor, now: now, db: db) }
    }

    /// Lists a case number a purpose may start with; `actor` must be an enabled admin.
    /// Audited as `case_add`.
    public func addCaseNumber(_ given: String, by actor: AuditActor) throws {
        let number = PurposeRule.normalized(given)
        try changePurposes(by: actor) { db, now in
            let listed = try Self.caseNumbers(db)
            guard !listed.contains(number) else { throw ReplicaError(.exists, "case number \(number) is already listed at this node") }
            try Self.requireRoom(for: listed.count + 1)
            try addCase(number, by: actor, now: now, db: db)
        }
    }

    /// Removes a listed case number; `actor` must be an enabled admin. Audited as
    /// `case_remove`.
    public func removeCaseNumber(_ given: String, by actor: AuditActor) throws {
        let number = PurposeRule.normalized(given)
        // `removeCase` refuses a number that is not listed.
        try changePurposes(by: actor) { db, now in try removeCase(number, by: actor, now: now, db: db) }
    }

    /// Makes the rule and the list what is given, in one transaction: each case number added
    /// or removed, and a changed rule, is its own audit entry. `actor` must be an enabled
    /// admin.
    public func replacePurposes(rule: PurposeRule, caseNumbers: [String], by actor: AuditActor) throws {
        let wanted = Set(caseNumbers.map(PurposeRule.normalized))
        try Self.requireRoom(for: wanted.count)
        try changePurposes(by: actor) { db, now in
            let listed = Set(try Self.caseNumbers(db))
            for number in listed.subtracting(wanted).sorted() { try removeCase(number, by: actor, now: now, db: db) }
            for number in wanted.subtracting(listed).sorted() { try addCase(number, by: actor, now: now, db: db) }
            if try Self.purposeRule(db) != rule { try setRule(rule, by: actor, now: now, db: db) }
        }
    }

    /// The most case numbers a node lists: the rule is read at every consultation.
    static let mostCaseNumbers = 10_000

    private func changePurposes(by actor: AuditActor, _ change: (Database, UInt64) throws -> Void) throws {
        let now = configuration.wallClock()
        try writer.write { db in
            try Self.requireAdmin(actor, to: "set the purpose rule or its case numbers", db: db)
            try change(db, now)
        }
    }

    private func setRule(_ rule: PurposeRule, by actor: AuditActor, now: UInt64, db: Database) throws {
        try db.execute(sql: "UPDATE purpose_rule SET mode = ? WHERE only_row = 1", arguments: [rule.rawValue])
        try appendAudit(AuditEvent(user: actor.user, action: "purpose_rule", purpose: actor.purpose, detail: rule.rawValue), now: now, db: db)
    }

    private func addCase(_ number: String, by actor: AuditActor, now: UInt64, db: Database) throws {
        guard PurposeRule.isValidCaseNumber(number) else {
            throw ReplicaError(
                .invalid, "a case number is 1 to 64 letters, digits, '/', '-', '.' or '_', starting with a letter or digit, not \(number)",
                field: "case_numbers")
        }
        try db.execute(sql: "INSERT INTO case_number (number, added_at, added_by) VALUES (?, ?, ?)", arguments: [number, Int64(now), actor.user])
        try appendAudit(AuditEvent(user: actor.user, action: "case_add", purpose: actor.purpose, detail: number), now: now, db: db)
    }

    private static func requireRoom(for count: Int) throws {
        guard count <= mostCaseNumbers else {
            throw ReplicaError(.tooLarge, "a node lists at most \(mostCaseNumbers) case numbers; remove closed cases first", field: "case_numbers")
        }
    }

    private func removeCase(_ number: String, by actor: AuditActor, now: UInt64, db: Database) throws {
        try db.execute(sql: "DELETE FROM case_number WHERE number = ?", arguments: [number])
        guard db.changesCount == 1 else { throw ReplicaError(.notFound, "case number \(number) is not listed at this node") }
        try appendAudit(AuditEvent(user: actor.user, action: "case_remove", purpose: actor.purpose, detail: number), now: now, db: db)
    }

    private static func caseNumbers(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT number FROM case_number ORDER BY number")
    }

    static func purposeRule(_ db: Database) throws -> PurposeRule {
        let rule = try String.fetchOne(db.cachedStatement(sql: "SELECT mode FROM purpose_rule WHERE only_row = 1"))
        // A rule this release does not know (set by a newer one) is read as a purpose in words.
        return rule.flatMap(PurposeRule.init(rawValue:)) ?? .freeText
    }

    /// Refuses `actor`'s purpose for `action` before a consultation that first writes (the
    /// acknowledgement of received requests), so a refused one changes nothing.
    func requirePurpose(of actor: AuditActor, for action: String) throws {
        try writer.read { db in try Self.requirePurpose(of: AuditEvent(user: actor.user, action: action, purpose: actor.purpose), db: db) }
    }

    /// Refuses `event` when it reads personal data and its purpose does not satisfy the rule.
    static func requirePurpose(of event: AuditEvent, db: Database) throws {
        guard PurposeRule.consultingActions.contains(event.action) else { return }
        let refusal = try purposeRule(db).refusal(of: event.purpose) { number in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM case_number WHERE number = ?"), arguments: [number]) == 1
        }
        if let refusal { throw ReplicaError(.purposeRequired, refusal, field: "purpose") }
    }
}
