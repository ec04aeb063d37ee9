import ArgumentParser
import Foundation
import NodeService

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage a node's batch-signing key.",
        subcommands: [Rotate.self]
    )

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give the node a new signing key; it signs a new epoch from now on. Stop the node first.",
            discussion: """
                Prints the node's signing_keys entry for the topology: distribute it to every node and reload them.
                With --revoke (the key leaked) the old key is revoked after what this node holds: batches it signs
                beyond that are refused everywhere.
                """
        )
        @Option(help: "The node folder.") var data: String
        @Flag(help: "Revoke the old key after the batches this node holds (it leaked).") var revoke = false

        func run() throws {
            let folder = NodeDirectory(data)
            try folder.requireAdministrator(to: "rotate its signing key")
            try folder.refuseWhileServing("rotating its signing key")
            let rotation = try folder.rotateSigningKey(revokingCurrent: revoke)
            print("new signing key \(rotation.newKey.topologyForm) signs epoch \(rotation.epoch) on")
            print("replace the node's signing_key or signing_keys in the topology with:")
            print(rotation.topologyEntry)
        }
    }
}
