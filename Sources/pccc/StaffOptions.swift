import ArgumentParser
import NodeService
import Replica

/// The options of every staff command: the node folder, and why. Who acts is the user the
/// OS account running the command is mapped to (`OSAccount`), never an option.
struct StaffOptions: ParsableArguments {
    @Option(help: "The node folder.") var data: String
    @Option(help: "Why, for the audit log, such as a case number.") var purpose: String?

    /// Opens the node as the mapped user; refused when there is none, or they lack `role`.
    func open(requiring role: LocalUser.Role = .staff) throws -> StaffSession {
        try StaffSession.open(NodeDirectory(data), purpose: purpose, requiring: role)
    }
}
