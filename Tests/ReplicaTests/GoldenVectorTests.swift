import Foundation
import NIOCore
import SyncCore
import TestSupport
import Testing
import WireProtocol

@testable import Replica

/// Every release reads what earlier releases wrote (docs/PROTOCOL.md §8). Each folder under
/// `Fixtures/golden` holds the vectors one release made (Tests/GoldenVectorWriter): the batch
/// envelopes a node applied, one frame of every message type, that node's replica as
/// `pccc backup` wrote it, and a manifest with the public keys, groups, digest and record count.
/// This build must decode, verify and apply every batch of every set to the set's digest, decode
/// and re-encode every frame byte for byte, and open every replica file, migrating it, to the
/// same digest. When this fails, the change broke a promise to nodes in the field: it needs a
/// new protocol or batch version, or a migration, never an edit of the vectors.
@Suite struct GoldenVectorTests {
    /// What a set's manifest.json says.
    struct Manifest: Decodable {
        let madeBy: String
        let network: String
        let receiver: String
        let keys: [String: String]
        let groups: [String: [String]]
        let batches: Int
        /// A wall-clock time, Unix milliseconds, after every batch was written: the receiver's
        /// clock here, so no batch is ahead of it and nothing depends on today's date.
        let appliedBy: UInt64
        let digest: String
        let records: Int

        enum CodingKeys: String, CodingKey {
            case madeBy = "made_by"
            case appliedBy = "applied_by"
            case network, receiver, keys, groups, batches, digest, records
        }
    }

    /// The folders of `Fixtures/golden`, one per release that wrote vectors.
    static func sets() throws -> [URL] {
        let root = try #require(Bundle.module.url(forResource: "Fixtures/golden", withExtension: nil), "Fixtures/golden is missing")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { !$0.hasPrefix(".") }.sorted()
        return names.map { root.appendingPathComponent($0) }
    }

    static func manifest(_ set: URL) throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: set.appendingPathComponent("manifest.json")))
    }

    /// The receiver's configuration: the set's network, public keys and groups, and a signing
    /// key made now (the receiver only applies; nothing it signs is compared).
    static func configuration(_ manifest: Manifest) throws -> ReplicaConfiguration {
        var keys: [NodeID: BatchVerifyingKey] = [:]
        for (node, form) in manifest.keys {
            let raw = try #require(form.hasPrefix("ed25519:") ? Base64.decode(String(form.dropFirst(8))) : nil, "key of \(node): \(form)")
            keys[NodeID(node)] = try BatchVerifyingKey(rawRepresentation: raw)
        }
        let groups = Dictionary(uniqueKeysWithValues: manifest.groups.map { (GroupID($0.key), Set($0.value.map(NodeID.init))) })
        let roster = Roster(network: manifest.network, signingKeys: keys, groups: groups)
        var configuration = ReplicaConfiguration(nodeID: NodeID(manifest.receiver), signingKey: BatchSigningKey(), roster: roster)
        configuration.wallClock = { manifest.appliedBy }
        return configuration
    }

    /// The non-comment lines of a set's file.
    static func lines(_ set: URL, _ name: String) throws -> [Substring] {
        try String(contentsOf: set.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
    }

    static func bytes(hex: Substring) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = try #require(hex.index(index, offsetBy: 2, limitedBy: hex.endIndex), "odd hex length")
            bytes.append(try #require(UInt8(hex[index..<next], radix: 16), "not hex: \(hex[index..<next])"))
            index = next
        }
        return bytes
    }

    @Test func thereIsAtLeastOneSet() throws {
        #expect(try !Self.sets().isEmpty)
    }

    @Test(arguments: try GoldenVectorTests.sets().map(\.lastPathComponent))
    func everyBatchOfASetVerifiesAndAppliesToItsDigest(_ name: String) throws {
        let set = try #require(try Self.sets().first { $0.lastPathComponent == name })
        let manifest = try Self.manifest(set)
        let replica = try Replica.inMemory(configuration: Self.configuration(manifest))
        let envelopes = try Self.lines(set, "batches.hex").map(Self.bytes(hex:))
        #expect(envelopes.count == manifest.batches)
        for (index, envelope) in envelopes.enumerated() {
            let outcome = try replica.apply(envelope: envelope)
            guard case .applied = outcome else {
                Issue.record("\(name) (\(manifest.madeBy)): batch \(index + 1) was not applied: \(outcome)")
                return
            }
        }
        #expect(try replica.digest() == manifest.digest, "\(name): the batches applied to another state")
    }

    @Test(arguments: try GoldenVectorTests.sets().map(\.lastPathComponent))
    func everyFrameOfASetDecodesAndEncodesByteForByte(_ name: String) throws {
        let set = try #require(try Self.sets().first { $0.lastPathComponent == name })
        let frames = try Self.lines(set, "frames.hex")
        var kinds: Set<String> = []
        for line in frames {
            let parts = line.split(separator: " ")
            try #require(parts.count == 2, "a frame line is `name hex`: \(line)")
            let bytes = try Self.bytes(hex: parts[1])
            var buffer = ByteBuffer(bytes: bytes)
            let frame = try #require(try Frame.next(from: &buffer, maxLength: Frame.defaultMaxLength), "\(parts[0]): not one whole frame")
            #expect(buffer.readableBytes == 0, "\(parts[0]): bytes after the frame")
            let message = try PeerMessage(frame: frame)
            #expect(message.frame.bytes == bytes, "\(parts[0]) does not encode back to the same bytes")
            let kind = "\(message.kind)".replacingOccurrences(of: "wantDigest", with: "want_digest").replacingOccurrences(
                of: "wantRequest", with: "want_request")
            #expect(kind == parts[0], "a frame named \(parts[0]) decodes as \(kind)")
            kinds.insert(String(parts[0]))
        }
        #expect(kinds == ["hello", "want", "want_digest", "want_request", "batch", "ack", "ping", "pong", "error"])
    }

    @Test(arguments: try GoldenVectorTests.sets().map(\.lastPathComponent))
    func theReplicaFileOfASetOpensToItsDigest(_ name: String) throws {
        let set = try #require(try Self.sets().first { $0.lastPathComponent == name })
        let manifest = try Self.manifest(set)
        let folder = try TemporaryDirectory()
        let path = folder.path("replica.sqlite")
        try FileManager.default.copyItem(atPath: set.appendingPathComponent("replica.sqlite").path, toPath: path)
        let summary = try Replica.inspect(file: path)
        #expect(summary.digest == manifest.digest && summary.records == manifest.records)
        #expect(summary.nodeID == NodeID(manifest.receiver))
        // Opened as a node opens its replica: every later migration runs on it.
        let replica = try Replica(path: path, configuration: Self.configuration(manifest))
        #expect(try replica.digest() == manifest.digest, "\(name): the migrated replica holds another state")
        #expect(try replica.schemaVersion() == ReplicaSchema.version)
    }
}
