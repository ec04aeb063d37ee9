import ArgumentParser
import NodeService
import Replica

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Apply every batch another node folder holds that this one lacks (offline sync, e.g. from a copied folder)."
    )
    @Option(help: "The node folder to update.") var data: String
    @Option(help: "The node folder to read batches from: only its replica is read, never its keys, and never written.")
    var from: String

    func run() throws {
        try NodeDirectory(from).requireAdministrator(to: "read its batches")
        try NodeDirectory(data).requireAdministrator(to: "pull batches into it")
        let target = try NodeDirectory(data).open()
        let source: ReplicaFile
        do {
            source = try ReplicaFile(path: NodeDirectory(from).replicaPath)
        } catch let error as ReplicaError {
            throw CLIError("cannot read batches from \(from): \(error.reason)")
        } catch {
            throw CLIError("cannot read batches from \(from): \(error)")
        }
        let summary = try target.pull(from: source)
        try target.acknowledgeReceivedRequests()
        print("applied \(summary.applied) batches (\(summary.changes) changes)")
        for refusal in summary.refused { print("not applied: \(refusal)") }
        if !summary.refused.isEmpty { throw CLIError("\(summary.refused.count) streams could not be brought up to date") }
    }
}
