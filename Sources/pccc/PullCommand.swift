import ArgumentParser

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Apply every batch another node folder holds that this one lacks (offline sync, e.g. from a copied folder)."
    )
    @Option(help: "The node folder to update.") var data: String
    @Option(help: "The node folder to read batches from.") var from: String

    func run() throws {
        let target = try NodeDirectory(data).open()
        let source = try NodeDirectory(from).open()
        let summary = try target.pull(from: source)
        try target.acknowledgeReceivedRequests()
        print("applied \(summary.applied) batches (\(summary.changes) changes)")
        for refusal in summary.refused { print("not applied: \(refusal)") }
        if !summary.refused.isEmpty { throw CLIError("\(summary.refused.count) streams could not be brought up to date") }
    }
}
