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
        ]
        for message in messages {
            var buffer = ByteBuffer(bytes: message.frame.bytes)
            let frame = try #require(try Frame.next(from: &buffer, maxLength: Frame.defaultMaxLength))
            #expect(try PeerMessage(frame: frame) == message)
            #expect(buffer.readableBytes == 0)
        }
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
