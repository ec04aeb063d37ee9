import Foundation
import Node
import Records
import Replica
import SyncCore
import Topology
import Transport
import X509

/// A node's data folder: `replica.sqlite`, `topology.yaml`, `signing.key`, `node.id` and the
/// `tls` folder. The command line, the demo and the tests all make and open nodes through it.
/// Failures are `ReplicaError`s with one sentence naming the file.
public struct NodeDirectory: Sendable {
    /// The folder.
    public let url: URL

    /// The node folder at `path`; nothing is read until it is used.
    public init(_ path: String) {
        url = URL(fileURLWithPath: path, isDirectory: true)
    }

    /// The replica's SQLite file.
    public var replicaPath: String { url.appendingPathComponent("replica.sqlite").path }
    /// The node's copy of the region topology.
    public var topologyPath: String { url.appendingPathComponent("topology.yaml").path }
    /// The region's record schema, when the region grew the built-in one (docs/SCHEMA.md).
    public var schemaPath: String { url.appendingPathComponent("schema.yaml").path }
    /// The batch signing key.
    public var signingKeyPath: String { url.appendingPathComponent("signing.key").path }
    /// The node's id, as `init` wrote it.
    public var nodeIDPath: String { url.appendingPathComponent("node.id").path }
    /// The key sealing the audit log, outside the database (``AuditKey``).
    public var auditKeyPath: String { url.appendingPathComponent("audit.key").path }
    /// The region CA certificate.
    public var caPath: String { url.appendingPathComponent("tls/ca.pem").path }
    /// The node's TLS certificate.
    public var certificatePath: String { url.appendingPathComponent("tls/node.pem").path }
    /// The node's TLS private key.
    public var tlsKeyPath: String { url.appendingPathComponent("tls/node.key").path }

    /// The node's id, as `init` recorded it.
    public func nodeID() throws -> NodeID {
        guard let text = try? String(contentsOfFile: nodeIDPath, encoding: .utf8) else {
            throw ReplicaError(.notFound, "\(url.path) is not a node folder; run pccc init first")
        }
        return NodeID(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The node's TLS material; a node initialised without certificates cannot serve.
    public func credentials() throws -> TLSCredentials {
        guard FileManager.default.fileExists(atPath: certificatePath) else {
            throw ReplicaError(.notFound, "\(url.path) has no TLS certificate; initialise the node with --ca, --cert and --key")
        }
        do {
            return try TLSCredentials(caPath: caPath, certificatePath: certificatePath, keyPath: tlsKeyPath)
        } catch let failure as TLSCredentials.Failure {
            throw ReplicaError(.invalid, failure.description)
        }
    }

    /// Opens the node's replica with the trust of its topology.
    public func open() throws -> Replica {
        try openWithTopology().replica
    }

    /// Opens the node's replica and returns the topology it was opened with, for commands that
    /// need both (one read and parse of the file).
    public func openWithTopology() throws -> (replica: Replica, topology: RegionTopology) {
        try openWithTopology(replicaAt: replicaPath)
    }

    /// Opens the replica file at `path` as this node's, with the trust of its topology: the
    /// node's own, or a copy about to take its place.
    func openWithTopology(replicaAt path: String) throws -> (replica: Replica, topology: RegionTopology) {
        let nodeID = try nodeID()
        let topology = try Self.loadTopology(topologyPath)
        let key = try Self.loadSigningKey(signingKeyPath)
        var configuration = ReplicaConfiguration(nodeID: nodeID, signingKey: key, roster: topology.roster)
        configuration.schema = try Self.loadRecordSchema(schemaPath)
        configuration.auditKey = try auditKey(replicaAt: path)
        let replica = try Replica(path: path, configuration: configuration)
        return (replica, topology)
    }

    /// The node's audit key. A folder without one (a new node, or one made by an earlier
    /// release) gets one sealing from the entry after the log's head on; of two processes
    /// opening the folder at once, one writes it and the other reads it.
    func auditKey(replicaAt path: String) throws -> AuditKey {
        if FileManager.default.fileExists(atPath: auditKeyPath) {
            guard let text = try? String(contentsOfFile: auditKeyPath, encoding: .utf8) else {
                throw ReplicaError(.invalid, "cannot read the audit key \(auditKeyPath)")
            }
            return try AuditKey(text: text, file: auditKeyPath)
        }
        let head = try Replica.auditHead(path: path)
        // A log an audit key sealed needs that key: a new one would take it for forged, and a
        // log rewritten with plain hashes for intact.
        guard !head.sealed else {
            throw ReplicaError(
                .invalid, "\(auditKeyPath) is missing, and the audit log was sealed with it; put the node's audit.key back (docs/AUDIT.md)")
        }
        let key = AuditKey(since: head.seq + 1)
        let temporary = auditKeyPath + ".new-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try writeFileDurably(temporary, Data(key.text.utf8), mode: 0o600)
        defer { unlink(temporary) }
        // link(2) makes the name only if it is free: the first process to get there wins.
        if link(temporary, auditKeyPath) != 0 {
            guard errno == EEXIST, let text = try? String(contentsOfFile: auditKeyPath, encoding: .utf8) else {
                throw ReplicaError(.invalid, "cannot write the audit key \(auditKeyPath): \(String(cString: strerror(errno)))")
            }
            return try AuditKey(text: text, file: auditKeyPath)
        }
        // The new name survives a power cut before the first entry it seals is written.
        let folder = Glibc.open(url.path, O_RDONLY | O_DIRECTORY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
        return key
    }

    /// Writes `data` to a new file at `path` with `mode` and syncs it to disk.
    private func writeFileDurably(_ path: String, _ data: Data, mode: mode_t) throws {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw ReplicaError(.invalid, "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(descriptor) == 0 else {
            throw ReplicaError(.invalid, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The record schema a node runs: the built-in one grown by the region's schema file at
    /// `path`, or the built-in one when there is no such file.
    public static func loadRecordSchema(_ path: String) throws -> RecordSchema {
        guard FileManager.default.fileExists(atPath: path) else { return .builtIn }
        return try readRecordSchemaFile(path)
    }

    /// The largest schema file read: a full schema of 64 kinds is far smaller.
    public static let maxSchemaFileBytes = 1 << 20

    /// The built-in schema grown by the region's schema file at `path`, which must exist;
    /// its size is checked before it is read.
    public static func readRecordSchemaFile(_ path: String) throws -> RecordSchema {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard let size else { throw ReplicaError(.notFound, "cannot read the schema file \(path)") }
        guard size <= maxSchemaFileBytes else {
            throw ReplicaError(.wrongSchema, "\(path): the schema file is larger than \(maxSchemaFileBytes) bytes")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ReplicaError(.notFound, "cannot read the schema file \(path)")
        }
        do {
            return try RecordSchema.builtIn.grown(by: text, file: path)
        } catch {
            throw ReplicaError(.wrongSchema, error.description)
        }
    }

    /// Reads and checks a topology file.
    public static func loadTopology(_ path: String) throws -> RegionTopology {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ReplicaError(.notFound, "cannot read the topology file \(path)")
        }
        do {
            return try RegionTopology.parse(yaml: text, file: path)
        } catch {
            throw ReplicaError(.invalid, error.description)
        }
    }

    /// Reads a signing key file (`ed25519-signing-key:BASE64`).
    public static func loadSigningKey(_ path: String) throws -> BatchSigningKey {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ReplicaError(.notFound, "cannot read the signing key file \(path)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix(signingKeyPrefix), let raw = Base64.decode(String(trimmed.dropFirst(signingKeyPrefix.count))),
            let key = try? BatchSigningKey(rawRepresentation: raw)
        else {
            throw ReplicaError(.invalid, "\(path) is not a signing key file (expected \(signingKeyPrefix)BASE64)")
        }
        return key
    }

    /// Writes a signing key readable by its owner only.
    public static func writeSigningKey(_ key: BatchSigningKey, to path: String) throws {
        let text = signingKeyPrefix + Base64.encode(key.rawRepresentation) + "\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ReplicaError(.invalid, "cannot write the signing key file \(path)")
        }
    }

    /// How a signing key file starts.
    public static let signingKeyPrefix = "ed25519-signing-key:"

    /// Makes the folder and its `tls` folder their owner's only (0700) and every file the node
    /// keeps there (replica, its WAL and shared memory, topology, keys, certificates, `node.id`,
    /// `serve.lock`)
    /// readable and writable by its owner only (0600): they hold personal data and private keys.
    /// Other files, and links, are left alone, and a folder that is not a node folder is refused
    /// before anything in it changes. Returns one sentence for each mode it changed.
    @discardableResult
    public func restrictPermissions() throws -> [String] {
        _ = try nodeID()
        let files = FileManager.default
        var changed: [String] = []
        let tls = url.appendingPathComponent("tls").path
        let owned =
            [(url.path, 0o700), (tls, 0o700)]
            + [
                replicaPath, replicaPath + "-wal", replicaPath + "-shm", topologyPath, schemaPath, signingKeyPath, nodeIDPath, caPath, certificatePath,
                tlsKeyPath, auditKeyPath,
                serveLockPath,
            ]
            .map { ($0, 0o600) }
        for (path, mode) in owned {
            guard let attributes = try? files.attributesOfItem(atPath: path) else { continue }
            let type = attributes[.type] as? FileAttributeType
            guard type == (mode == 0o700 ? .typeDirectory : .typeRegular) else { continue }
            let current = ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0) & 0o7777
            guard current != mode else { continue }
            do {
                try files.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            } catch {
                throw ReplicaError(.invalid, "cannot restrict \(path) to its owner: \(error.localizedDescription)")
            }
            changed.append("\(path) had mode \(String(current, radix: 8)); it is now \(String(mode, radix: 8)), its owner's only")
        }
        return changed
    }
}
