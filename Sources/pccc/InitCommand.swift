import ArgumentParser
import NodeService
import SyncCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a node folder: its replica, a copy of the topology and its signing key."
    )

    @Option(help: "The node folder to create.") var data: String
    @Option(help: "This node's id, as listed in the topology.") var node: String
    @Option(help: "The region's topology file.") var topology: String
    @Option(help: "An existing signing key file (ed25519-signing-key:BASE64); one is generated when omitted.")
    var signingKey: String?
    @Option(help: "The region CA certificate (PEM); needed to serve.") var ca: String?
    @Option(help: "This node's TLS certificate (PEM), from pccc certs issue.") var cert: String?
    @Option(help: "This node's TLS private key (PEM).") var key: String?
    @Option(help: "The node's first admin (default: the name of the OS account running init).") var admin: String?
    @Option(help: "The OS account whose pccc commands act as the first admin (default: the account running init, or the one sudo runs it for).")
    var adminAccount: String?

    func run() throws {
        let tls = try NodeDirectory.checkTLS(node: NodeID(node), ca: ca, certificate: cert, key: self.key)
        // The account that makes the node is its first admin's, so the node works at once.
        let account = adminAccount ?? OSAccount.current().name
        let firstAdmin = admin ?? account
        let directory = NodeDirectory(data)
        let made = try directory.initialise(node: NodeID(node), topologyPath: topology, signingKeyFile: signingKey, admin: firstAdmin, adminAccount: account)
        if let tls { try directory.install(tls) }
        print(
            "initialised node \(node) in \(data) (schema version \(try made.replica.schemaVersion())); \(firstAdmin) is its first admin, as OS account \(account)"
        )
        if !made.keyPinned {
            print("pin its signing key in the topology: signing_key: \(made.signingKey.publicKey.topologyForm)")
        }
    }
}
