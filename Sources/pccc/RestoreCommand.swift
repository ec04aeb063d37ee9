import ArgumentParser
import NodeService

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the node's replica with a backup of this node made by pccc backup; the node must be stopped.",
        discussion: """
            Refused while a node serves from DATA, and before anything changes when FILE fails SQLite's integrity check, \
            has a newer schema than this build's, or is a backup of another node or network. Prints the restored \
            digest, records and the stream epoch the node writes in from then on.
            """
    )
    @Argument(help: "The backup file.") var file: String
    @Option(help: "The node folder.") var data: String

    func run() throws {
        // A backup holds the whole node: put back through sudo, its data would be read in a
        // folder whose log is not the node's. The folder's owner or root restores.
        guard !OSAccount.current().viaSudo else {
            throw CLIError("pccc restore is run as the node folder's owner or root, not through sudo for another account")
        }
        let restored = try NodeDirectory(data).restore(from: file)
        print("restored: \(restored.backup.path) (node \(restored.backup.nodeID), schema \(restored.backup.schemaVersion))")
        print("digest: \(restored.digest)")
        print("records: \(restored.records)")
        print("epoch: \(restored.epoch) (new; the node writes its batches in it from now on)")
    }
}
