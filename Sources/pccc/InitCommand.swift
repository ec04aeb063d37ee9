import ArgumentParser
import Foundation
import Replica
import SyncCore
import Topology
import Transport
import X509

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
    @Option(help: "The node's first admin (default: your login name).") var admin: String?

    func run() throws {
        let tls = try Self.checkTLS(node: node, ca: ca, cert: cert, key: self.key)
        // The login name that makes the node is its first admin, so the node works at once.
        let firstAdmin = admin ?? StaffOptions.loginName()
        guard LocalUser.isValidName(firstAdmin) else {
            throw CLIError("\(firstAdmin) cannot be a user name (lowercase letters, digits, '.', '_' or '-'); pass --admin NAME")
        }
        let (replica, signing, keyPinned) = try Self.initialise(
            data: data, node: node, topology: topology, signingKeyPath: signingKey, admin: firstAdmin
        )
        if let tls {
            try Self.install(tls, in: NodeDirectory(data))
        }
        print("initialised node \(node) in \(data) (schema version \(try replica.schemaVersion())); \(firstAdmin) is its first admin")
        if !keyPinned {
            print("pin its signing key in the topology: signing_key: \(signing.publicKey.topologyForm)")
        }
    }

    /// Checks that the three TLS files are given together, load, and name `node`.
    static func checkTLS(node: String, ca: String?, cert: String?, key: String?) throws -> (ca: String, cert: String, key: String)? {
        guard ca != nil || cert != nil || key != nil else { return nil }
        guard let ca, let cert, let key else { throw CLIError("--ca, --cert and --key go together") }
        do {
            _ = try TLSCredentials(caPath: ca, certificatePath: cert, keyPath: key)
        } catch let failure as TLSCredentials.Failure {
            throw CLIError(failure.description)
        }
        guard let pem = try? String(contentsOfFile: cert, encoding: .utf8), let certificate = try? Certificate(pemEncoded: pem) else {
            throw CLIError("\(cert) is not a PEM certificate")
        }
        let named = RegionCertificates.nodeIDs(in: certificate)
        guard named == [node] else {
            throw CLIError("\(cert) is a certificate of \(named.isEmpty ? "no node" : named.joined(separator: ", ")), not of \(node)")
        }
        return (ca, cert, key)
    }

    static func install(_ tls: (ca: String, cert: String, key: String), in directory: NodeDirectory) throws {
        try FileManager.default.createDirectory(atPath: directory.url.appendingPathComponent("tls").path, withIntermediateDirectories: true)
        for (source, destination, mode) in [
            (tls.ca, directory.caPath, 0o600), (tls.cert, directory.certificatePath, 0o600), (tls.key, directory.tlsKeyPath, 0o600),
        ] {
            guard let contents = FileManager.default.contents(atPath: source),
                FileManager.default.createFile(atPath: destination, contents: contents, attributes: [.posixPermissions: mode])
            else {
                throw CLIError("cannot copy \(source) to \(destination)")
            }
        }
        // The tls folder got the umask's mode.
        try directory.restrictPermissions()
    }

    /// Makes the node folder with `admin` as its first user; returns its replica, its signing
    /// key and whether the topology already pins that key.
    static func initialise(
        data: String,
        node: String,
        topology: String,
        signingKeyPath: String?,
        admin: String
    ) throws -> (Replica, BatchSigningKey, Bool) {
        let directory = NodeDirectory(data)
        guard !FileManager.default.fileExists(atPath: directory.nodeIDPath) else {
            throw CLIError("\(data) already holds a node; choose an empty folder")
        }
        let region = try NodeDirectory.loadTopology(topology)
        guard let entry = region.node(node) else {
            throw CLIError("node \(node) is not in the topology \(topology)")
        }
        let key = try signingKeyPath.map(NodeDirectory.loadSigningKey) ?? BatchSigningKey()
        if let pinned = entry.signingKey, pinned != key.publicKey {
            throw CLIError("the topology pins another signing key for \(node); pass its key file with --signing-key")
        }
        // The folder holds personal data and keys: its owner only.
        try FileManager.default.createDirectory(at: directory.url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // An existing folder keeps its mode through createDirectory: close it before anything is written.
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.url.path)
        try FileManager.default.copyItem(atPath: topology, toPath: directory.topologyPath)
        try NodeDirectory.writeSigningKey(key, to: directory.signingKeyPath)
        try Data((node + "\n").utf8).write(to: URL(fileURLWithPath: directory.nodeIDPath))
        let replica = try directory.open()
        try replica.addUser(admin, role: .admin, addedBy: nil)
        // Whatever modes SQLite and the umask gave the files.
        try directory.restrictPermissions()
        return (replica, key, entry.signingKey != nil)
    }
}
