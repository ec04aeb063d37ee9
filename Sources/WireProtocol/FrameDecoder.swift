import NIOCore

/// Splits the inbound byte stream into frames, refusing an over-long length before buffering
/// its body.
public struct FrameDecoder: ByteToMessageDecoder, Sendable {
    /// Decoded frames.
    public typealias InboundOut = Frame

    private let maxLength: Int

    /// Creates a decoder with a cap on frame length.
    public init(maxLength: Int = Frame.defaultMaxLength) {
        self.maxLength = maxLength
    }

    /// Emits every whole frame buffered so far.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Frame.next(from: &buffer, maxLength: maxLength) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    /// A truncated frame at end of stream is an error, not silently dropped.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            throw ProtocolError(.malformedFrame, "the connection ended inside a frame (\(buffer.readableBytes) bytes left)")
        }
        return .needMoreData
    }
}

/// Writes frames to the outbound byte stream.
public struct FrameEncoder: MessageToByteEncoder, Sendable {
    /// Frames to write.
    public typealias OutboundIn = Frame

    /// Creates an encoder.
    public init() {}

    /// Appends one frame.
    public func encode(data: Frame, out: inout ByteBuffer) throws {
        data.write(to: &out)
    }
}
