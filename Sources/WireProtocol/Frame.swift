import NIOCore

/// One protocol frame: `u32 length | u8 type | body`, where `length` counts the type byte and
/// the body. See docs/PROTOCOL.md.
public struct Frame: Equatable, Sendable {
    /// The message type byte.
    public let type: UInt8
    /// The message body.
    public let body: [UInt8]

    /// Creates a frame.
    public init(type: UInt8, body: [UInt8]) {
        self.type = type
        self.body = body
    }

    /// The default cap on `length`: 4 MiB, enough for the largest batch envelope.
    public static let defaultMaxLength = 4 * 1024 * 1024

    /// Appends the frame's bytes to `buffer`.
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(body.count + 1))
        buffer.writeInteger(type)
        buffer.writeBytes(body)
    }

    /// The frame's bytes.
    public var bytes: [UInt8] {
        var buffer = ByteBuffer()
        write(to: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// Takes the next whole frame off the front of `buffer`, or returns nil when more bytes are
    /// needed. The length is checked against `maxLength` before anything is allocated for the
    /// body, so a hostile length costs nothing.
    public static func next(from buffer: inout ByteBuffer, maxLength: Int) throws(ProtocolError) -> Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= 1 else {
            throw ProtocolError(.malformedFrame, "a frame's length must count at least its type byte")
        }
        guard Int(length) <= maxLength else {
            throw ProtocolError(.frameTooLarge, "a frame of \(length) bytes exceeds the limit of \(maxLength) bytes")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let type: UInt8 = buffer.readInteger()!
        let body = buffer.readBytes(length: Int(length) - 1)!
        return Frame(type: type, body: body)
    }
}
