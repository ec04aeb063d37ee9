import CZlib
import Foundation
import Records
import Replica
import SyncCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Compression bombs are refused, validly signed or not, without inflating them in full.
@Suite(.ownThread) struct InflateLimitTests {
    /// Streams `total` zero bytes through deflate with a small input buffer, so the bomb is
    /// built without ever holding its inflated size in memory.
    static func zeroBomb(inflatedSize total: Int) -> [UInt8] {
        var stream = z_stream()
        deflateInit_(&stream, Z_BEST_COMPRESSION, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var input = [UInt8](repeating: 0, count: 1 << 20)
        var output = [UInt8](repeating: 0, count: 1 << 16)
        var compressed: [UInt8] = []
        var remaining = total
        repeat {
            let chunk = min(remaining, input.count)
            remaining -= chunk
            let flush = remaining == 0 ? Z_FINISH : Z_NO_FLUSH
            input.withUnsafeMutableBufferPointer { inBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(chunk)
                repeat {
                    output.withUnsafeMutableBufferPointer { outBuffer in
                        stream.next_out = outBuffer.baseAddress
                        stream.avail_out = uInt(outBuffer.count)
                        deflate(&stream, flush)
                        compressed.append(contentsOf: outBuffer[0..<(outBuffer.count - Int(stream.avail_out))])
                    }
                } while stream.avail_out == 0
            }
        } while remaining > 0
        return compressed
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }

    func signedBomb(region: TestRegion, declaredRawLength: Int, bomb: [UInt8]) throws -> SignedBatch {
        let honest = try SignedBatch.make(
            network: TestRegion.network, origin: "sender", group: "region", seq: 1, prevHash: BatchHeader.zeroHash,
            leaves: [
                .full(
                    Change(
                        kind: "person", recordID: RecordID.make(milliseconds: 5), hlc: HybridTimestamp(milliseconds: 1_800_000_000_000, counter: 0),
                        operation: .create([FieldWrite("family_name", "Bomb")])))
            ],
            signingKey: region.keys["sender"]!
        )
        // A validly signed header over a payload that is a bomb: only the inflate limits stop it.
        return SignedBatch(header: honest.header, signature: honest.signature, payload: bomb, rawLength: declaredRawLength)
    }

    @Test func aOneGibibyteBombUnderAValidSignatureIsRefusedWithinItsDeclaredSize() throws {
        let region = try TestRegion(nodes: ["sender", "receiver"])
        let bomb = Self.zeroBomb(inflatedSize: 1 << 30)
        #expect(bomb.count < 2 << 20, "a GiB of zeros deflates to about 1 MiB")
        let declared = 1 << 20
        let batch = try signedBomb(region: region, declaredRawLength: declared, bomb: bomb)
        let before = Self.peakResidentBytes()
        let outcome = try region["receiver"].apply(envelope: batch.envelope)
        let growth = Self.peakResidentBytes() - before
        guard case .rejected(let rejection) = outcome else {
            Issue.record("the bomb was accepted: \(outcome)")
            return
        }
        #expect(rejection.code == .inflateLimit)
        #expect(rejection.reason.contains("past its declared"))
        #expect(growth < 64 << 20, "peak RSS grew by \(growth) bytes while refusing a 1 GiB bomb")
        #expect(try region["receiver"].streamPositions().isEmpty)
    }

    @Test func aDeclaredSizeOverTheLimitIsRefusedBeforeInflating() throws {
        let region = try TestRegion(nodes: ["sender", "receiver"])
        let batch = try signedBomb(region: region, declaredRawLength: BatchLimits.default.maxRawBytes + 1, bomb: Self.zeroBomb(inflatedSize: 1 << 20))
        guard case .rejected(let rejection) = try region["receiver"].apply(envelope: batch.envelope) else {
            Issue.record("accepted a batch declaring more than the raw limit")
            return
        }
        #expect(rejection.code == .inflateLimit)
        #expect(rejection.reason.contains("over the limit"))
    }

    @Test func aDeclaredRatioOverTheLimitIsRefusedBeforeInflating() throws {
        let region = try TestRegion(nodes: ["sender", "receiver"])
        let bomb = Self.zeroBomb(inflatedSize: 8 << 20)
        let batch = try signedBomb(region: region, declaredRawLength: 8 << 20, bomb: bomb)
        guard case .rejected(let rejection) = try region["receiver"].apply(envelope: batch.envelope) else {
            Issue.record("accepted a batch with an inflate ratio of \((8 << 20) / bomb.count)")
            return
        }
        #expect(rejection.reason.contains("ratio"))
    }

    /// A broken stream under a valid signature is malformed, not a bomb: the counter an admin
    /// reads must not cry compression attack over a corrupted link or a buggy peer.
    @Test func aBrokenZlibStreamIsMalformedNotOverTheLimit() throws {
        let region = try TestRegion(nodes: ["sender", "receiver"])
        let honest = try region["sender"].transact(in: "region") {
            $0.create(.person, [FieldWrite("category", "suspect"), FieldWrite("family_name", "Broken")])
        }
        var checksumFlipped = honest.payload
        checksumFlipped[checksumFlipped.count - 1] ^= 0xFF
        let cases: [(String, [UInt8], Int, String)] = [
            ("a flipped Adler-32 byte", checksumFlipped, honest.rawLength, "not valid zlib data"),
            ("a cut stream", Array(honest.payload.dropLast(6)), honest.rawLength, "truncated"),
            ("a stream one byte short of its declaration", honest.payload, honest.rawLength + 1, "not the declared"),
            ("bytes after the stream", honest.payload + [0, 0], honest.rawLength, "after the end"),
        ]
        for (name, payload, rawLength, said) in cases {
            let broken = SignedBatch(header: honest.header, signature: honest.signature, payload: payload, rawLength: rawLength)
            guard case .rejected(let rejection) = try region["receiver"].apply(envelope: broken.envelope) else {
                Issue.record("\(name): accepted")
                continue
            }
            #expect(rejection.code == .malformed, "\(name): \(rejection)")
            #expect(rejection.reason.contains(said), "\(name): \(rejection)")
        }
        #expect(try region["receiver"].streamPositions().isEmpty)
        #expect(try region["receiver"].apply(envelope: honest.envelope) == .applied(changes: 1))
    }

    @Test func anEnvelopeOverTheSizeLimitIsRefusedBeforeParsing() throws {
        let region = try TestRegion(nodes: ["sender", "receiver"])
        let oversized = [UInt8](repeating: 1, count: BatchLimits.default.maxEnvelopeBytes + 1)
        #expect(
            try region["receiver"].apply(envelope: oversized)
                == .rejected(BatchRejection(.tooLarge, "batch is \(oversized.count) bytes, over the limit of \(BatchLimits.default.maxEnvelopeBytes)")))
    }
}
