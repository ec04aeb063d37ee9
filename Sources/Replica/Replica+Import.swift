import Crypto
import Foundation
import GRDB
import Records
import SyncCore

/// What an import did with each row of its file.
public struct ImportReport: Sendable, Equatable {
    /// A row not created because it is likely a record already held, or an earlier row.
    public struct Skipped: Sendable, Equatable {
        /// The row's number in the file.
        public let row: Int
        /// Why, in words.
        public let reason: String
        /// The held records it is likely the same subject as (empty when it is an earlier row).
        public let matches: [String]
    }

    /// A row refused by validation, with the usual sentence.
    public struct Refused: Sendable, Equatable {
        /// The row's number in the file.
        public let row: Int
        /// The field at fault.
        public let field: String?
        /// One sentence.
        public let reason: String
    }

    /// Rows created.
    public var created = 0
    /// Rows an earlier run of the same import created already.
    public var alreadyImported = 0
    /// Rows read so far.
    public var rows = 0
    /// Rows skipped as likely duplicates.
    public var skipped: [Skipped] = []
    /// Rows refused.
    public var refused: [Refused] = []

    /// An empty report.
    public init() {}
}

extension Replica {
    /// Rows created in one transaction, and so one batch, by an import.
    public static let importRowsPerTransaction = 1000

    /// Creates a record of `kind` in `group` from each row `reader` yields, 1,000 rows to a
    /// transaction. A row is refused, with its number and the usual sentence, when validation
    /// refuses it; skipped when it is likely the same subject as a held record (the same
    /// identifier, or the same name and date of birth) or as an earlier row, unless
    /// `createDuplicates`; and passed over when an earlier run of the same import created it
    /// (each row's digest is kept with the record it made), so a run cut short and started
    /// again creates nothing twice. Every record created is logged as `actor`'s, and the
    /// records a chunk's skipped rows were matched with as one system check.
    ///
    /// The file is refused whole, before any row, when it cannot be read as its format or a
    /// CSV header names a column that is not a field of the kind.
    public func importRecords(
        _ file: Data, format: ImportFileReader.Format, kind name: RecordKind, group: GroupID, createDuplicates: Bool, auditedAs actor: AuditActor,
        progress: (Double, ImportReport) -> Void = { _, _ in }
    ) throws -> ImportReport {
        guard let kind = tables.schema.kind(named: name.rawValue, for: .create) else {
            throw ReplicaError(.invalid, "kind must be \(tables.schema.names(for: .create)), not \(name)", field: "kind")
        }
        guard configuration.roster.isMember(configuration.nodeID, of: group) else {
            throw ReplicaError(.notMember, "this node is not a member of group \(group)")
        }
        var reader: ImportFileReader
        do {
            reader = try ImportFileReader(file, format: format, listFields: Set(kind.setFields.map(\.name)))
        } catch {
            throw ReplicaError(.invalid, error.description)
        }
        for column in reader.columns ?? [] where kind.field(named: column) == nil {
            throw ReplicaError(
                .invalid, "column \(column) is not a field of \(name); its fields are \(kind.fields.map(\.name).joined(separator: ", "))", field: column)
        }
        var report = ImportReport()
        var earlierRows = ImportedRows()
        while true {
            var chunk: [(row: ImportRow, writes: [FieldWrite], sets: [SetEdit], key: Data)] = []
            while chunk.count < Self.importRowsPerTransaction {
                let next: ImportRow?
                do {
                    next = try reader.next()
                } catch {
                    throw ReplicaError(.invalid, error.description)
                }
                guard let row = next else { break }
                report.rows += 1
                if let problem = row.problem {
                    report.refused.append(ImportReport.Refused(row: row.number, field: nil, reason: problem))
                    continue
                }
                let writes = row.fields.map { FieldWrite($0.field, $0.value) }
                let sets = row.lists.keys.sorted().map { SetEdit($0, add: row.lists[$0]!) }
                do {
                    try RecordValidation.check(writes, kind: kind, isCreate: true)
                    try RecordValidation.check(sets, kind: kind, isCreate: true)
                } catch {
                    report.refused.append(ImportReport.Refused(row: row.number, field: error.field, reason: error.reason))
                    continue
                }
                chunk.append((row, writes, sets, Self.importDigest(kind: name, group: group, writes: writes, sets: sets)))
            }
            if chunk.isEmpty { break }
            var accepted: [(writes: [FieldWrite], sets: [SetEdit], key: Data)] = []
            var shown: [String] = []
            try writer.read { db in
                for (row, writes, sets, key) in chunk {
                    if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM import_row WHERE key = ?"), arguments: [key]) == true
                        || earlierRows.digests.contains(key)
                    {
                        report.alreadyImported += 1
                        continue
                    }
                    var values: [String: String] = [:]
                    for write in writes { values[write.field] = write.value }
                    for edit in sets { values[edit.field] = SetValue.encode(Set(edit.add).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }) }
                    if !createDuplicates {
                        if let earlier = earlierRows.match(kind: name, values: values) {
                            report.skipped.append(
                                ImportReport.Skipped(row: row.number, reason: "likely the same subject as row \(earlier.row) (\(earlier.reason))", matches: []))
                            continue
                        }
                        // Only the target group's records: one of another group is no reason to
                        // keep the row from this group.
                        let likely = try possibleMatches(kind: kind, values: values, excluding: [], db: db).filter {
                            $0.strength != .name && $0.group == group
                        }
                        if let best = likely.first {
                            report.skipped.append(
                                ImportReport.Skipped(
                                    row: row.number, reason: "likely the same subject as \(best.kind) \(best.id) of \(best.origin) (\(best.reason))",
                                    matches: likely.map(\.id.description)))
                            shown += likely.map(\.id.description)
                            continue
                        }
                    }
                    earlierRows.note(row: row.number, kind: name, values: values, digest: key)
                    accepted.append((writes, sets, key))
                }
            }
            if !accepted.isEmpty {
                var made: [(key: Data, id: RecordID)] = []
                try transact(
                    in: group, auditedAs: actor, byNode: false,
                    also: { db in
                        for (key, id) in made {
                            try db.cachedStatement(sql: "INSERT INTO import_row (key, record_id) VALUES (?, ?)").execute(arguments: [key, id.description])
                        }
                        if !shown.isEmpty {
                            try self.appendAudit(
                                AuditEvent(
                                    user: "system", action: "duplicate_check", recordIDs: shown, purpose: actor.purpose,
                                    detail: "at an import by \(actor.user): \(shown.count) records matched rows it skipped"),
                                now: self.configuration.wallClock(), db: db)
                        }
                    }
                ) { transaction in
                    made = accepted.map { ($0.key, transaction.create(name, $0.writes, sets: $0.sets)) }
                }
                report.created += accepted.count
            } else if !shown.isEmpty {
                try recordAudit(
                    AuditEvent(
                        user: "system", action: "duplicate_check", recordIDs: shown, purpose: actor.purpose,
                        detail: "at an import by \(actor.user): \(shown.count) records matched rows it skipped"))
            }
            progress(reader.progress, report)
        }
        return report
    }

    /// The digest that marks a row as imported: SHA-256 over the kind, the group, and the
    /// row's fields and list entries in a fixed order, so the same row of the same file in
    /// the same group is known again, whatever order its columns came in.
    static func importDigest(kind: RecordKind, group: GroupID, writes: [FieldWrite], sets: [SetEdit]) -> Data {
        // Each part is written with its length first, so no value can pass for a boundary.
        var parts = ["pccc import row 2", kind.rawValue, group.rawValue]
        for write in writes.sorted(by: { $0.field < $1.field }) { parts += ["field", write.field, write.value ?? ""] }
        for edit in sets.sorted(by: { $0.field < $1.field }) {
            let entries = Set(edit.add).sorted()
            parts += ["list", edit.field, String(entries.count)] + entries
        }
        return Data(SHA256.hash(data: Data(parts.map { "\($0.utf8.count):\($0)" }.joined().utf8)))
    }
}

/// The rows an import accepted so far, by what duplicates are matched on: strong identifiers,
/// and each name with each date of birth.
private struct ImportedRows {
    private var byKey: [String: Int] = [:]
    private var byNameAndBirth: [String: Int] = [:]
    private(set) var digests: Set<Data> = []

    mutating func note(row: Int, kind: RecordKind, values: [String: String], digest: Data) {
        digests.insert(digest)
        for key in MatchKeys.keys(kind: kind, values: values) where byKey[key] == nil { byKey[key] = row }
        for key in Self.nameAndBirthKeys(kind: kind, values: values) where byNameAndBirth[key] == nil { byNameAndBirth[key] = row }
    }

    func match(kind: RecordKind, values: [String: String]) -> (row: Int, reason: String)? {
        for key in MatchKeys.keys(kind: kind, values: values) {
            if let row = byKey[key] { return (row, key.replacingOccurrences(of: ":", with: " ")) }
        }
        for key in Self.nameAndBirthKeys(kind: kind, values: values) {
            if let row = byNameAndBirth[key] { return (row, "the same name and date of birth") }
        }
        return nil
    }

    /// A person's every spelling of each name with each date of birth as written: rows of one
    /// file are matched exactly, the replica's by overlapping dates.
    static func nameAndBirthKeys(kind: RecordKind, values: [String: String]) -> [String] {
        guard kind == .person else { return [] }
        let dates = Replica.birthDates(values).map(\.written)
        guard !dates.isEmpty else { return [] }
        var keys: [String] = []
        for name in Replica.matchNames(kind: kind, values: values) {
            for surname in name.surnameKeys {
                for forename in name.forenameKeys.isEmpty ? [""] : Array(name.forenameKeys) {
                    for date in dates { keys.append("\(surname)|\(forename)|\(date)") }
                }
            }
        }
        return keys
    }
}
