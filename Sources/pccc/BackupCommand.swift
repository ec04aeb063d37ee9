import ArgumentParser
import Foundation
import NodeService

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the node's replica to a new file while the node serves and staff write, then check the copy.",
        discussion: """
            The copy is one snapshot, made with mode 0600 under a temporary name beside FILE and given its name only once it \
            passes SQLite's integrity check; FILE must not exist. Prints the check, the state digest (as pccc digest \
            prints it), the records and bytes held, and the seconds taken.
            """
    )
    @Option(help: "The node folder.") var data: String
    @Option(help: "The backup file to make; it must not exist.") var out: String

    func run() throws {
        try NodeDirectory(data).requireAdministrator(to: "back it up")
        let backup = try NodeDirectory(data).backup(to: out)
        let summary = backup.summary
        print("backup: \(summary.path) (node \(summary.nodeID), schema \(summary.schemaVersion))")
        print("integrity_check: ok")
        print("digest: \(summary.digest)")
        print("records: \(summary.records)")
        print("bytes: \(summary.bytes)")
        print(String(format: "seconds: %.2f (copy %.2f, check %.2f)", backup.copySeconds + backup.checkSeconds, backup.copySeconds, backup.checkSeconds))
    }
}
