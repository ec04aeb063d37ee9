import ArgumentParser
import NodeService
import Replica

/// The options of every staff command: the node folder, who acts, and why.
struct StaffOptions: ParsableArguments {
    @Option(help: "The node folder.") var data: String
    @Option(help: "The local user acting (default: your login name).") var user: String?
    @Option(help: "Why, for the audit log, such as a case number.") var purpose: String?

    /// Opens the node as its user; refused when the user is unknown here or lacks `role`.
    func open(requiring role: LocalUser.Role = .staff) throws -> StaffSession {
        try StaffSession.open(NodeDirectory(data), user: user, purpose: purpose, requiring: role)
    }
}
