import SyncCore
import Testing

@Suite struct BatchFormatTests {
    static let id = RecordID.make(milliseconds: 42)
    static let hlc = HybridTimestamp(milliseconds: 1_800_000_000_000, counter: 3)

    @Test(arguments: [
        Change.Operation.create([FieldWrite("family_name", "Đorđević"), FieldWrite("alert", "wanted")]),
        .update([FieldWrite("given_name", nil)]),
        .erase(reason: "court_order"),
        .append([FieldWrite("record_id", "x"), FieldWrite("text", "")]),
    ])
    func changesRoundTrip(_ operation: Change.Operation) throws {
        let change = Change(kind: "person", recordID: Self.id, hlc: Self.hlc, operation: operation)
        #expect(try Change.decode(kind: "person", recordID: Self.id, body: change.encodedBody) == change)
        let payload = BatchLeaf.encodePayload([.full(change), .full(change).redacted])
        #expect(try BatchLeaf.decodePayload(payload) == [.full(change), .full(change).redacted])
    }

    @Test func aNonCanonicalBodyIsRefused() throws {
        var writer = ByteWriter()
        writer.write(UInt8(2))
        writer.write(Self.hlc.rawValue)
        writer.write(UInt16(2))
        for name in ["b", "a"] {
            writer.writeShortString(name)
            writer.write(UInt8(0))
        }
        #expect(throws: WireFormatError("field a is out of order or repeated")) {
            try Change.decode(kind: "person", recordID: Self.id, body: writer.bytes)
        }
        let valid = Change(kind: "person", recordID: Self.id, hlc: Self.hlc, operation: .erase(reason: "x")).encodedBody
        #expect(throws: WireFormatError("change body has 1 trailing bytes")) {
            try Change.decode(kind: "person", recordID: Self.id, body: valid + [0])
        }
    }

    @Test func redactedLeavesKeepTheMerkleRootAndOrderMatters() {
        let leaves = (0..<7).map { index in
            BatchLeaf.full(
                Change(
                    kind: "person", recordID: RecordID.make(milliseconds: UInt64(index)), hlc: Self.hlc,
                    operation: .update([FieldWrite("given_name", "\(index)")])))
        }
        let root = MerkleTree.root(of: leaves)
        var redacted = leaves
        redacted[3] = leaves[3].redacted
        redacted[6] = leaves[6].redacted
        #expect(MerkleTree.root(of: redacted) == root)
        #expect(MerkleTree.root(of: Array(leaves.reversed())) != root)
        #expect(MerkleTree.root(of: Array(leaves.prefix(6))) != root)
        #expect(MerkleTree.root(of: leaves + [leaves[6]]) != root, "no root collision by repeating the odd leaf")
    }

    @Test func aSignedBatchRoundTripsAndVerifiesOnlyWithItsKey() throws {
        let key = BatchSigningKey()
        let leaves = [BatchLeaf.full(Change(kind: "vehicle", recordID: Self.id, hlc: Self.hlc, operation: .create([FieldWrite("plate", "SK 123-AB")])))]
        let batch = try SignedBatch.make(network: "net", origin: "a", group: "g", seq: 1, prevHash: BatchHeader.zeroHash, leaves: leaves, signingKey: key)
        let decoded = try SignedBatch.decode(envelope: batch.envelope, limits: .default)
        #expect(decoded == batch)
        #expect(decoded.hasValidSignature(publicKey: key.publicKey))
        #expect(!decoded.hasValidSignature(publicKey: BatchSigningKey().publicKey))
        #expect(try decoded.verifiedLeaves() == leaves)
        #expect(decoded.envelopeSize == batch.envelope.count)
    }
}

@Suite struct ZlibTests {
    @Test func roundTripsAndInsistsOnTheExactDeclaredLength() throws {
        let raw = Array("Ђорђевић Đorđević Djordjevic Dordevic ".utf8) + [UInt8](repeating: 7, count: 5000)
        let compressed = Zlib.deflate(raw)
        #expect(try Zlib.inflate(compressed, expectedLength: raw.count) == raw)
        #expect(throws: InflateFailure(exceedsDeclaredLength: true, "payload inflates past its declared \(raw.count - 1) bytes")) {
            try Zlib.inflate(compressed, expectedLength: raw.count - 1)
        }
        #expect(throws: InflateFailure("payload inflates to \(raw.count) bytes, not the declared \(raw.count + 1)")) {
            try Zlib.inflate(compressed, expectedLength: raw.count + 1)
        }
        #expect(throws: InflateFailure("payload has 3 bytes after the end of the zlib stream")) {
            try Zlib.inflate(compressed + [1, 2, 3], expectedLength: raw.count)
        }
        #expect(throws: InflateFailure("payload is a truncated zlib stream")) { try Zlib.inflate(Array(compressed.prefix(10)), expectedLength: raw.count) }
        var corrupt = compressed
        corrupt[corrupt.count - 1] ^= 0xFF
        #expect(throws: InflateFailure("payload is not valid zlib data (zlib status -3)")) { try Zlib.inflate(corrupt, expectedLength: raw.count) }
    }
}

@Suite struct Base64Tests {
    @Test(arguments: [0, 1, 2, 3, 4, 31, 32, 33])
    func roundTrips(_ length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }

    @Test func knownVectorAndMalformedInput() {
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.decode("Zm8") == nil)
        #expect(Base64.decode("Z=8=") == nil)
        #expect(Base64.decode("Zm*=") == nil)
    }
}
