import NIOCore
import SyncCore
import Testing
import WireProtocol

@Suite struct FrameTests {
    @Test func everyMessageRoundTripsThroughItsFrame() throws {
        let a = StreamID(origin: "mk-tabanovce", group: "region")
        let b = StreamID(origin: "rs-presevo", group: "mk-rs")
        let messages: [PeerMessage] = [
            .hello(Hello(network: "wb-region", nodeID: "mk-tabanovce", topologyDigest: Array(repeating: 7, count: 32), softwareVersion: "0.3.0")),
            .want([a: 1, b: 42]),
            .batch([1, 2, 3, 4]),
            .ack([a: UInt64.max]),
            .ping(9),
            .pong(9),
            .error(code: "not_member", message: "Ђорђевић is not the point: UTF-8 survives"),
            .wantDigest(Array(0..<32)),
            .wantRequest,
            .auditEcho(nil),
            .auditEcho(
                AuditHead(
                    position: AuditPosition(seq: 12, hash: Array(repeating: 5, count: 32)), at: 3, diverged: false, signature: Array(repeating: 4, count: 64))),
            .auditHead(
                AuditHead(
                    position: AuditPosition(seq: 7, hash: Array(0..<32)), at: 1_764_460_000_000, diverged: true, signature: Array(repeating: 9, count: 64))),
        ]
        for message in messages {
            var buffer = ByteBuffer(bytes: message.frame.bytes)
            let frame = try #require(try Frame.next(from: &buffer, maxLength: Frame.defaultMaxLength))
            #expect(try PeerMessage(frame: frame) == message)
            #expect(buffer.readableBytes == 0)
        }
    }

    /// What a HELLO offers, read from the bytes a peer sends: the version field alone unless the
    /// software version ends with a well-formed ` protocols=LOW-HIGH` whose LOW is that field.
    @Test func aHellosOfferIsReadOnlyFromAWellFormedSuffix() throws {
        func hello(field: UInt16, software: String) throws -> Hello {
            var writer = ByteWriter()
            writer.write(field)
            writer.writeShortString("net")
            writer.writeShortString("b")
            writer.write(raw: [UInt8](repeating: 0, count: 32))
            writer.writeShortString(software)
            writer.write(UInt64(0))
            guard case .hello(let hello) = try PeerMessage(frame: Frame(type: PeerMessage.Kind.hello.rawValue, body: writer.bytes)) else {
                throw TestFailure("not a HELLO")
            }
            return hello
        }
        let cases: [(UInt16, String, ClosedRange<UInt16>, String)] = [
            (1, "0.2.0", 1...1, "0.2.0"),
            (1, "0.4.0 protocols=1-2", 1...2, "0.4.0"),
            (2, "0.4.0 protocols=1-2", 2...2, "0.4.0 protocols=1-2"),
            (1, "0.4.0 protocols=1-0", 1...1, "0.4.0 protocols=1-0"),
            (1, "0.4.0 protocols=1-70000", 1...1, "0.4.0 protocols=1-70000"),
            (1, "0.4.0 protocols=1-2-3", 1...1, "0.4.0 protocols=1-2-3"),
            (1, "protocols=1-2", 1...1, "protocols=1-2"),
            (3, "x protocols=3-65535", 3...65535, "x"),
        ]
        for (field, software, offered, shown) in cases {
            let read = try hello(field: field, software: software)
            #expect(read.protocolVersions == offered, "\(field) \(software)")
            #expect(read.softwareVersion == shown, "\(field) \(software)")
        }
        // A long software version is cut, never the offer.
        let long = Hello(network: "net", nodeID: "b", topologyDigest: [UInt8](repeating: 0, count: 32), softwareVersion: String(repeating: "é", count: 200))
        guard case .hello(let back) = try PeerMessage(frame: PeerMessage.hello(long).frame) else { throw TestFailure("not a HELLO") }
        #expect(back.protocolVersions == Hello.supportedProtocolVersions)
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test func aFrameIsDeliveredOnlyWhenWhole() throws {
        let bytes = PeerMessage.want([StreamID(origin: "a", group: "g"): 3]).frame.bytes
        var buffer = ByteBuffer()
        for byte in bytes.dropLast() {
            buffer.writeInteger(byte)
            #expect(try Frame.next(from: &buffer, maxLength: 1024) == nil)
        }
        buffer.writeInteger(bytes.last!)
        #expect(try Frame.next(from: &buffer, maxLength: 1024) != nil)
    }

    @Test func anOverlongLengthIsRefusedFromTheLengthAlone() {
        // Only the 4 length bytes: 2^31 - 1 is refused before any body is buffered.
        var buffer = ByteBuffer(bytes: [0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: ProtocolError.self) { try Frame.next(from: &buffer, maxLength: Frame.defaultMaxLength) }
        do {
            _ = try Frame.next(from: &buffer, maxLength: Frame.defaultMaxLength)
        } catch {
            #expect(error.code == .frameTooLarge)
        }
        var exact = ByteBuffer(bytes: [0, 0, 4, 0])
        #expect(throws: Never.self) { try Frame.next(from: &exact, maxLength: 1024) }
        var over = ByteBuffer(bytes: [0, 0, 4, 1])
        #expect(throws: ProtocolError(.frameTooLarge, "a frame of 1025 bytes exceeds the limit of 1024 bytes")) {
            try Frame.next(from: &over, maxLength: 1024)
        }
    }

    @Test func aZeroLengthIsMalformed() {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 0])
        #expect(throws: ProtocolError(.malformedFrame, "a frame's length must count at least its type byte")) {
            try Frame.next(from: &buffer, maxLength: 1024)
        }
    }

    @Test(arguments: [
        Frame(type: 0, body: []),
        Frame(type: 99, body: [1]),
        Frame(type: PeerMessage.Kind.hello.rawValue, body: [0, 1, 3]),
        Frame(type: PeerMessage.Kind.ping.rawValue, body: [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        Frame(type: PeerMessage.Kind.want.rawValue, body: [0xFF, 0xFF, 0xFF, 0xFF]),
        Frame(type: PeerMessage.Kind.want.rawValue, body: [0, 0, 0, 2, 1, 0x61, 1, 0x67, 0, 0, 0, 0, 0, 0, 0, 1]),
        Frame(type: PeerMessage.Kind.error.rawValue, body: [1, 0x61, 0xFF, 0xFF, 0xFF, 0xFF]),
        Frame(type: PeerMessage.Kind.wantDigest.rawValue, body: Array(repeating: 1, count: 31)),
        Frame(type: PeerMessage.Kind.wantDigest.rawValue, body: Array(repeating: 1, count: 33)),
        Frame(type: PeerMessage.Kind.wantRequest.rawValue, body: [0]),
        // An echo of entry 0; one byte short.
        Frame(type: PeerMessage.Kind.auditEcho.rawValue, body: Array(repeating: 0, count: 9) + Array(repeating: 1, count: 32 + 8 + 64)),
        Frame(type: PeerMessage.Kind.auditEcho.rawValue, body: [0, 0, 0, 0, 0, 0, 0, 0, 1] + Array(repeating: 1, count: 32 + 8 + 63)),
        // A seq or a time past 2^63 − 1.
        Frame(type: PeerMessage.Kind.auditHead.rawValue, body: [0, 0x80, 0, 0, 0, 0, 0, 0, 0] + Array(repeating: 1, count: 32 + 8 + 64)),
        Frame(
            type: PeerMessage.Kind.auditEcho.rawValue,
            body: [0, 0, 0, 0, 0, 0, 0, 0, 1] + Array(repeating: 1, count: 32) + [0xFF, 0, 0, 0, 0, 0, 0, 0] + Array(repeating: 1, count: 64)),
        // A head with an unknown flag, of entry 0, or with a byte after its signature.
        Frame(type: PeerMessage.Kind.auditHead.rawValue, body: [2, 0, 0, 0, 0, 0, 0, 0, 1] + Array(repeating: 1, count: 32 + 8 + 64)),
        Frame(type: PeerMessage.Kind.auditHead.rawValue, body: [0, 0, 0, 0, 0, 0, 0, 0, 0] + Array(repeating: 1, count: 32 + 8 + 64)),
        Frame(type: PeerMessage.Kind.auditHead.rawValue, body: [0, 0, 0, 0, 0, 0, 0, 0, 1] + Array(repeating: 1, count: 32 + 8 + 64 + 1)),
    ])
    func malformedMessagesAreRefused(frame: Frame) {
        #expect {
            try PeerMessage(frame: frame)
        } throws: { error in
            (error as? ProtocolError)?.code == .malformedFrame
        }
    }

    @Test func aStreamListedTwiceIsMalformed() throws {
        var writer = ByteWriter()
        writer.write(UInt32(2))
        for _ in 0..<2 {
            writer.writeShortString("a")
            writer.writeShortString("g")
            writer.write(UInt64(1))
        }
        #expect(throws: ProtocolError.self) { try PeerMessage(frame: Frame(type: PeerMessage.Kind.ack.rawValue, body: writer.bytes)) }
    }
}
