import ArgumentParser
import NodeService
import Replica

struct PurposesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purposes",
        abstract: "What purpose every consultation, search, listing and export must give (local, never replicated).",
        discussion: """
            free-text (the default): at least 3 characters, such as a case number or a reason. \
            case-number: the purpose starts with a case number listed here, then optionally a space and words. \
            none: no purpose needed.
            """,
        subcommands: [Show.self, Require.self, AddCase.self, RemoveCase.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the rule in force and the listed case numbers.")
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open()
            let (rule, numbers) = try session.replica.purposeRule()
            print("purpose: \(rule.rawValue)")
            for number in numbers { print("case \(number)") }
        }
    }

    struct Require: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the rule (admins only): free-text, case-number or none.")
        @Argument(help: "free-text, case-number or none.") var rule: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            guard let parsed = PurposeRule(rawValue: rule) else {
                throw CLIError("the rule must be free-text, case-number or none, not \(rule)")
            }
            let session = try staff.open(requiring: .admin)
            try session.replica.setPurposeRule(parsed, by: session.actor)
            print("node \(session.replica.configuration.nodeID) now requires purpose: \(parsed.rawValue)")
        }
    }

    struct AddCase: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-case", abstract: "List a case number a purpose may start with (admins only).")
        @Argument(help: "The case number, such as 2026/1234.") var number: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open(requiring: .admin)
            try session.replica.addCaseNumber(number, by: session.actor)
            print("listed case \(number) at node \(session.replica.configuration.nodeID)")
        }
    }

    struct RemoveCase: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-case", abstract: "Remove a listed case number (admins only).")
        @Argument(help: "The case number.") var number: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let session = try staff.open(requiring: .admin)
            try session.replica.removeCaseNumber(number, by: session.actor)
            print("removed case \(number) at node \(session.replica.configuration.nodeID)")
        }
    }
}
