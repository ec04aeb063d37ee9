import GRDB
import Records
import SyncCore

/// A held record that may be the same subject as another.
public struct PossibleMatch: Equatable, Sendable {
    /// How strongly it matches, strongest first.
    public enum Strength: Int, Comparable, Sendable, CustomStringConvertible {
        /// An identification, document, plate, VIN, serial, object or registration number is
        /// the same, ignoring spaces and dashes.
        case identifier = 1
        /// A name is the same across scripts, and a date of birth may be the same day.
        case nameAndBirthDate = 2
        /// A name is the same across scripts; one of the two has no date of birth.
        case name = 3

        /// Orders the strongest first.
        public static func < (lhs: Strength, rhs: Strength) -> Bool { lhs.rawValue < rhs.rawValue }

        /// `identifier`, `name_and_birth_date` or `name`, as the API names it.
        public var description: String {
            switch self {
            case .identifier: "identifier"
            case .nameAndBirthDate: "name_and_birth_date"
            case .name: "name"
            }
        }
    }

    /// How strongly it matches.
    public let strength: Strength
    /// What matched, in words: `plate PR123AB`, `name petrovic marko, born 1984`.
    public let reason: String
    /// The record's kind.
    public let kind: RecordKind
    /// Its id.
    public let id: RecordID
    /// Its group.
    public let group: GroupID
    /// The centre that owns it.
    public let origin: NodeID
    /// Its one-line label.
    public let label: String
}

/// The held records that may be the same subject as one subject of a request.
public struct SubjectMatches: Equatable, Sendable {
    /// The request's subject.
    public let subject: String
    /// The held records that may be the same subject, strongest first.
    public let matches: [PossibleMatch]
}

/// Two records made at two centres that share a strong identifier, neither marked the same
/// subject as the other nor different from it.
public struct PossibleDuplicate: Equatable, Sendable {
    /// The shared identifier, such as `nid:0101990710008`.
    public let key: String
    /// The record of the two with the smaller id.
    public let first: PossibleMatch
    /// The other.
    public let second: PossibleMatch
}

extension Replica {
    /// The most possible matches one check returns.
    public static let possibleMatchLimit = 20
    /// The most pairs `possibleDuplicates` reads at once.
    public static let duplicatePairLimit = 2000

    /// A match key in words: `nid JMBG 0101990710008`.
    static func words(_ key: String) -> String { key.replacingOccurrences(of: ":", with: " ") }
    /// The most records one name brings in to compare, best ranked by the name index first.
    static let nameCandidateLimit = 200

    /// The held records that may be the same subject as record `id`, strongest first: those
    /// sharing a strong identifier, then persons (or organisations) of the same name across
    /// scripts whose dates of birth may be the same day, then those of the same name one of
    /// which has no date of birth. A person whose dates of birth all differ is not one.
    /// A check that found any is logged as a system check made when `actor` saved the
    /// record, with the records it showed; one that found none showed nothing to log.
    public func checkDuplicates(of id: RecordID, savedBy actor: AuditActor) throws -> [PossibleMatch] {
        let now = configuration.wallClock()
        return try writer.write { db in
            let matches = try possibleMatches(of: id, db: db)
            guard !matches.isEmpty else { return [] }
            try appendAudit(
                AuditEvent(
                    user: "system", action: "duplicate_check", recordIDs: [id.description] + matches.map(\.id.description), purpose: actor.purpose,
                    detail: "at the save of \(id) by \(actor.user): \(matches.count) possible matches"),
                now: now, db: db)
            return matches
        }
    }

    /// ``checkDuplicates(of:savedBy:)`` without the log entry, for a caller that logs the
    /// check itself (an import, once per file).
    func possibleMatches(of id: RecordID, db: Database) throws -> [PossibleMatch] {
        let (kind, _) = try locate(id, db: db)
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM \"\(kind.tableName)\" WHERE id = ?", arguments: [id.description]) else { return [] }
        var values: [String: String] = [:]
        for field in kind.fields { values[field.name] = row[field.name] }
        return try possibleMatches(kind: kind, values: values, excluding: [id.description], db: db)
    }

    /// The possible matches of a record of `kind` with these column values, not yet saved or
    /// saved under one of the ids in `excluding`.
    func possibleMatches(kind: KindSchema, values: [String: String], excluding: Set<String>, db: Database) throws -> [PossibleMatch] {
        var best: [String: (strength: PossibleMatch.Strength, reason: String)] = [:]
        func note(_ id: String, _ strength: PossibleMatch.Strength, _ reason: String) {
            guard !excluding.contains(id) else { return }
            if let held = best[id], held.strength <= strength { return }
            best[id] = (strength, reason)
        }
        for key in MatchKeys.keys(kind: kind.kind, values: values) {
            let others = try String.fetchAll(
                db.cachedStatement(sql: "SELECT record_id FROM match_key WHERE key = ? AND kind = ? LIMIT ?"),
                arguments: [key, kind.kind.rawValue, Self.possibleMatchLimit * 5])
            for other in others { note(other, .identifier, Self.words(key)) }
        }
        if kind.kind == .person || kind.kind == .organisation {
            let names = Self.matchNames(kind: kind.kind, values: values)
            let dates = Self.birthDates(values)
            for name in names.prefix(10) {
                guard let query = Self.exactNameQuery(name) else { continue }
                let candidates = try String.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT name_key.record_id FROM name_index JOIN name_key ON name_key.rowid = name_index.rowid
                            WHERE name_index MATCH ? AND name_key.kind = ? ORDER BY rank LIMIT ?
                            """),
                    arguments: [query, kind.kind.rawValue, Self.nameCandidateLimit])
                for candidate in candidates where !excluding.contains(candidate) && best[candidate]?.strength != .identifier {
                    guard
                        let row = try Row.fetchOne(
                            db.cachedStatement(sql: "SELECT * FROM \"\(kind.tableName)\" WHERE id = ?"), arguments: [candidate])
                    else { continue }
                    var theirs: [String: String] = [:]
                    for field in kind.fields { theirs[field.name] = row[field.name] }
                    guard Self.matchNames(kind: kind.kind, values: theirs).contains(where: { $0.isSameName(as: name) }) else { continue }
                    let theirDates = Self.birthDates(theirs)
                    if dates.isEmpty || theirDates.isEmpty {
                        note(candidate, .name, "name \(name)")
                    } else if let day = dates.first(where: { date in theirDates.contains { $0.overlaps(date) } }) {
                        note(candidate, .nameAndBirthDate, "name \(name), born \(day.written)")
                    }
                }
            }
        }
        var matches: [PossibleMatch] = []
        for (id, found) in best {
            guard let recordID = RecordID(id), let held = try ChangeApplier.heldRecord(anyKindID: id, tables: tables, db: db),
                let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM \"\(held.kind.tableName)\" WHERE id = ?"), arguments: [id])
            else { continue }
            matches.append(
                PossibleMatch(
                    strength: found.strength, reason: found.reason, kind: held.kind.kind, id: recordID, group: held.group, origin: row["origin"],
                    label: Self.label(kind: held.kind, row: row)))
        }
        return Array(matches.sorted { ($0.strength, $0.id.description) < ($1.strength, $1.id.description) }.prefix(Self.possibleMatchLimit))
    }

    /// The most subjects of one request checked: a request names few, and one naming many
    /// costs no more than these.
    static let subjectsChecked = 20

    /// The possible matches of each subject of request `requestID` that this node holds: what
    /// the requested centre holds of the persons and things it is asked about, besides the
    /// subjects themselves.
    func subjectMatches(ofRequest requestID: String, db: Database) throws -> [SubjectMatches] {
        guard let listed = try String.fetchOne(db.cachedStatement(sql: "SELECT subject_ids FROM request WHERE id = ?"), arguments: [requestID]) else {
            return []
        }
        let subjects = listed.split(separator: ",").map(String.init).prefix(Self.subjectsChecked)
        var found: [SubjectMatches] = []
        for subject in subjects {
            guard let id = RecordID(subject), try ChangeApplier.heldRecord(anyKindID: subject, tables: tables, db: db) != nil else { continue }
            let matches = try possibleMatches(of: id, db: db).filter { !subjects.contains($0.id.description) }
            if !matches.isEmpty { found.append(SubjectMatches(subject: subject, matches: matches)) }
        }
        return found
    }

    /// The possible duplicates among the records held: pairs made at two centres, in one
    /// group, that share a strong identifier, of which this node owns at least one, and that
    /// no `same_as` or `not_same` link of that group decides yet. Logged as a listing.
    public func possibleDuplicates(auditedAs actor: AuditActor) throws -> [PossibleDuplicate] {
        let pairs = try writer.read { db in try possibleDuplicates(db: db) }
        try recordAudit(
            AuditEvent(
                user: actor.user, action: "list", recordIDs: pairs.flatMap { [$0.first.id.description, $0.second.id.description] },
                purpose: actor.purpose, detail: "possible duplicates"))
        return pairs
    }

    func possibleDuplicates(db: Database) throws -> [PossibleDuplicate] {
        // From this node's own keys only, and bounded: another centre's records sharing one
        // number, however many, cost at most the limit.
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT a.key, a.record_id AS mine, b.record_id AS theirs FROM match_key a
                JOIN match_key b ON b.key = a.key AND b.kind = a.kind AND b.sharing_group = a.sharing_group AND b.origin != a.origin
                WHERE a.origin = ? LIMIT ?
                """,
            arguments: [configuration.nodeID, Self.duplicatePairLimit])
        var pairs: [PossibleDuplicate] = []
        var seen = Set<[String]>()
        for row in rows {
            let ids = [row["mine"] as String, row["theirs"] as String].sorted()
            guard seen.insert(ids).inserted, let one = try summary(of: ids[0], db: db), let other = try summary(of: ids[1], db: db),
                try !isDecided(ids[0], ids[1], group: one.group, db: db)
            else { continue }
            let key: String = row["key"]
            pairs.append(
                PossibleDuplicate(
                    key: key, first: one.asMatch(.identifier, reason: Self.words(key)), second: other.asMatch(.identifier, reason: Self.words(key))))
        }
        return pairs.sorted { ($0.first.id.description, $0.second.id.description) < ($1.first.id.description, $1.second.id.description) }
    }

    /// Whether a `same_as` or `not_same` link of `group` joins the two records, either way.
    func isDecided(_ one: String, _ other: String, group: GroupID, db: Database) throws -> Bool {
        guard let link = tables.schema[.link] else { return false }
        return try Bool.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT 1 FROM "\(link.tableName)" WHERE sharing_group = ?1 AND role IN ('same_as', 'not_same')
                    AND ((from_id = ?2 AND to_id = ?3) OR (from_id = ?3 AND to_id = ?2)) LIMIT 1
                    """),
            arguments: [group, one, other]) ?? false
    }

    /// The most records one cluster holds.
    static let clusterLimit = 64

    /// The records a `same_as` link of their group joins to `id`, directly or through others
    /// of the same kind, at most 64: the cluster search shows once.
    func sameSubjectCluster(of id: String, db: Database) throws -> [String] {
        guard let link = tables.schema[.link], let start = try summary(of: id, db: db) else { return [id] }
        var cluster = [id]
        var members: Set<String> = [id]
        var queue = [id]
        search: while let next = queue.popLast() {
            let others = try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT CASE WHEN from_id = ?2 THEN to_id ELSE from_id END FROM "\(link.tableName)"
                        WHERE sharing_group = ?1 AND role = 'same_as' AND (from_id = ?2 OR to_id = ?2) ORDER BY id LIMIT ?3
                        """),
                arguments: [start.group, next, Self.clusterLimit])
            for other in others where !members.contains(other) {
                guard let held = try summary(of: other, db: db), held.kind == start.kind, held.group == start.group else { continue }
                members.insert(other)
                cluster.append(other)
                queue.append(other)
                if cluster.count >= Self.clusterLimit { break search }
            }
        }
        return cluster
    }

    /// A live record's kind, group, origin and label.
    private func summary(of id: String, db: Database) throws -> HeldSummary? {
        guard let recordID = RecordID(id), let held = try ChangeApplier.heldRecord(anyKindID: id, tables: tables, db: db),
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM \"\(held.kind.tableName)\" WHERE id = ?"), arguments: [id])
        else { return nil }
        return HeldSummary(kind: held.kind.kind, id: recordID, group: held.group, origin: row["origin"], label: Self.label(kind: held.kind, row: row))
    }

    /// A person's names, each surname with its forenames, from `family_name` and
    /// `given_name` and every entry of `names`; an organisation's name.
    static func matchNames(kind: RecordKind, values: [String: String]) -> [MatchName] {
        if kind == .organisation { return values["name"].map { [MatchName(surname: $0, forenames: nil)] } ?? [] }
        var names: [MatchName] = []
        if let family = values["family_name"] { names.append(MatchName(surname: family, forenames: values["given_name"])) }
        for entry in SetValue.decode(values["names"]) {
            guard let name = PersonIdentity.Name(entry) else { continue }
            names.append(MatchName(surname: name.surname, forenames: name.forenames))
        }
        return names.filter { !$0.surnameKeys.isEmpty }
    }

    /// A person's dates of birth: `birth_date` and every entry of `birth_dates`.
    static func birthDates(_ values: [String: String]) -> [PersonIdentity.PartialDate] {
        (values["birth_date"].map { [$0] } ?? []).compactMap(PersonIdentity.PartialDate.init)
            + SetValue.decode(values["birth_dates"]).compactMap(PersonIdentity.PartialDate.init)
    }

    /// The name index query for records holding every word of the surname and the first
    /// forename, whole, in any of their spellings.
    static func exactNameQuery(_ name: MatchName) -> String? {
        let clauses = name.surnameKeys.map { key -> String in
            var words = key.split(separator: " ").map { "\"\($0)\"" }
            if let forename = name.forenameKeys.first { words.append("\"\(forename)\"") }
            return "(" + words.joined(separator: " AND ") + ")"
        }
        return clauses.isEmpty ? nil : clauses.joined(separator: " OR ")
    }
}

/// A name as duplicates are matched: the surname's spellings, and the first forename's.
struct MatchName: CustomStringConvertible {
    let surnameKeys: Set<String>
    let forenameKeys: Set<String>

    init(surname: String, forenames: String?) {
        surnameKeys = Set(NameFolding.keys(surname).filter { !$0.isEmpty })
        let first = forenames.map(NameFolding.fold)?.split(separator: " ").first.map(String.init)
        forenameKeys = first.map { Set(NameFolding.keys($0)) } ?? []
    }

    /// The same surname in some spelling, and the same first forename unless either has none.
    func isSameName(as other: MatchName) -> Bool {
        guard !surnameKeys.isDisjoint(with: other.surnameKeys) else { return false }
        return forenameKeys.isEmpty || other.forenameKeys.isEmpty || !forenameKeys.isDisjoint(with: other.forenameKeys)
    }

    var description: String {
        ([surnameKeys.min() ?? ""] + (forenameKeys.min().map { [$0] } ?? [])).joined(separator: " ")
    }
}

/// What a possible match shows of a record.
private struct HeldSummary {
    let kind: RecordKind
    let id: RecordID
    let group: GroupID
    let origin: NodeID
    let label: String

    func asMatch(_ strength: PossibleMatch.Strength, reason: String) -> PossibleMatch {
        PossibleMatch(strength: strength, reason: reason, kind: kind, id: id, group: group, origin: origin, label: label)
    }
}

extension PersonIdentity.PartialDate {
    /// The date as a person would write it: the day, or the first and last day it may be.
    var written: String { earliest == latest ? earliest : "\(earliest)..\(latest)" }
}
