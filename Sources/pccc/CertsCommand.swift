import ArgumentParser
import Foundation
import NodeService
import Records
import SyncCore
import Topology

struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Make the region's CA and node certificates.",
        subcommands: [InitCA.self, Issue.self, IssueAPI.self, Show.self, Revoke.self, Trust.self]
    )

    struct InitCA: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "init-ca", abstract: "Create a region CA: DIR/ca.pem and DIR/ca.key.")
        @Option(help: "Folder for ca.pem and ca.key.") var out: String
        @Option(help: "The CA's common name.") var name = "PCCC region CA"
        @Option(help: "Validity in days.") var days = 3650

        func run() throws {
            let certificatePath = out + "/ca.pem"
            let keyPath = out + "/ca.key"
            try refuseOverwrite([certificatePath, keyPath])
            let authority = try RegionCertificates.makeAuthority(name: name, days: days)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try writeFile(certificatePath, authority.certificatePEM, mode: 0o644)
            try writeFile(keyPath, authority.privateKeyPEM, mode: 0o600)
            print("created region CA \(certificatePath) (serial \(authority.serial)); keep \(keyPath) offline")
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue",
            abstract: "Issue NODE's TLS certificate and key and its Ed25519 signing key; prints the signing public key."
        )
        @Argument(help: "The node id.") var node: String
        @Option(help: "The folder holding ca.pem and ca.key.") var ca: String
        @Option(help: "Folder for NODE.pem, NODE.key and NODE.signing.") var out: String
        @Option(help: "Validity in days.") var days = 825

        func run() throws {
            guard RegionTopology.isNodeID(node) else { throw CLIError("node id \(node) must be a slug of lowercase letters, digits and '-'") }
            let paths = ["pem", "key", "signing"].map { "\(out)/\(node).\($0)" }
            try refuseOverwrite(paths)
            let issued = try CertsCommand.issue(from: ca) { try RegionCertificates.issue(node: node, caCertificatePEM: $0, caPrivateKeyPEM: $1, days: days) }
            let signingKey = BatchSigningKey()
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try writeFile(paths[0], issued.certificatePEM, mode: 0o644)
            try writeFile(paths[1], issued.privateKeyPEM, mode: 0o600)
            try NodeDirectory.writeSigningKey(signingKey, to: paths[2])
            FileHandle.standardError.write(
                Data(
                    """
                    issued \(paths[0]) (serial \(issued.serial)) with \(paths[1]) and \(paths[2])
                    topology entry to paste (set the address):
                      - { id: \(node), address: "HOST:7443", signing_key: "\(signingKey.publicKey.topologyForm)" }

                    """.utf8
                )
            )
            print(signingKey.publicKey.topologyForm)
        }
    }
}

extension CertsCommand {
    /// Reads the region CA in `ca` (ca.pem, ca.key) and issues with it; a CA that cannot be
    /// read, or a refusal of the issue, is one sentence.
    static func issue(
        from ca: String, _ issue: (_ certificatePEM: String, _ keyPEM: String) throws -> RegionCertificates.Issued
    ) throws -> RegionCertificates.Issued {
        guard let caCertificate = try? String(contentsOfFile: ca + "/ca.pem", encoding: .utf8),
            let caKey = try? String(contentsOfFile: ca + "/ca.key", encoding: .utf8)
        else {
            throw CLIError("cannot read \(ca)/ca.pem and \(ca)/ca.key; run pccc certs init-ca --out \(ca) first")
        }
        do {
            return try issue(caCertificate, caKey)
        } catch let failure as RegionCertificates.Failure {
            throw CLIError(failure.description)
        }
    }

    struct IssueAPI: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-api",
            abstract: "Issue a TLS server certificate for a node's web UI and API (pccc serve --api-cert, --api-key), from the region CA.",
            discussion: """
                For a test or a small centre; a centre with its own PKI uses a certificate from it. Browsers must trust the region CA                 (ca.pem) to accept it. Writes api.pem and api.key into --out.
                """
        )
        @Argument(help: "The names and addresses staff reach the node by, such as pccc.centre.example or 10.1.2.3.") var names: [String]
        @Option(help: "The folder holding ca.pem and ca.key.") var ca: String
        @Option(help: "Folder for api.pem and api.key.") var out: String
        @Option(help: "Validity in days (browsers take at most 398).") var days = 398

        func run() throws {
            guard !names.isEmpty else { throw CLIError("name at least one DNS name or address the web UI is reached by") }
            guard (1...398).contains(days) else { throw CLIError("--days must be from 1 to 398, what browsers accept, not \(days)") }
            let paths = ["\(out)/api.pem", "\(out)/api.key"]
            try refuseOverwrite(paths)
            let issued = try CertsCommand.issue(from: ca) {
                try RegionCertificates.issueWebServer(names: names, caCertificatePEM: $0, caPrivateKeyPEM: $1, days: days)
            }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try writeFile(paths[0], issued.certificatePEM, mode: 0o644)
            try writeFile(paths[1], issued.privateKeyPEM, mode: 0o600)
            print("issued \(paths[0]) (serial \(issued.serial)) for \(names.joined(separator: ", ")) with \(paths[1])")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a certificate's node, serial, issuer and validity.")
        @Argument(help: "A PEM certificate.") var certificate: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let summary = try CertsCommand.summary(certificate)
            let now = Date()
            let state = now < summary.notBefore ? "not yet valid" : now > summary.notAfter ? "expired" : "valid"
            if json {
                try printJSON(
                    CertificateJSON(
                        nodes: summary.nodeIDs, serial: summary.serial, subject: summary.subject, issuer: summary.issuer,
                        notBefore: Timestamps.iso8601(milliseconds: UInt64(max(0, summary.notBefore.timeIntervalSince1970) * 1000)),
                        notAfter: Timestamps.iso8601(milliseconds: UInt64(max(0, summary.notAfter.timeIntervalSince1970) * 1000)),
                        authority: summary.isAuthority, state: state
                    )
                )
                return
            }
            print("certificate \(certificate)")
            print(
                "  node:      \(summary.nodeIDs.isEmpty ? (summary.isAuthority ? "none (a CA certificate)" : "none") : summary.nodeIDs.map(\.rawValue).joined(separator: ", "))"
            )
            print("  serial:    \(summary.serial)")
            print("  subject:   \(summary.subject)")
            print("  issuer:    \(summary.issuer)")
            print(
                "  validity:  \(Timestamps.iso8601(milliseconds: UInt64(max(0, summary.notBefore.timeIntervalSince1970) * 1000))) to \(Timestamps.iso8601(milliseconds: UInt64(max(0, summary.notAfter.timeIntervalSince1970) * 1000))) (\(state))"
            )
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a certificate's serial to a topology's revoked list; nodes drop its sessions when they reload."
        )
        @Argument(help: "The PEM certificate to revoke.") var certificate: String
        @Option(help: "The topology file to edit.") var topology: String

        func run() throws {
            let summary = try CertsCommand.summary(certificate)
            guard let text = try? String(contentsOfFile: topology, encoding: .utf8) else {
                throw CLIError("cannot read the topology file \(topology)")
            }
            let current: RegionTopology
            do {
                current = try RegionTopology.parse(yaml: text, file: topology)
            } catch {
                throw CLIError(error.description)
            }
            if current.isRevoked(serial: summary.serialBytes) {
                print("serial \(summary.serial) of \(summary.nodeIDs.map(\.rawValue).joined(separator: ", ")) is already revoked in \(topology)")
                return
            }
            let edited: String
            do {
                edited = try RegionTopology.addingRevokedSerial(summary.serial, toYAML: text, file: topology)
            } catch {
                throw CLIError(error.description)
            }
            do {
                try Data(edited.utf8).write(to: URL(fileURLWithPath: topology), options: .atomic)
            } catch {
                throw CLIError("cannot write \(topology): \(error.localizedDescription)")
            }
            print(
                "revoked serial \(summary.serial) of \(summary.nodeIDs.map(\.rawValue).joined(separator: ", ")) in \(topology); copy it to every node and reload them (SIGHUP)"
            )
        }
    }

    struct Trust: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, add or remove the CA certificates a node trusts (DATA/tls/ca.pem), for a CA rollover.",
            discussion: """
                Without --add or --remove, lists the CAs. Every CA in the bundle is trusted; a serving node takes the \
                change at its next SIGHUP. Roll over: add the new CA on every node and reload, issue each node a \
                certificate of the new CA and reload, then remove the old CA everywhere and reload.
                """
        )
        @Option(help: "The node folder.") var data: String
        @Option(help: "A PEM file with one CA certificate to trust as well.") var add: String?
        @Option(help: "The serial of a CA to stop trusting (as certs show prints it).") var remove: String?

        func run() throws {
            let directory = NodeDirectory(data)
            _ = try directory.nodeID()
            try directory.requireAdministrator(to: "change the CAs it trusts")
            let path = directory.caPath
            guard let current = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("cannot read \(path)") }
            guard add == nil || remove == nil else { throw CLIError("give --add or --remove, not both") }
            var edited: String?
            do {
                if let add {
                    guard let added = try? String(contentsOfFile: add, encoding: .utf8) else { throw CLIError("cannot read \(add)") }
                    edited = try RegionCertificates.bundle(current, adding: added)
                } else if let remove {
                    edited = try RegionCertificates.bundle(current, removingSerial: remove)
                }
                for entry in try RegionCertificates.bundle(edited ?? current) {
                    let until = Timestamps.iso8601(milliseconds: UInt64(max(0, entry.summary.notAfter.timeIntervalSince1970) * 1000))
                    print("trusted CA \(entry.summary.serial): \(entry.summary.subject), valid until \(until)")
                }
            } catch let failure as RegionCertificates.Failure {
                throw CLIError("\(path): \(failure.description)")
            }
            guard let edited else { return }
            do {
                try Data(edited.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            } catch {
                throw CLIError("cannot write \(path): \(error.localizedDescription)")
            }
            print("wrote \(path); reload the node (SIGHUP) for new handshakes to use it")
        }
    }

    static func summary(_ path: String) throws -> RegionCertificates.Summary {
        guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("cannot read \(path)") }
        do {
            return try RegionCertificates.summary(ofPEM: pem)
        } catch let failure as RegionCertificates.Failure {
            throw CLIError("\(path): \(failure.description)")
        }
    }
}

private func refuseOverwrite(_ paths: [String]) throws {
    if let existing = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) {
        throw CLIError("\(existing) already exists; move it away first")
    }
}

/// Writes `text` to `path` with permission bits `mode` (0o600 for keys).
func writeFile(_ path: String, _ text: String, mode: Int) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
        throw CLIError("cannot write \(path)")
    }
}

/// What `pccc certs show --json` prints.
struct CertificateJSON: Encodable {
    let nodes: [NodeID]
    let serial: String
    let subject: String
    let issuer: String
    let notBefore: String
    let notAfter: String
    let authority: Bool
    let state: String

    enum CodingKeys: String, CodingKey {
        case nodes, serial, subject, issuer, authority, state
        case notBefore = "not_before"
        case notAfter = "not_after"
    }
}
