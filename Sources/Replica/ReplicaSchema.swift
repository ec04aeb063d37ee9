import Foundation
import GRDB

/// The SQLite schema: numbered, append-only migrations. Never edit a registered migration;
/// add the next number. Each is frozen: literal SQL, and where it needs application logic a
/// private copy of that logic as it was when the migration was registered, so that later
/// changes to record kinds, name keys or field clocks never change what it does
/// (docs/ARCHITECTURE.md, *Adding a migration*).
enum ReplicaSchema {
    /// The schema version written to `PRAGMA user_version` by the last migration.
    static let version = 20

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1-replica") { db in
            try createVersion1(db)
            try db.execute(sql: "PRAGMA user_version = 1")
        }
        migrator.registerMigration("2-peer-status") { db in
            // What the serving node knows of each linked peer, so `pccc status` in another
            // process can show it.
            try db.execute(
                sql: """
                    CREATE TABLE peer_status (
                        peer TEXT PRIMARY KEY NOT NULL, connected INTEGER NOT NULL, since INTEGER,
                        last_contact INTEGER, last_error TEXT, topology_match INTEGER, software TEXT) WITHOUT ROWID;
                    PRAGMA user_version = 2;
                    """
            )
        }
        migrator.registerMigration("3-peer-batch-times") { db in
            try db.execute(
                sql: """
                    ALTER TABLE peer_status ADD COLUMN last_batch_in INTEGER;
                    ALTER TABLE peer_status ADD COLUMN last_batch_out INTEGER;
                    ALTER TABLE peer_status ADD COLUMN clock_skew INTEGER;
                    PRAGMA user_version = 3;
                    """
            )
        }
        migrator.registerMigration("4-identifier-keys") { db in
            // Plates, VINs and numbers gain a key without spaces, so they match ignoring them.
            // Until migration 8, triggers on `name_key` kept `name_index` in step.
            let upsert = try db.makeStatement(
                sql: """
                    INSERT INTO name_key (kind, record_id, keys) VALUES (?, ?, ?)
                    ON CONFLICT (record_id) DO UPDATE SET keys = excluded.keys WHERE keys != excluded.keys
                    """
            )
            for (kind, searchable) in IdentifierKeysV4.identifiedKinds {
                let columns = (["id"] + searchable).map { "\"\($0)\"" }.joined(separator: ", ")
                for row in try Row.fetchAll(db, sql: "SELECT \(columns) FROM \"\(kind)\"") {
                    let keys = IdentifierKeysV4.keys(searchable.map { row[$0] as String? })
                    let id: String = row["id"]
                    if keys.isEmpty {
                        try db.execute(sql: "DELETE FROM name_key WHERE record_id = ?", arguments: [id])
                    } else {
                        try upsert.execute(arguments: [kind, id, keys])
                    }
                }
            }
            try db.execute(sql: "PRAGMA user_version = 4")
        }
        migrator.registerMigration("5-users-audit-requests") { db in
            // Local users and the audit head never leave the node; the triggers refuse edits and
            // deletions of audit entries through SQL (audit verify catches what bypasses them).
            try db.execute(
                sql: """
                    CREATE TABLE local_user (
                        name TEXT PRIMARY KEY NOT NULL, role TEXT NOT NULL CHECK (role IN ('staff', 'admin')),
                        added_at INTEGER NOT NULL, added_by TEXT NOT NULL) WITHOUT ROWID;
                    CREATE TABLE audit_head (only_row INTEGER PRIMARY KEY CHECK (only_row = 1), seq INTEGER NOT NULL, hash BLOB NOT NULL);
                    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
                        SELECT RAISE(ABORT, 'the audit log is append-only');
                    END;
                    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
                        SELECT RAISE(ABORT, 'the audit log is append-only');
                    END;
                    CREATE TABLE request_receipt (
                        request_id TEXT PRIMARY KEY NOT NULL, received_at INTEGER NOT NULL,
                        acknowledged INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
                    ALTER TABLE request ADD COLUMN received_at TEXT;
                    ALTER TABLE request ADD COLUMN due_at TEXT;
                    CREATE INDEX request_by_to_node ON request (to_node);
                    CREATE INDEX request_by_from_node ON request (from_node);
                    PRAGMA user_version = 5;
                    """
            )
        }
        migrator.registerMigration("6-user-tokens") { db in
            // Only the SHA-256 of an API token is kept: the token itself is shown once.
            try db.execute(
                sql: """
                    ALTER TABLE local_user ADD COLUMN token_hash BLOB;
                    CREATE UNIQUE INDEX local_user_by_token ON local_user (token_hash);
                    PRAGMA user_version = 6;
                    """
            )
        }
        migrator.registerMigration("7-field-clocks-in-record") { db in
            try moveFieldClocksIntoRecords(db)
            try db.execute(sql: "DROP TABLE field_clock; PRAGMA user_version = 7")
        }
        migrator.registerMigration("8-name-index-without-triggers") { db in
            // `NameIndex` writes `name_index` itself from now on; the index already matches
            // `name_key`, so nothing is rebuilt.
            try db.execute(
                sql: """
                    DROP TRIGGER name_key_insert;
                    DROP TRIGGER name_key_delete;
                    DROP TRIGGER name_key_update;
                    PRAGMA user_version = 8;
                    """
            )
        }
        migrator.registerMigration("9-orphan-appends") { db in
            // Redacted leaves of records with no tombstone wait in `redaction_pending` until
            // catch-up with the peer that sent them shows whether an erasure explains them.
            // Hits and notes whose record has not arrived wait here until its create decides
            // whether they are in its group; both orphan tables are bounded per origin. Waiting
            // updates lose their key on (kind, id, origin, hlc): one batch may carry two changes
            // to a record with the same HLC, and each must wait, not only the first.
            try db.execute(
                sql: """
                    CREATE TABLE orphan_change_9 (
                        kind TEXT NOT NULL, record_id TEXT NOT NULL, sharing_group TEXT NOT NULL,
                        origin TEXT NOT NULL, hlc INTEGER NOT NULL, body BLOB NOT NULL);
                    INSERT INTO orphan_change_9 (kind, record_id, sharing_group, origin, hlc, body)
                        SELECT kind, record_id, sharing_group, origin, hlc, body FROM orphan_change ORDER BY hlc, origin;
                    DROP TABLE orphan_change;
                    ALTER TABLE orphan_change_9 RENAME TO orphan_change;
                    CREATE INDEX orphan_change_by_record ON orphan_change (kind, record_id);
                    CREATE TABLE orphan_append (
                        parent_id TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL, sharing_group TEXT NOT NULL,
                        origin TEXT NOT NULL, hlc INTEGER NOT NULL, body BLOB NOT NULL,
                        PRIMARY KEY (parent_id, kind, record_id)) WITHOUT ROWID;
                    CREATE INDEX orphan_append_by_origin ON orphan_append (origin);
                    CREATE INDEX orphan_append_by_record ON orphan_append (record_id);
                    CREATE INDEX orphan_change_by_origin ON orphan_change (origin);
                    CREATE TABLE erasure_request (
                        id TEXT PRIMARY KEY NOT NULL, sharing_group TEXT NOT NULL, origin TEXT NOT NULL, created_at TEXT NOT NULL,
                        record_id TEXT, reason TEXT, author TEXT, text TEXT, field_clocks BLOB, last_hlc INTEGER) WITHOUT ROWID;
                    CREATE INDEX erasure_request_by_group ON erasure_request (sharing_group);
                    CREATE INDEX erasure_request_by_record ON erasure_request (record_id);
                    CREATE TABLE redaction_pending (
                        origin TEXT NOT NULL, sharing_group TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
                        record_id TEXT NOT NULL, peer TEXT NOT NULL, noted_at INTEGER NOT NULL, judged INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (origin, sharing_group, seq, kind, record_id)) WITHOUT ROWID;
                    CREATE INDEX redaction_pending_by_peer ON redaction_pending (peer);
                    CREATE INDEX redaction_pending_by_record ON redaction_pending (record_id);
                    PRAGMA user_version = 9;
                    """
            )
        }
        migrator.registerMigration("10-macedonian-digraph-keys") { db in
            // Version 4 began reading `gj` and `kj` in names as one letter (Macedonian ѓ and ќ),
            // as `dj` always was, but re-keyed only identifiers: a person indexed before it lacks
            // the variant without the j, so `Gorgievski` did not find Ѓорѓиевски. Only keys that
            // hold `gj` or `kj` can differ. No trigger is left: `name_index` is written here.
            let stale = try Row.fetchAll(
                db,
                sql: """
                    SELECT name_key.rowid, name_key.keys, person.family_name, person.given_name, person.aliases
                    FROM name_key JOIN person ON person.id = name_key.record_id
                    WHERE name_key.kind = 'person' AND (name_key.keys LIKE '%gj%' OR name_key.keys LIKE '%kj%')
                    ORDER BY name_key.rowid
                    """
            )
            for row in stale {
                let rowID: Int64 = row["rowid"]
                let old: String = row["keys"]
                let keys = PersonKeysV10.keys([row["family_name"], row["given_name"], row["aliases"]])
                guard keys != old else { continue }
                try db.execute(sql: "INSERT INTO name_index (name_index, rowid, keys) VALUES ('delete', ?, ?)", arguments: [rowID, old])
                if keys.isEmpty {
                    try db.execute(sql: "DELETE FROM name_key WHERE rowid = ?", arguments: [rowID])
                } else {
                    try db.execute(sql: "UPDATE name_key SET keys = ? WHERE rowid = ?", arguments: [keys, rowID])
                    try db.execute(sql: "INSERT INTO name_index (rowid, keys) VALUES (?, ?)", arguments: [rowID, keys])
                }
            }
            try db.execute(sql: "PRAGMA user_version = 10")
        }
        migrator.registerMigration("11-peer-certificate-expiry") { db in
            // Each peer's certificate as last seen at a handshake: its serial (colon-separated
            // hex) and the end of its validity (Unix milliseconds), for expiry warnings.
            try db.execute(
                sql: """
                    ALTER TABLE peer_status ADD COLUMN certificate_serial TEXT;
                    ALTER TABLE peer_status ADD COLUMN certificate_not_after INTEGER;
                    PRAGMA user_version = 11;
                    """
            )
        }
        migrator.registerMigration("12-batch-log-by-hlc") { db in
            // A batch an origin re-issued in a later epoch (docs/PROTOCOL.md §5.9) is found by its
            // group and HLC, so checking whether a received batch was re-issued is one probe.
            try db.execute(
                sql: """
                    CREATE INDEX batch_log_by_hlc ON batch_log (sharing_group, hlc_max);
                    PRAGMA user_version = 12;
                    """
            )
        }
        migrator.registerMigration("13-name-index-rebuilt") { db in
            // FTS5 before SQLite 3.44 added an index level at most 'optimize' commands, which
            // every erasure ran, and takes over 2,000 levels as corruption: a node past some
            // 1,500 erasures could not open `name_index` at all. An empty structure record (the
            // one FTS5 writes for an empty index) lets it open again, and 'rebuild' indexes
            // `name_key` afresh, healthy or not.
            try db.execute(
                sql: """
                    UPDATE name_index_data SET block = x'00000000000000' WHERE id = 10;
                    INSERT INTO name_index (name_index) VALUES ('rebuild');
                    PRAGMA user_version = 13;
                    """
            )
        }
        migrator.registerMigration("14-deferred-batches") { db in
            // A stored batch holding what this node's record schema did not know when it came (a
            // kind, a field, an allowed value of a newer schema): applied again, in stream order,
            // when the schema grows (docs/PROTOCOL.md §5.11). `changes` counts its changes that
            // waited, `relayed_by` names the peer that sent it.
            try db.execute(
                sql: """
                    CREATE TABLE deferred_batch (
                        origin TEXT NOT NULL, sharing_group TEXT NOT NULL, seq INTEGER NOT NULL,
                        changes INTEGER NOT NULL, relayed_by TEXT NOT NULL, schema_version INTEGER NOT NULL,
                        PRIMARY KEY (origin, sharing_group, seq)) WITHOUT ROWID;
                    PRAGMA user_version = 14;
                    """
            )
        }
        migrator.registerMigration("15-request-threads") { db in
            // `entry_receipt`: when a thread entry addressed to this node (a clarification, or
            // the reply to one) reached it, until the node notes that in the thread.
            // `request_statistic`: what the yearly report counts of a request this node sent or
            // received, kept when the request is erased; no personal data (docs/PROTOCOL.md §5.12).
            try db.execute(
                sql: """
                    CREATE TABLE entry_receipt (
                        entry_id TEXT PRIMARY KEY NOT NULL, request_id TEXT NOT NULL, received_at INTEGER NOT NULL,
                        acknowledged INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
                    CREATE TABLE request_statistic (
                        request_id TEXT PRIMARY KEY NOT NULL, from_node TEXT NOT NULL, to_node TEXT NOT NULL,
                        urgency TEXT NOT NULL, created_at INTEGER NOT NULL, received_at INTEGER, due_at INTEGER,
                        responded_at INTEGER, outcome TEXT NOT NULL, grounds TEXT NOT NULL, delayed_at INTEGER, paused_for INTEGER NOT NULL
                        ) WITHOUT ROWID;
                    PRAGMA user_version = 15;
                    """
            )
        }
        migrator.registerMigration("16-sign-in") { db in
            // Passwords (scrypt, `PasswordHash`), disabling and lockout on the user; sign-in
            // sessions; who at this centre holds each request it must act on (`request_holder`,
            // never replicated); the audit head's seal under the audit key; named API tokens that expire, replacing the one never-expiring token per
            // user, which becomes the token named `token` and lasts 90 days from this upgrade.
            // Only SHA-256 of a session or token is kept.
            try db.execute(
                sql: """
                    ALTER TABLE local_user ADD COLUMN password TEXT;
                    ALTER TABLE local_user ADD COLUMN disabled_at INTEGER;
                    ALTER TABLE local_user ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE local_user ADD COLUMN locked_until INTEGER;
                    CREATE TABLE user_session (
                        token_hash BLOB PRIMARY KEY NOT NULL, user TEXT NOT NULL, started_at INTEGER NOT NULL,
                        last_seen_at INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE INDEX user_session_by_user ON user_session (user);
                    CREATE TABLE api_token (
                        user TEXT NOT NULL, name TEXT NOT NULL, token_hash BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL, revoked_at INTEGER, last_refused_at INTEGER, PRIMARY KEY (user, name)) WITHOUT ROWID;
                    INSERT INTO api_token (user, name, token_hash, created_at, expires_at)
                        SELECT name, 'token', token_hash, added_at, CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 90 * 86400000
                        FROM local_user WHERE token_hash IS NOT NULL;
                    DROP INDEX local_user_by_token;
                    ALTER TABLE local_user DROP COLUMN token_hash;
                    ALTER TABLE audit_head ADD COLUMN seal BLOB;
                    CREATE TABLE request_holder (
                        request_id TEXT PRIMARY KEY NOT NULL, holder TEXT NOT NULL, since INTEGER NOT NULL) WITHOUT ROWID;
                    PRAGMA user_version = 16;
                    """
            )
        }
        migrator.registerMigration("17-purposes") { db in
            // The node's purpose rule (`PurposeRule`) and the case numbers it may ask for, both
            // local and never replicated. Every node, new or upgraded, starts by asking a purpose
            // in words.
            try db.execute(
                sql: """
                    CREATE TABLE purpose_rule (
                        only_row INTEGER PRIMARY KEY CHECK (only_row = 1), mode TEXT NOT NULL);
                    INSERT INTO purpose_rule (only_row, mode) VALUES (1, 'free-text');
                    CREATE TABLE case_number (
                        number TEXT PRIMARY KEY NOT NULL, added_at INTEGER NOT NULL, added_by TEXT NOT NULL) WITHOUT ROWID;
                    PRAGMA user_version = 17;
                    """
            )
        }
        migrator.registerMigration("18-os-accounts") { db in
            // The operating-system account whose `pccc` commands act as each user; the command
            // line no longer names its user. An enabled user of an earlier release acted as the
            // account of the same name when no `--user` was given, so that is the account each
            // keeps; a disabled one keeps none.
            try db.execute(
                sql: """
                    ALTER TABLE local_user ADD COLUMN os_account TEXT;
                    UPDATE local_user SET os_account = name WHERE disabled_at IS NULL;
                    CREATE UNIQUE INDEX local_user_by_os_account ON local_user (os_account) WHERE os_account IS NOT NULL;
                    PRAGMA user_version = 18;
                    """
            )
        }
        migrator.registerMigration("19-audit-heads-fork-tips-session-limits") { db in
            // The signed head of each peer's audit log this node was sent (kept to echo back and
            // as evidence), and the head of this node's own log each peer echoed. A quarantined
            // batch notes the last batch seen of the branch it begins, which is not kept itself.
            // The session limits an admin set, when not the defaults.
            try db.execute(
                sql: """
                    CREATE TABLE peer_audit_head (
                        peer TEXT PRIMARY KEY, flags INTEGER NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL, at INTEGER NOT NULL,
                        signature BLOB NOT NULL, received_at INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE TABLE audit_echo (
                        peer TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash BLOB NOT NULL, received_at INTEGER NOT NULL) WITHOUT ROWID;
                    ALTER TABLE quarantine ADD COLUMN branch_tip_seq INTEGER;
                    ALTER TABLE quarantine ADD COLUMN branch_tip_hash BLOB;
                    CREATE TABLE session_limit (
                        only_row INTEGER PRIMARY KEY CHECK (only_row = 1), idle_minutes INTEGER NOT NULL, session_hours INTEGER NOT NULL);
                    PRAGMA user_version = 19;
                    """
            )
        }
        migrator.registerMigration("20-set-elements-match-keys") { db in
            // Each element ever written to a field that merges as a set (docs/PROTOCOL.md §5.7):
            // its tag, its value, NULL once removed (kept, so a late copy of the addition stays
            // removed), and the stamp of the write that set it. The record's column holds the
            // live values, distinct and sorted, as one JSON array; `set_element_by_value` finds
            // the first of them without reading the rest.
            // `match_key`: the strong identifiers duplicates are found by, derived like the name
            // index, with each record's kind, group and origin; the identifiers records held
            // before this migration are keyed here, without spaces and dashes and with ASCII
            // letters in capitals. `import_row`: the digest of each row `pccc record import`
            // created a record from, so running it again creates nothing twice.
            try db.execute(
                sql: """
                    CREATE TABLE set_element (
                        kind TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL, tag TEXT NOT NULL, value TEXT,
                        hlc INTEGER NOT NULL, origin TEXT NOT NULL,
                        PRIMARY KEY (kind, record_id, field, tag)) WITHOUT ROWID;
                    CREATE INDEX set_element_by_value ON set_element (kind, record_id, field, value);
                    CREATE TABLE match_key (
                        key TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL, sharing_group TEXT NOT NULL, origin TEXT NOT NULL,
                        PRIMARY KEY (key, kind, record_id)) WITHOUT ROWID;
                    CREATE INDEX match_key_by_record ON match_key (record_id);
                    CREATE INDEX match_key_by_origin ON match_key (origin, key);
                    CREATE TABLE import_row (key BLOB PRIMARY KEY, record_id TEXT NOT NULL) WITHOUT ROWID;
                    CREATE INDEX import_row_by_record ON import_row (record_id);
                    INSERT OR IGNORE INTO match_key (key, kind, record_id, sharing_group, origin)
                        SELECT 'doc:' || upper(replace(replace(number, ' ', ''), '-', '')), 'document', id, sharing_group, origin FROM document
                        WHERE replace(replace(number, ' ', ''), '-', '') != '';
                    INSERT OR IGNORE INTO match_key (key, kind, record_id, sharing_group, origin)
                        SELECT 'plate:' || upper(replace(replace(plate, ' ', ''), '-', '')), 'vehicle', id, sharing_group, origin FROM vehicle
                        WHERE replace(replace(plate, ' ', ''), '-', '') != '';
                    INSERT OR IGNORE INTO match_key (key, kind, record_id, sharing_group, origin)
                        SELECT 'vin:' || upper(replace(replace(vin, ' ', ''), '-', '')), 'vehicle', id, sharing_group, origin FROM vehicle
                        WHERE replace(replace(vin, ' ', ''), '-', '') != '';
                    INSERT OR IGNORE INTO match_key (key, kind, record_id, sharing_group, origin)
                        SELECT 'serial:' || upper(replace(replace(serial, ' ', ''), '-', '')), 'firearm', id, sharing_group, origin FROM firearm
                        WHERE replace(replace(serial, ' ', ''), '-', '') != '';
                    PRAGMA user_version = 20;
                    """
            )
        }
        return migrator
    }

    /// Each record's field stamps move from one `field_clock` row per field into the record's
    /// own row, in `FieldClocks`' format 1 as ``FieldClocksV7`` writes it, with the greatest
    /// stamp's HLC in `last_hlc` for listing by last change. A record with no stamp keeps NULL
    /// in both.
    private static func moveFieldClocksIntoRecords(_ db: Database) throws {
        for kind in kindTablesBeforeVersion9 {
            let table = "\"\(kind)\""
            try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN field_clocks BLOB; ALTER TABLE \(table) ADD COLUMN last_hlc INTEGER")
            let update = try db.makeStatement(sql: "UPDATE \(table) SET field_clocks = ?, last_hlc = ? WHERE id = ?")
            func store(_ id: String, _ stamps: [FieldClocksV7.FieldStamp]) throws {
                try update.execute(arguments: [Data(FieldClocksV7.encoded(stamps)), FieldClocksV7.latestHLC(stamps), id])
            }
            let rows = try Row.fetchCursor(
                db, sql: "SELECT record_id, field, hlc, origin FROM field_clock WHERE kind = ? ORDER BY record_id", arguments: [kind]
            )
            var pending: (id: String, stamps: [FieldClocksV7.FieldStamp])?
            while let row = try rows.next() {
                let id: String = row["record_id"]
                if let current = pending, current.id != id { try store(current.id, current.stamps) }
                if pending?.id != id { pending = (id, []) }
                let hlc: Int64 = row["hlc"]
                pending!.stamps.append(FieldClocksV7.FieldStamp(field: row["field"], hlc: UInt64(bitPattern: hlc), origin: row["origin"]))
            }
            if let current = pending { try store(current.id, current.stamps) }
        }
    }

    /// The record kinds' tables of versions 1 to 8, frozen: migrations 4 and 7 walk exactly
    /// these, whatever kinds later versions add.
    private static let kindTablesBeforeVersion9 = ["person", "vehicle", "document", "firearm", "request", "hit", "note"]

    private static func createVersion1(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE replica_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE field_clock (
                    kind TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL,
                    hlc INTEGER NOT NULL, origin TEXT NOT NULL,
                    PRIMARY KEY (kind, record_id, field)) WITHOUT ROWID;
                CREATE TABLE tombstone (
                    kind TEXT NOT NULL, record_id TEXT NOT NULL, hlc INTEGER NOT NULL, origin TEXT NOT NULL,
                    reason TEXT NOT NULL, sharing_group TEXT NOT NULL,
                    PRIMARY KEY (kind, record_id)) WITHOUT ROWID;
                CREATE INDEX tombstone_by_record ON tombstone (record_id);
                CREATE TABLE orphan_change (
                    kind TEXT NOT NULL, record_id TEXT NOT NULL, sharing_group TEXT NOT NULL,
                    origin TEXT NOT NULL, hlc INTEGER NOT NULL, body BLOB NOT NULL,
                    PRIMARY KEY (kind, record_id, origin, hlc)) WITHOUT ROWID;
                CREATE TABLE batch_log (
                    origin TEXT NOT NULL, sharing_group TEXT NOT NULL, seq INTEGER NOT NULL,
                    header BLOB NOT NULL, signature BLOB NOT NULL, payload BLOB NOT NULL,
                    raw_length INTEGER NOT NULL, header_hash BLOB NOT NULL, hlc_max INTEGER NOT NULL,
                    change_count INTEGER NOT NULL, received_at INTEGER NOT NULL,
                    PRIMARY KEY (origin, sharing_group, seq)) WITHOUT ROWID;
                CREATE TABLE batch_leaf (
                    kind TEXT NOT NULL, record_id TEXT NOT NULL,
                    origin TEXT NOT NULL, sharing_group TEXT NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY (kind, record_id, origin, sharing_group, seq)) WITHOUT ROWID;
                CREATE TABLE stream_head (
                    origin TEXT NOT NULL, sharing_group TEXT NOT NULL, seq INTEGER NOT NULL,
                    header_hash BLOB NOT NULL, PRIMARY KEY (origin, sharing_group)) WITHOUT ROWID;
                CREATE TABLE peer_progress (
                    peer TEXT NOT NULL, origin TEXT NOT NULL, sharing_group TEXT NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY (peer, origin, sharing_group)) WITHOUT ROWID;
                CREATE TABLE quarantine (
                    id INTEGER PRIMARY KEY, origin TEXT NOT NULL, sharing_group TEXT NOT NULL, seq INTEGER NOT NULL,
                    header_hash BLOB NOT NULL, envelope BLOB NOT NULL, reason TEXT NOT NULL, received_at INTEGER NOT NULL,
                    UNIQUE (origin, sharing_group, seq, header_hash));
                CREATE TABLE alarm (
                    code TEXT NOT NULL, subject TEXT NOT NULL, message TEXT NOT NULL,
                    first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL,
                    PRIMARY KEY (code, subject)) WITHOUT ROWID;
                CREATE TABLE name_key (
                    rowid INTEGER PRIMARY KEY, kind TEXT NOT NULL, record_id TEXT NOT NULL UNIQUE, keys TEXT NOT NULL);
                CREATE VIRTUAL TABLE name_index USING fts5 (
                    keys, content = 'name_key', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2');
                CREATE TRIGGER name_key_insert AFTER INSERT ON name_key BEGIN
                    INSERT INTO name_index (rowid, keys) VALUES (new.rowid, new.keys);
                END;
                CREATE TRIGGER name_key_delete AFTER DELETE ON name_key BEGIN
                    INSERT INTO name_index (name_index, rowid, keys) VALUES ('delete', old.rowid, old.keys);
                END;
                CREATE TRIGGER name_key_update AFTER UPDATE ON name_key BEGIN
                    INSERT INTO name_index (name_index, rowid, keys) VALUES ('delete', old.rowid, old.keys);
                    INSERT INTO name_index (rowid, keys) VALUES (new.rowid, new.keys);
                END;
                CREATE TABLE audit_log (
                    seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL,
                    record_ids TEXT NOT NULL, purpose TEXT, detail TEXT, prev_hash BLOB NOT NULL, hash BLOB NOT NULL);
                """
        )
        // The record kinds' tables as version 1 made them, written out: a later field or
        // kind is added by its own migration and never changes this text.
        try db.execute(
            sql: """
                CREATE TABLE "person" (
                    id TEXT PRIMARY KEY NOT NULL, sharing_group TEXT NOT NULL, origin TEXT NOT NULL,
                    created_at TEXT NOT NULL, "family_name" TEXT, "given_name" TEXT, "birth_date" TEXT, "birth_place" TEXT, "nationality" TEXT, "sex" TEXT, "aliases" TEXT, "alert" TEXT, "reason" TEXT, "handling_code" TEXT, "source_reliability" TEXT, "info_accuracy" TEXT, "derived_from" TEXT) WITHOUT ROWID;
                CREATE INDEX "person_by_group" ON "person" (sharing_group);
                CREATE TABLE "vehicle" (
                    id TEXT PRIMARY KEY NOT NULL, sharing_group TEXT NOT NULL, origin TEXT NOT NULL,
                    created_at TEXT NOT NULL, "plate" TEXT, "vin" TEXT, "make" TEXT, "model" TEXT, "colour" TEXT, "registration_country" TEXT, "alert" TEXT, "handling_code" TEXT, "source_reliability" TEXT, "info_accuracy" TEXT, "derived_from" TEXT) WITHOUT ROWID;
                CREATE INDEX "vehicle_by_group" ON "vehicle" (sharing_group);
                CREATE TABLE "document" (
                    id TEXT PRIMARY KEY NOT NULL, sharing_group TEXT NOT NULL, origin TEXT NOT NULL,
                    created_at TEXT NOT NULL, "doc_type" TEXT, "number" TEXT, "issuing_country" TEXT, "status" TEXT, "handling_code" TEXT, "source_reliability" TEXT, "info_accuracy" TEXT, "derived_from" TEXT) WITHOUT ROWID;
                CREATE INDEX "document_by_group" ON "document" (sharing_group);
                CREATE TABLE "firearm" (
                    id TEXT PRIMARY KEY NOT NULL, sharing_group TEXT NOT NULL, origin TEXT NOT NULL,
                    created_at TEXT NOT NULL, "serial" TEXT, "make" TEXT, "model" TEXT, "calibre" TEXT, "status" TEXT, "handling_code" TEXT, "source_reliability" TEXT, "info_accuracy" TEXT, "derived_from" TEXT) WITHOUT ROWID;
                CREATE INDEX "firearm_by_group" ON "firearm" (sharing_group);
                CREATE TABLE "request" (
                    id TEXT PRIMARY KEY NOT NULL, sharing_group TEXT NOT NULL, origin TEXT NOT NULL,
                    created_at TEXT NOT NULL, "from_node" TEXT, "to_node" TEXT, "urgency" TEXT, "subject_ids" TEXT, "question" TEXT, "status" TEXT, "answer" TEXT, "handling_code" TEXT, "source_reliability" TEXT, "info_accuracy" TEXT, "derived_from" TEXT) WITHOUT ROWID;
                CREATE INDEX "request_by_group" ON "request" (sharing_group);
                CREATE TABLE "hit" (
                    id TEXT PRIMARY KEY NOT NULL, sharing_group TEXT NOT NULL, origin TEXT NOT NULL,
                    created_at TEXT NOT NULL, "record_id" TEXT, "place" TEXT, "checked_at" TEXT, "outcome" TEXT) WITHOUT ROWID;
                CREATE INDEX "hit_by_group" ON "hit" (sharing_group);
                CREATE INDEX "hit_by_record" ON "hit" (record_id);
                CREATE TABLE "note" (
                    id TEXT PRIMARY KEY NOT NULL, sharing_group TEXT NOT NULL, origin TEXT NOT NULL,
                    created_at TEXT NOT NULL, "record_id" TEXT, "author" TEXT, "text" TEXT) WITHOUT ROWID;
                CREATE INDEX "note_by_group" ON "note" (sharing_group);
                CREATE INDEX "note_by_record" ON "note" (record_id);
                """
        )
    }

    // MARK: Code frozen with its migration

    /// Migration 4's search keys, frozen: `NameIndex.keys` of a vehicle, document or firearm
    /// exactly as the application computed them when migration 4 was registered (every
    /// searchable field of those kinds is an identifier, so `NameFolding.identifierKeys` of each
    /// value, in field order, joined by spaces).
    ///
    /// Never change this: a registered migration must do on every replica, whenever it runs,
    /// what it did when it was released, and the live name keys may move on. A change to the
    /// keys of records already held is a new migration, with its own frozen copy.
    private enum IdentifierKeysV4 {
        /// The kinds with identifiers and their searchable fields, as version 4 had them.
        static let identifiedKinds: [(kind: String, fields: [String])] = [
            ("vehicle", ["plate", "vin"]), ("document", ["number"]), ("firearm", ["serial"]),
        ]

        /// The keys of a record holding these values of its searchable fields (nil where a
        /// field is NULL): each value folded, then folded without spaces where that differs.
        static func keys(_ values: [String?]) -> String {
            var keys: [String] = []
            for case let value? in values {
                let folded = fold(value)
                let compact = String(decoding: folded.utf8.filter { $0 != UInt8(ascii: " ") }, as: UTF8.self)
                keys += compact == folded ? [folded] : [folded, compact]
            }
            return keys.joined(separator: " ")
        }

        /// `NameFolding.fold` by its character rules: lowercases, transliterates, and keeps
        /// letters, digits and single spaces. (The application also has a faster scalar path
        /// that gives the same text; a migration that runs once needs only the rules.)
        static func fold(_ text: String) -> String {
            var out = ""
            var lastWasSpace = true
            for char in text.lowercased() {
                if let replacement = transliteration[char] {
                    out += replacement
                    lastWasSpace = false
                } else if char.isLetter || char.isNumber {
                    out.append(char)
                    lastWasSpace = false
                } else if !lastWasSpace {
                    out.append(" ")
                    lastWasSpace = true
                }
            }
            if out.last == " " { out.removeLast() }
            return out
        }

        /// Serbian and Macedonian Cyrillic and Latin letters with diacritics, as folded then.
        static let transliteration: [Character: String] = [
            "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "dj", "е": "e", "ж": "z", "з": "z",
            "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
            "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "c", "у": "u", "ф": "f", "х": "h", "ц": "c",
            "ч": "c", "џ": "dz", "ш": "s", "ѓ": "gj", "ќ": "kj", "ѕ": "dz", "й": "j", "ы": "y", "э": "e",
            "ю": "ju", "я": "ja", "щ": "sc", "ь": "", "ъ": "",
            "đ": "dj", "ć": "c", "č": "c", "š": "s", "ž": "z", "ë": "e", "ç": "c", "ä": "a", "ö": "o",
            "ü": "u", "ß": "ss", "á": "a", "à": "a", "â": "a", "é": "e", "è": "e", "ê": "e", "í": "i",
            "ì": "i", "î": "i", "ó": "o", "ò": "o", "ô": "o", "ú": "u", "ù": "u", "û": "u", "ñ": "n",
            "ł": "l", "ř": "r", "ě": "e", "ů": "u", "ý": "y", "ğ": "g", "ı": "i", "ş": "s", "ő": "o",
            "ű": "u", "ă": "a", "ș": "s", "ț": "t", "ţ": "t", "ň": "n", "ď": "d", "ť": "t",
        ]
    }

    /// Migration 10's keys of a person, frozen: `NameIndex.keys` of a person as the application
    /// computed them when migration 10 was registered (`NameFolding.keys` of the family name,
    /// given name and aliases, in that order, joined by spaces). Never change this, for the
    /// reason ``IdentifierKeysV4`` gives.
    private enum PersonKeysV10 {
        /// The keys of a person holding these names (nil where a field is NULL): each folded,
        /// then without its `dj`, `gj` and `kj` digraphs where that differs.
        static func keys(_ values: [String?]) -> String {
            var keys: [String] = []
            for case let value? in values {
                // The folding rules migration 4 froze, unchanged since version 1.
                let folded = IdentifierKeysV4.fold(value)
                let variant = withoutDigraphJ(folded)
                keys += variant == folded ? [folded] : [folded, variant]
            }
            return keys.joined(separator: " ")
        }

        /// `dj`, `gj` and `kj` read as `d`, `g` and `k`, in one pass over the bytes (ASCII
        /// pairs never occur inside a multi-byte UTF-8 sequence).
        static func withoutDigraphJ(_ text: String) -> String {
            let bytes = Array(text.utf8)
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                out.append(byte)
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "j"),
                    byte == UInt8(ascii: "d") || byte == UInt8(ascii: "g") || byte == UInt8(ascii: "k")
                {
                    index += 2
                } else {
                    index += 1
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Migration 7's encoding of a record's field stamps, frozen: `FieldClocks` format 1 and
    /// its `latest` exactly as they were when migration 7 was registered.
    ///
    /// Never change this, for the reason ``IdentifierKeysV4`` gives: `FieldClocks` may gain a
    /// format 2, and migration 7 must still write format 1, which later code reads or
    /// migrates by a migration of its own.
    private enum FieldClocksV7 {
        /// One `field_clock` row: a field and the stamp of its last write.
        struct FieldStamp {
            let field: String
            let hlc: UInt64
            let origin: String
        }

        /// A stamp, the key fields are grouped by.
        private struct Stamp: Hashable {
            let hlc: UInt64
            let origin: String

            /// By HLC, then origin bytewise, as `WriteStamp` ordered them.
            func precedes(_ other: Stamp) -> Bool {
                hlc != other.hlc ? hlc < other.hlc : origin.utf8.lexicographicallyPrecedes(other.origin.utf8)
            }
        }

        /// Format 1: the byte `0x01`, then for each distinct stamp in ascending order its HLC
        /// (8 bytes, big-endian), origin (length byte, UTF-8), field count (one byte) and field
        /// names (length byte, UTF-8 each) in ascending bytewise order.
        static func encoded(_ stamps: [FieldStamp]) -> [UInt8] {
            var fieldsByStamp: [Stamp: [String]] = [:]
            for stamp in stamps { fieldsByStamp[Stamp(hlc: stamp.hlc, origin: stamp.origin), default: []].append(stamp.field) }
            var bytes: [UInt8] = [1]
            for stamp in fieldsByStamp.keys.sorted(by: { $0.precedes($1) }) {
                let fields = fieldsByStamp[stamp]!
                for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: stamp.hlc >> UInt64(shift))) }
                appendShortString(stamp.origin, to: &bytes)
                bytes.append(UInt8(fields.count))
                for field in fields.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) { appendShortString(field, to: &bytes) }
            }
            return bytes
        }

        /// The HLC of the greatest stamp, as `last_hlc` stores it; nil when there is none.
        static func latestHLC(_ stamps: [FieldStamp]) -> Int64? {
            stamps.map(\.hlc).max().map { Int64(bitPattern: $0) }
        }

        private static func appendShortString(_ text: String, to bytes: inout [UInt8]) {
            let utf8 = Array(text.utf8)
            precondition(utf8.count <= 255, "short string over 255 bytes")
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
    }
}
