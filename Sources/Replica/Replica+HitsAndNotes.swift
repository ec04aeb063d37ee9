import Records
import SyncCore

extension Replica {
    /// Logs a hit on `record` (append-only) and returns its id; `checkedAt` (ISO 8601) is now
    /// when nil. The command line and the API both log hits here.
    public func logHit(on record: RecordID, place: String, outcome: String, checkedAt: String?, auditedAs actor: AuditActor?) throws -> RecordID {
        let when = checkedAt ?? Timestamps.iso8601(milliseconds: configuration.wallClock())
        return try append(
            .hit,
            [FieldWrite("record_id", record.description), FieldWrite("place", place), FieldWrite("outcome", outcome), FieldWrite("checked_at", when)],
            auditedAs: actor
        )
    }

    /// Adds a note to `record` (append-only) and returns its id. The author is the acting user,
    /// so a note cannot be signed with someone else's name.
    public func addNote(to record: RecordID, text: String, auditedAs actor: AuditActor) throws -> RecordID {
        try append(.note, [FieldWrite("record_id", record.description), FieldWrite("text", text), FieldWrite("author", actor.user)], auditedAs: actor)
    }
}
