import ArgumentParser
import Foundation
import NodeService
import Records
import Replica
import SyncCore

struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "The people who work at this node (local, never replicated).",
        subcommands: [
            Add.self, List.self, MapAccount.self, UnmapAccount.self, Password.self, Disable.self, Enable.self, SignOut.self, SessionLimits.self,
            Token.self, Tokens.self,
            RevokeToken.self,
        ]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (admins only).")
        @Argument(help: "The user's login-style name, such as ana.petrovic.") var name: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "staff or admin.") var role: String
        @Option(help: "The OS account whose pccc commands act as this user, if they use the command line.") var osAccount: String?

        func run() throws {
            guard let parsed = LocalUser.Role(rawValue: role) else {
                throw CLIError("--role must be staff or admin, not \(role)")
            }
            let session = try staff.open(requiring: .admin)
            try session.replica.addUser(name, role: parsed, osAccount: osAccount, addedBy: session.actor)
            print("added \(name) as \(parsed.rawValue) at node \(session.replica.configuration.nodeID)" + (osAccount.map { ", as OS account \($0)" } ?? ""))
        }
    }

    struct MapAccount: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "map-account",
            abstract: "Make an OS account's pccc commands act as a user (admins, or the account that owns the node folder)."
        )
        @Argument(help: "The OS account, as sudo names the person running pccc through it.") var account: String
        @Option(help: "The user it acts as.") var to: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let runner = OSAccount.current()
            let directory = NodeDirectory(staff.data)
            let replica: Replica
            let actor: AuditActor
            let asFolderOwner: Bool
            do {
                let session = try staff.open(requiring: .admin)
                (replica, actor, asFolderOwner) = (session.replica, session.actor, false)
            } catch let refusal as ReplicaError where refusal.code == .notAllowed && runner.owns(directory.url.path) {
                // The folder's owner, not mapped to an admin: the way back in when no admin's
                // account is mapped. It is logged under the account's name.
                replica = try directory.open()
                (actor, asFolderOwner) = (AuditActor(user: "\(runner.name) (folder owner)", purpose: staff.purpose), true)
            }
            try replica.mapAccount(account, to: to, by: actor, asFolderOwner: asFolderOwner)
            print("mapped OS account \(account) to \(to) at node \(replica.configuration.nodeID)")
        }
    }

    struct UnmapAccount: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unmap-account", abstract: "Stop an OS account's pccc commands acting as anyone (admins only).")
        @Argument(help: "The OS account.") var account: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open(requiring: .admin)
            try session.replica.unmapAccount(account, by: session.actor)
            print("unmapped OS account \(account) at node \(session.replica.configuration.nodeID)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the node's users.")
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open()
            for user in try session.replica.users() {
                var line = "\(user.name)  \(user.role.rawValue)  added \(Timestamps.iso8601(milliseconds: user.addedAt)) by \(user.addedBy)"
                if let account = user.osAccount { line += "  OS account \(account)" }
                if !user.hasPassword { line += "  no password" }
                if let disabledAt = user.disabledAt { line += "  disabled \(Timestamps.iso8601(milliseconds: disabledAt))" }
                print(line)
            }
        }
    }
}

extension UsersCommand {
    struct Password: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a user's password for the web UI (admins only), read from standard input; their sessions end.",
            discussion: "At least 12 characters. Typed at a terminal it is not echoed; otherwise the first line of standard input is the password."
        )
        @Argument(help: "The user.") var name: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open(requiring: .admin)
            let password: String?
            if isatty(0) == 1 {
                password = getpass("new password for \(name): ").map { String(cString: $0) }
            } else {
                password = readLine(strippingNewline: true)
            }
            guard let password, !password.isEmpty else { throw CLIError("no password was given on standard input") }
            try session.replica.setPassword(password, for: name, by: session.actor)
            print("set the password of \(name) at node \(session.replica.configuration.nodeID)")
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user (admins only): their sessions end, and sign-in, tokens and commands refuse them.")
        @Argument(help: "The user.") var name: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open(requiring: .admin)
            try session.replica.disableUser(name, by: session.actor)
            print("disabled \(name) at node \(session.replica.configuration.nodeID)")
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled or locked user again (admins only).")
        @Argument(help: "The user.") var name: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open(requiring: .admin)
            try session.replica.enableUser(name, by: session.actor)
            print("enabled \(name) at node \(session.replica.configuration.nodeID)")
        }
    }

    struct SignOut: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sign-out", abstract: "End every web UI session of a user (admins only).")
        @Argument(help: "The user.") var name: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open(requiring: .admin)
            let ended = try session.replica.endSessions(of: name, by: session.actor)
            print("ended \(ended) session\(ended == 1 ? "" : "s") of \(name)")
        }
    }

    struct SessionLimits: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "session-limits",
            abstract: "Show, or set (admins only), how long a web UI session may stay unused and how long it lasts at most.")
        @Option(help: "End a session unused this many minutes (1 to 1440; 30 unless set).") var idleMinutes: Int?
        @Option(help: "End a session this many hours after sign-in however it is used (1 to 72; 12 unless set).") var limitHours: Int?
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open(requiring: idleMinutes == nil && limitHours == nil ? .staff : .admin)
            let now = try session.replica.signInPolicy()
            if idleMinutes != nil || limitHours != nil {
                try session.replica.setSessionLimits(
                    idleMinutes: idleMinutes ?? now.idleMinutes, sessionHours: limitHours ?? now.sessionHours, by: session.actor)
            }
            let policy = try session.replica.signInPolicy()
            print(policy.limitsDescription)
        }
    }

    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a named API token for a user (your own, or anyone's as an admin); a token of that name stops working."
        )
        @Argument(help: "The user the token is for.") var name: String
        @Option(name: .customLong("name"), help: "The token's name, such as the integration using it.") var tokenName = "token"
        @Option(help: "How many days it lasts (1 to 365).") var days = 90
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open()
            print(try session.replica.issueToken(for: name, named: tokenName, days: days, by: session.actor))
        }
    }

    struct Tokens: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's API tokens (yours, or anyone's as an admin), never the tokens themselves.")
        @Argument(help: "The user.") var name: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open()
            for token in try session.replica.apiTokens(of: name, by: session.actor) {
                var line =
                    "\(token.name)  made \(Timestamps.iso8601(milliseconds: token.createdAt))  expires \(Timestamps.iso8601(milliseconds: token.expiresAt))"
                if let revokedAt = token.revokedAt { line += "  revoked \(Timestamps.iso8601(milliseconds: revokedAt))" }
                print(line)
            }
        }
    }

    struct RevokeToken: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke-token", abstract: "Revoke one API token of a user (yours, or anyone's as an admin).")
        @Argument(help: "The user.") var name: String
        @Option(name: .customLong("name"), help: "The token's name.") var tokenName: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open()
            try session.replica.revokeToken(named: tokenName, of: name, by: session.actor)
            print("revoked token \(tokenName) of \(name)")
        }
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The node's hash-chained log of who consulted, searched, wrote, erased and exported what (admins only).",
        subcommands: [List.self, Verify.self, Heads.self, ForgetHead.self]
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
        @Flag(
            name: .customLong("against-peers"),
            help: "Also check that the log still holds every head of it the peers hold, as they last echoed them.")
        var againstPeers = false

        func run() throws {
            let session = try staff.open(requiring: .admin)
            switch try session.replica.verifyAudit() {
            case .intact(let entries):
                print("audit log intact: \(entries) entries, each sealed and chained to the one before")
            case .broken(_, let reason):
                throw CLIError("audit log broken: \(reason)")
            }
            guard againstPeers else { return }
            let echoes = try session.replica.auditEchoes()
            guard !echoes.isEmpty else {
                throw CLIError("no peer has echoed this node's audit head yet: nothing to check against (peers echo it in every session of protocol version 3)")
            }
            let now = UInt64(Date().timeIntervalSince1970 * 1000)
            for echo in echoes {
                let age = "echoed \(Timestamps.iso8601(milliseconds: echo.receivedAt)), \(now > echo.receivedAt ? (now - echo.receivedAt) / 1000 : 0) s ago"
                print("\(echo.peer) holds \(echo.echoed): \(echo.held ? "the log holds it" : "the log DOES NOT hold it") (\(age))")
            }
            let lost = echoes.filter { !$0.held }.map(\.peer.rawValue)
            guard lost.isEmpty else {
                throw CLIError(
                    "audit log rewritten: \(lost.joined(separator: ", ")) \(lost.count == 1 ? "holds a head" : "hold heads") of it the log no longer holds; it was cut, rewritten or put back from an older copy"
                )
            }
        }
    }

    struct Heads: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the head of each peer's audit log held here, as the peer signed it, to compare with that peer's log (admins only).")
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open(requiring: .admin)
            let heads = try session.replica.heldAuditHeads()
            guard !heads.isEmpty else {
                print("no peer's audit head is held here yet")
                return
            }
            for held in heads {
                print(
                    "\(held.peer): entry \(held.head.position.seq) \(Hex.encode(held.head.position.hash)), signed \(Timestamps.iso8601(milliseconds: held.head.at))\(held.head.diverged ? " (diverged)" : ""), received \(Timestamps.iso8601(milliseconds: held.receivedAt))"
                )
            }
        }
    }

    struct ForgetHead: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forget-head",
            abstract: "Forget the head of a peer's audit log held here and clear its audit_rewound alarm, once the loss is known (admins only).")
        @Argument(help: "The peer.") var peer: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open(requiring: .admin)
            try session.replica.forgetAuditHead(of: NodeID(peer), by: session.actor)
            print("forgot the audit head of \(peer); its next one is kept as its first")
        }
    }
}
