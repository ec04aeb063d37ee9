import Foundation
import Replica
import SyncCore
import Topology
import Transport
import X509

extension NodeDirectory {
    /// A node's three TLS files, as given to `init`.
    public struct TLSFiles: Sendable {
        /// The region CA certificate (PEM).
        public let ca: String
        /// The node's certificate (PEM).
        public let certificate: String
        /// The node's private key (PEM).
        public let key: String

        /// Names the three files.
        public init(ca: String, certificate: String, key: String) {
            self.ca = ca
            self.certificate = certificate
            self.key = key
        }
    }

    /// A node folder just made.
    public struct Initialised {
        /// Its replica, open.
        public let replica: Replica
        /// Its batch signing key.
        public let signingKey: BatchSigningKey
        /// Whether the topology already pins that key.
        public let keyPinned: Bool
    }

    /// Checks that the three TLS files are given together, load, and name `node`; nil when
    /// none is given.
    public static func checkTLS(node: NodeID, ca: String?, certificate: String?, key: String?) throws -> TLSFiles? {
        guard ca != nil || certificate != nil || key != nil else { return nil }
        guard let ca, let certificate, let key else { throw ReplicaError(.invalid, "--ca, --cert and --key go together") }
        do {
            _ = try TLSCredentials(caPath: ca, certificatePath: certificate, keyPath: key)
        } catch let failure as TLSCredentials.Failure {
            throw ReplicaError(.invalid, failure.description)
        }
        guard let pem = try? String(contentsOfFile: certificate, encoding: .utf8), let parsed = try? Certificate(pemEncoded: pem) else {
            throw ReplicaError(.invalid, "\(certificate) is not a PEM certificate")
        }
        let named = RegionCertificates.nodeIDs(in: parsed)
        guard named == [node] else {
            throw ReplicaError(
                .invalid, "\(certificate) is a certificate of \(named.isEmpty ? "no node" : named.map(\.rawValue).joined(separator: ", ")), not of \(node)")
        }
        return TLSFiles(ca: ca, certificate: certificate, key: key)
    }

    /// Copies the TLS files into the folder's `tls` folder, its owner's only.
    public func install(_ tls: TLSFiles) throws {
        try FileManager.default.createDirectory(atPath: url.appendingPathComponent("tls").path, withIntermediateDirectories: true)
        for (source, destination) in [(tls.ca, caPath), (tls.certificate, certificatePath), (tls.key, tlsKeyPath)] {
            guard let contents = FileManager.default.contents(atPath: source),
                FileManager.default.createFile(atPath: destination, contents: contents, attributes: [.posixPermissions: 0o600])
            else {
                throw ReplicaError(.invalid, "cannot copy \(source) to \(destination)")
            }
        }
        // The tls folder got the umask's mode.
        try restrictPermissions()
    }

    /// Makes the node folder for `node` of the region in `topologyPath`, with `admin` as its
    /// first user, mapped to the OS account `adminAccount`, and the signing key in `keyFile` (a
    /// new one when nil).
    public func initialise(
        node: NodeID, topologyPath source: String, signingKeyFile keyFile: String?, admin: String, adminAccount: String
    ) throws
        -> Initialised
    {
        guard !FileManager.default.fileExists(atPath: nodeIDPath) else {
            throw ReplicaError(.exists, "\(url.path) already holds a node; choose an empty folder")
        }
        guard LocalUser.isValidName(admin) else {
            throw ReplicaError(.invalid, "\(admin) cannot be a user name (lowercase letters, digits, '.', '_' or '-'); pass --admin NAME")
        }
        guard LocalUser.isValidAccountName(adminAccount) else {
            throw ReplicaError(.invalid, "\(adminAccount) cannot be an OS account name (letters, digits, '.', '_', '-' or '@'); pass --admin-account ACCOUNT")
        }
        let region = try Self.loadTopology(source)
        guard let entry = region.node(node) else {
            throw ReplicaError(.invalid, "node \(node) is not in the topology \(source)")
        }
        let key = try keyFile.map(Self.loadSigningKey) ?? BatchSigningKey()
        if let pinned = entry.signingKey, pinned != key.publicKey {
            throw ReplicaError(.invalid, "the topology pins another signing key for \(node); pass its key file with --signing-key")
        }
        // The folder holds personal data and keys: its owner only.
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // An existing folder keeps its mode through createDirectory: close it before anything is written.
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path)
        try FileManager.default.copyItem(atPath: source, toPath: topologyPath)
        try Self.writeSigningKey(key, to: signingKeyPath)
        try Data((node.rawValue + "\n").utf8).write(to: URL(fileURLWithPath: nodeIDPath))
        let replica = try open()
        // A new folder may be a node rebuilt after its old folder was lost: its writes go to a
        // new epoch, so none reuses a seq its old folder wrote (docs/PROTOCOL.md §5.9).
        try replica.beginStreamEpoch(reason: .initialised)
        try replica.addUser(admin, role: .admin, osAccount: adminAccount, addedBy: nil)
        // Whatever modes SQLite and the umask gave the files.
        try restrictPermissions()
        return Initialised(replica: replica, signingKey: key, keyPinned: entry.signingKey != nil)
    }
}
