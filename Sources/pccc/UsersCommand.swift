import ArgumentParser
import Foundation
import NodeService
import Records
import Replica

struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "The people who work at this node (local, never replicated).",
        subcommands: [Add.self, List.self, Token.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (admins only).")
        @Argument(help: "The user's login-style name, such as ana.petrovic.") var name: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "staff or admin.") var role: String

        func run() throws {
            guard let parsed = LocalUser.Role(rawValue: role) else {
                throw CLIError("--role must be staff or admin, not \(role)")
            }
            let session = try staff.open(requiring: .admin)
            try session.replica.addUser(name, role: parsed, addedBy: session.actor)
            print("added \(name) as \(parsed.rawValue) at node \(session.replica.configuration.nodeID)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the node's users.")
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open()
            for user in try session.replica.users() {
                print("\(user.name)  \(user.role.rawValue)  added \(Timestamps.iso8601(milliseconds: user.addedAt)) by \(user.addedBy)")
            }
        }
    }
}

extension UsersCommand {
    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new API token for a user (your own, or anyone's as an admin); the old one stops working."
        )
        @Argument(help: "The user the token is for.") var name: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open()
            print(try session.replica.issueToken(for: name, by: session.actor))
        }
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The node's hash-chained log of who consulted, searched, wrote, erased and exported what (admins only).",
        subcommands: [List.self, Verify.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the latest audit entries, oldest first.")
        @OptionGroup var staff: StaffOptions
        @Option(name: .customLong("of"), help: "Only entries of this user.") var ofUser: String?
        @Option(help: "Only entries at or after this date or time (ISO 8601).") var since: String?
        @Option(help: "Most entries to show.") var limit = 100
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            var sinceMilliseconds: UInt64?
            if let since {
                guard let parsed = Timestamps.milliseconds(fromISO8601: since) else {
                    throw CLIError("--since must be a date (2026-11-22) or a time (2026-11-22T08:00:00Z), not \(since)")
                }
                sinceMilliseconds = parsed
            }
            guard limit > 0 else { throw CLIError("--limit must be a positive number") }
            let session = try staff.open(requiring: .admin)
            let detail = [ofUser.map { "of \($0)" }, since.map { "since \($0)" }].compactMap { $0 }.joined(separator: " ")
            let entries = try session.replica.auditEntries(user: ofUser, since: sinceMilliseconds, limit: limit, auditedAs: session.actor, detail: detail)
            if json {
                try printJSON(entries.map(\.json))
                return
            }
            for entry in entries {
                var line = "\(entry.seq)  \(Timestamps.iso8601(milliseconds: entry.at))  \(entry.event.user)  \(entry.event.action)"
                if let detail = entry.event.detail, !detail.isEmpty { line += "  \(detail)" }
                if !entry.event.recordIDs.isEmpty {
                    let shown = entry.event.recordIDs.prefix(3).joined(separator: " ")
                    line += "  [\(shown)\(entry.event.recordIDs.count > 3 ? " +\(entry.event.recordIDs.count - 3) more" : "")]"
                }
                if let purpose = entry.event.purpose { line += "  purpose: \(purpose)" }
                print(line)
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the whole chain; exit 1 naming the first entry that was tampered with.")
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open(requiring: .admin)
            switch try session.replica.verifyAudit() {
            case .intact(let entries):
                print("audit log intact: \(entries) entries, each sealed and chained to the one before")
            case .broken(_, let reason):
                throw CLIError("audit log broken: \(reason)")
            }
        }
    }
}
