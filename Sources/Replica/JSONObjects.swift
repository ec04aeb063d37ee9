import Foundation
import Records

// The JSON shapes the command line (`--json`) and the HTTP API share, so both say the same.

extension RecordSnapshot {
    /// `{id, kind, group, origin, created_at, fields: {name: {value, by, at, hlc}}}`.
    public var jsonObject: [String: Any] {
        var fields: [String: Any] = [:]
        for (name, stamp) in provenance {
            fields[name] = [
                "value": values[name] as Any? ?? NSNull(), "by": stamp.origin,
                "at": Timestamps.iso8601(milliseconds: stamp.hlc.milliseconds),
                // The exact clock, so the merge order of two writes can be checked.
                "hlc": String(stamp.hlc.rawValue),
            ]
        }
        return ["id": id.description, "kind": kind.rawValue, "group": group, "origin": origin, "created_at": createdAt, "fields": fields]
    }
}

extension TombstoneSnapshot {
    /// `{id, kind, erased: true, reason, erased_by, erased_at}`.
    public var jsonObject: [String: Any] {
        [
            "id": id.description, "kind": kind.rawValue, "erased": true, "reason": reason, "erased_by": stamp.origin,
            "erased_at": Timestamps.iso8601(milliseconds: stamp.hlc.milliseconds),
        ]
    }
}

extension RecordSummary {
    /// `{kind, id, group, origin, label, changed_at}`.
    public var jsonObject: [String: Any] {
        [
            "kind": kind.rawValue, "id": id, "group": group, "origin": origin, "label": label,
            "changed_at": Timestamps.iso8601(milliseconds: lastChangedAt),
        ]
    }
}

extension SearchHit {
    /// `{kind, id, group, label}`.
    public var jsonObject: [String: Any] {
        ["kind": kind.rawValue, "id": id, "group": group, "label": label]
    }
}

extension RequestSummary {
    /// The request as seen from node `me` at `now`, with its direction and whether it is overdue.
    public func jsonObject(me: String, now: UInt64) -> [String: Any] {
        [
            "id": id, "group": group, "from": from, "to": to, "urgency": urgency, "status": status, "question": question,
            "answer": answer as Any? ?? NSNull(), "subjects": subjectIDs, "direction": to == me ? "incoming" : "outgoing",
            "received_at": receivedAt.map(Timestamps.iso8601(milliseconds:)) as Any? ?? NSNull(),
            "due_at": dueAt.map(Timestamps.iso8601(milliseconds:)) as Any? ?? NSNull(),
            "overdue": RequestDeadline.isOverdue(status: status, dueAt: dueAt, now: now),
        ]
    }
}

extension AuditEntry {
    /// `{seq, at, user, action, records, purpose, detail, hash}`.
    public var jsonObject: [String: Any] {
        [
            "seq": seq, "at": Timestamps.iso8601(milliseconds: at), "user": event.user, "action": event.action,
            "records": event.recordIDs, "purpose": event.purpose as Any? ?? NSNull(), "detail": event.detail as Any? ?? NSNull(),
            "hash": hash.map { String(format: "%02x", $0) }.joined(),
        ]
    }
}

extension LocalUser {
    /// `{name, role, added_at, added_by}`.
    public var jsonObject: [String: Any] {
        ["name": name, "role": role.rawValue, "added_at": Timestamps.iso8601(milliseconds: addedAt), "added_by": addedBy]
    }
}

extension ErasureRequestSummary {
    /// The erasure request as the API and `--json` show it.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "id": id, "record_id": recordID, "record_kind": recordKind.rawValue, "from": from, "reason": reason, "created_at": createdAt,
        ]
        if let text { object["text"] = text }
        if let author { object["author"] = author }
        return object
    }
}
