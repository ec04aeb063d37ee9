import ArgumentParser
import NodeService
import SyncCore

struct DigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print the SHA-256 of the visible state, of one group or of all; converged replicas print the same."
    )
    @Option(help: "The node folder.") var data: String
    @Option(help: "Only this sharing group.") var group: String?

    func run() throws {
        print(try NodeDirectory(data).open().digest(group: group.map { GroupID($0) }))
    }
}
