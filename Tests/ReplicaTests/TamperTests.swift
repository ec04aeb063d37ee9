import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// Flipping any single byte of a stored batch makes apply refuse it and change nothing.
@Suite(.ownThread) struct TamperTests {
    @Test func everySingleByteFlipIsRefused() throws {
        let region = try TestRegion(nodes: ["sender", "receiver"])
        let batch = try region["sender"].transact(in: "region") { transaction in
            for index in 0..<5 {
                transaction.create(.person, [FieldWrite("category", "suspect"), FieldWrite("family_name", "Person \(index)"), FieldWrite("alert", "wanted")])
            }
        }
        let envelope = batch.envelope
        let receiver = region["receiver"]
        let digest = try receiver.digest()
        var codes: [BatchRejection.Code: Int] = [:]
        for offset in envelope.indices {
            var tampered = envelope
            tampered[offset] ^= 0xFF
            let outcome = try receiver.apply(envelope: tampered)
            guard case .rejected(let rejection) = outcome else {
                Issue.record("flipping byte \(offset) of \(envelope.count) gave \(outcome)")
                continue
            }
            #expect(!rejection.reason.isEmpty)
            codes[rejection.code, default: 0] += 1
        }
        #expect(try receiver.digest() == digest)
        #expect(try receiver.streamPositions().isEmpty)
        // A flip in the header breaks the signature; one in the payload breaks the zlib stream.
        #expect(codes[.badSignature, default: 0] > 0 && codes[.malformed, default: 0] > 0, "refusals: \(codes)")
        #expect(try receiver.apply(envelope: envelope) == .applied(changes: 5), "the untampered batch still applies")
    }

    @Test func aPayloadSwappedUnderAValidSignatureFailsTheMerkleCheck() throws {
        let region = try TestRegion(nodes: ["sender", "receiver"])
        let original = try region["sender"].transact(in: "region") {
            $0.create(.person, [FieldWrite("category", "suspect"), FieldWrite("family_name", "Real")])
        }
        let other = try region["sender"].transact(in: "region") {
            $0.create(.person, [FieldWrite("category", "suspect"), FieldWrite("family_name", "Swapped")])
        }
        let spliced = SignedBatch(header: original.header, signature: original.signature, payload: other.payload, rawLength: other.rawLength)
        #expect(
            try region["receiver"].apply(envelope: spliced.envelope)
                == .rejected(BatchRejection(.merkleMismatch, "payload does not match the signed Merkle root")))
        #expect(try region["receiver"].streamPositions().isEmpty)
    }
}
