import Foundation
import NIOCore
import SyncCore
import Topology
import WireProtocol

/// The decoders a hostile peer or a bad file reaches, each as a function of untrusted bytes.
/// The libFuzzer executables (`Fuzz/`) call them with generated inputs; the regression tests
/// call them with every input a fuzzer ever crashed on. A crash, a trap or a hang is a bug;
/// a thrown refusal is the expected answer. Each returns whether it accepted the input
/// whole, which the regression tests check on valid and truncated inputs.
public enum FuzzTargets {
    /// Frames and peer messages, as a session's reader decodes them off the socket; accepted
    /// when every byte belongs to a decoded message.
    @discardableResult
    public static func frames(_ bytes: [UInt8]) -> Bool {
        var buffer = ByteBuffer(bytes: bytes)
        var messages = 0
        while true {
            guard let frame = try? Frame.next(from: &buffer, maxLength: Frame.defaultMaxLength) else { break }
            guard (try? PeerMessage(frame: frame)) != nil else { return false }
            messages += 1
        }
        return messages > 0 && buffer.readableBytes == 0
    }

    /// A batch: the first byte chooses the envelope path (decode, inflate, parse, Merkle root,
    /// as a receiver does after the signature) or, for payloads a mutated deflate stream rarely
    /// reaches, the raw leaf parser and the Merkle tree.
    @discardableResult
    public static func batch(_ bytes: [UInt8]) -> Bool {
        guard let mode = bytes.first else { return false }
        let rest = Array(bytes.dropFirst())
        if mode & 1 == 0 {
            guard let batch = try? SignedBatch.decode(envelope: rest, limits: .default) else { return false }
            return (try? batch.verifiedLeaves()) != nil
        }
        guard let leaves = try? BatchLeaf.decodePayload(rest) else { return false }
        _ = MerkleTree.root(of: leaves)
        _ = leaves.map(\.redacted)
        return true
    }

    /// A topology file, as `pccc topology validate` and a node's reload read it.
    @discardableResult
    public static func topology(_ bytes: [UInt8]) -> Bool {
        (try? RegionTopology.parse(yaml: String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")) != nil
    }

    /// Valid inputs for each target, so a fuzzer starts from inputs that reach deep code.
    public static func seeds() throws -> [String: [[UInt8]]] {
        let key = BatchSigningKey()
        let id = RecordID(bytes: Array(repeating: 7, count: 16))!
        let change = Change(
            kind: "person", recordID: id, hlc: HybridTimestamp(milliseconds: 1_790_000_000_000, counter: 1),
            operation: .create([FieldWrite("family_name", "Ђорђевић"), FieldWrite("alert", "wanted")])
        )
        let leaves: [BatchLeaf] = [.full(change), .full(change).redacted]
        let batch = try SignedBatch.make(
            network: "fuzz", origin: "a", group: "region", seq: 1, prevHash: Array(repeating: 0, count: 32), leaves: leaves, signingKey: key
        )
        var frames = ByteBuffer()
        PeerMessage.batch(batch.envelope).frame.write(to: &frames)
        let topology = """
            network: fuzz
            nodes:
              - { id: a, address: "127.0.0.1:7443", signing_key: "\(key.publicKey.topologyForm)" }
              - { id: b, address: "[::1]:7444" }
              - { id: c, address: "127.0.0.3:7443" }
            links:
              - [a, b]
              - { from: c, to: a, address: "127.0.0.2:7443" }
            groups:
              region: [a, b, c]
              ac: [a, c]
            revoked: ["0a1b"]
            """
        return [
            "frames": [Array(frames.readableBytesView)],
            "batch": [[0] + batch.envelope, [1] + BatchLeaf.encodePayload(leaves)],
            "topology": [Array(topology.utf8)],
        ]
    }
}

extension FuzzTargets {
    /// The target called `name`: frames, batch or topology.
    public static func named(_ name: String) -> (([UInt8]) -> Bool)? {
        switch name {
        case "frames": frames
        case "batch": batch
        case "topology": topology
        default: nil
        }
    }

    /// Writes the target's seeds as files `seed-N` in `folder`.
    public static func writeSeeds(for name: String, into folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (index, seed) in (try seeds()[name] ?? []).enumerated() {
            try Data(seed).write(to: URL(fileURLWithPath: folder).appendingPathComponent("seed-\(index)"))
        }
    }
}
