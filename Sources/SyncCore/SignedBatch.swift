/// A batch as stored and sent: the signed header, the Ed25519 signature, and the compressed
/// payload with its declared lengths.
///
/// `envelope = header | signature (64) | compressed length u32 | raw length u32 | payload`.
public struct SignedBatch: Hashable, Sendable {
    /// The signed header.
    public let header: BatchHeader
    /// Ed25519 signature over `"pccc-batch-v1" | header`.
    public let signature: [UInt8]
    /// zlib-compressed leaves.
    public let payload: [UInt8]
    /// Declared length of the inflated payload.
    public let rawLength: Int

    /// Domain separation for signatures, so a batch signature is valid for nothing else.
    public static let signingContext = Array("pccc-batch-v1".utf8)

    /// Wraps parts already produced or decoded.
    public init(header: BatchHeader, signature: [UInt8], payload: [UInt8], rawLength: Int) {
        self.header = header
        self.signature = signature
        self.payload = payload
        self.rawLength = rawLength
    }

    /// Builds, compresses and signs a batch holding `leaves`.
    public static func make(
        network: String,
        origin: NodeID,
        epoch: UInt64 = 0,
        group: GroupID,
        seq: UInt64,
        prevHash: [UInt8],
        leaves: [BatchLeaf],
        signingKey: BatchSigningKey
    ) throws -> SignedBatch {
        let stamps = leaves.compactMap { leaf -> HybridTimestamp? in
            if case .full(let change) = leaf { return change.hlc }
            return nil
        }
        let header = BatchHeader(
            network: network,
            origin: origin,
            epoch: epoch,
            group: group,
            seq: seq,
            prevHash: prevHash,
            hlcMin: stamps.min() ?? .zero,
            hlcMax: stamps.max() ?? .zero,
            changeCount: UInt32(leaves.count),
            merkleRoot: MerkleTree.root(of: leaves)
        )
        let raw = BatchLeaf.encodePayload(leaves)
        let signature = try signingKey.signature(for: signingContext + header.encoded)
        return SignedBatch(header: header, signature: signature, payload: Zlib.deflate(raw), rawLength: raw.count)
    }

    /// The same leaves under a new header at `seq` of the origin's `epoch`, chained to
    /// `prevHash` and signed with `signingKey`: how a node re-issues, in a new epoch, batches
    /// of its own that the region may not hold (docs/PROTOCOL.md §5.9). The payload, its HLC
    /// range, change count and Merkle root are unchanged, so redacted leaves stay redacted.
    public func reissued(epoch: UInt64, seq: UInt64, prevHash: [UInt8], signingKey: BatchSigningKey) throws -> SignedBatch {
        let old = header
        let header = BatchHeader(
            network: old.network, origin: old.origin, epoch: epoch, group: old.group, seq: seq, prevHash: prevHash,
            hlcMin: old.hlcMin, hlcMax: old.hlcMax, changeCount: old.changeCount, merkleRoot: old.merkleRoot
        )
        let signature = try signingKey.signature(for: Self.signingContext + header.encoded)
        return SignedBatch(header: header, signature: signature, payload: payload, rawLength: rawLength)
    }

    /// The size of `envelope`, without building it.
    public var envelopeSize: Int { header.encoded.count + signature.count + 8 + payload.count }

    /// The envelope bytes.
    public var envelope: [UInt8] {
        var writer = ByteWriter(capacity: payload.count + 256)
        header.encode(into: &writer)
        writer.write(raw: signature)
        writer.write(UInt32(payload.count))
        writer.write(UInt32(rawLength))
        writer.write(raw: payload)
        return writer.bytes
    }

    /// Parses an envelope, checking sizes and declared lengths against `limits`. Nothing is
    /// inflated and the signature is not yet checked.
    public static func decode(envelope: [UInt8], limits: BatchLimits) throws(BatchRejection) -> SignedBatch {
        guard envelope.count <= limits.maxEnvelopeBytes else {
            throw BatchRejection(.tooLarge, "batch is \(envelope.count) bytes, over the limit of \(limits.maxEnvelopeBytes)")
        }
        var reader = ByteReader(envelope)
        do {
            let header = try BatchHeader.decode(from: &reader)
            let signature = try reader.readBytes(64, "signature")
            let compressedLength = Int(try reader.readUInt32("compressed length"))
            let rawLength = Int(try reader.readUInt32("raw length"))
            guard compressedLength == reader.remaining else {
                throw BatchRejection(.malformed, "batch declares \(compressedLength) payload bytes but carries \(reader.remaining)")
            }
            try checkDeclaredSizes(rawLength: rawLength, compressedLength: compressedLength, changeCount: header.changeCount, limits: limits)
            return SignedBatch(header: header, signature: signature, payload: reader.readRest(), rawLength: rawLength)
        } catch let error as WireFormatError {
            throw BatchRejection(.malformed, "batch is malformed: \(error.reason)")
        } catch let rejection as BatchRejection {
            throw rejection
        } catch {
            throw BatchRejection(.malformed, "batch is malformed: \(error)")
        }
    }

    /// Checks this batch against `limits` as a receiver will: a node must not make a batch its
    /// peers would refuse.
    public func checkLimits(_ limits: BatchLimits) throws(BatchRejection) {
        guard envelopeSize <= limits.maxEnvelopeBytes else {
            throw BatchRejection(.tooLarge, "batch is \(envelopeSize) bytes, over the limit of \(limits.maxEnvelopeBytes)")
        }
        try Self.checkDeclaredSizes(rawLength: rawLength, compressedLength: payload.count, changeCount: header.changeCount, limits: limits)
    }

    private static func checkDeclaredSizes(
        rawLength: Int,
        compressedLength: Int,
        changeCount: UInt32,
        limits: BatchLimits
    ) throws(BatchRejection) {
        guard rawLength <= limits.maxRawBytes else {
            throw BatchRejection(.inflateLimit, "batch declares \(rawLength) inflated bytes, over the limit of \(limits.maxRawBytes)")
        }
        guard rawLength <= max(compressedLength, 1) * limits.maxInflateRatio else {
            throw BatchRejection(.inflateLimit, "batch declares an inflate ratio over \(limits.maxInflateRatio)")
        }
        guard Int(changeCount) <= limits.maxChanges, changeCount > 0 else {
            throw BatchRejection(.malformed, "batch declares \(changeCount) changes; 1 to \(limits.maxChanges) are allowed")
        }
    }

    /// Checks the signature over the header with the origin's pinned public key.
    public func hasValidSignature(publicKey: BatchVerifyingKey) -> Bool {
        publicKey.isValidSignature(signature, for: Self.signingContext + header.encoded)
    }

    /// Inflates and parses the leaves, then checks their count and Merkle root against the
    /// signed header.
    public func verifiedLeaves() throws(BatchRejection) -> [BatchLeaf] {
        let raw: [UInt8]
        do {
            raw = try Zlib.inflate(payload, expectedLength: rawLength)
        } catch {
            throw BatchRejection(error.exceedsDeclaredLength ? .inflateLimit : .malformed, error.reason)
        }
        let leaves: [BatchLeaf]
        do {
            leaves = try BatchLeaf.decodePayload(raw)
        } catch {
            throw BatchRejection(.malformed, "payload is malformed: \(error.reason)")
        }
        guard leaves.count == Int(header.changeCount) else {
            throw BatchRejection(.malformed, "payload holds \(leaves.count) changes but the header declares \(header.changeCount)")
        }
        guard MerkleTree.root(of: leaves) == header.merkleRoot else {
            throw BatchRejection(.merkleMismatch, "payload does not match the signed Merkle root")
        }
        for case .full(let change) in leaves where change.hlc < header.hlcMin || change.hlc > header.hlcMax {
            throw BatchRejection(.malformed, "a change's HLC \(change.hlc) lies outside the header's range")
        }
        return leaves
    }

    /// The same batch with the given leaves substituted and the payload recompressed; the
    /// header and signature are unchanged, so the leaves must hash the same.
    public func replacingLeaves(_ leaves: [BatchLeaf]) -> SignedBatch {
        precondition(MerkleTree.root(of: leaves) == header.merkleRoot, "replacement leaves change the Merkle root")
        let raw = BatchLeaf.encodePayload(leaves)
        return SignedBatch(header: header, signature: signature, payload: Zlib.deflate(raw), rawLength: raw.count)
    }
}
