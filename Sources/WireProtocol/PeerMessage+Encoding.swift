import SyncCore

extension PeerMessage {
    /// Most streams a WANT or ACK may list; checked before anything is allocated for them.
    public static let maxStreamsPerMessage = 100_000
    /// Longest ERROR message text accepted.
    public static let maxErrorMessageBytes = 4096

    /// The message as a frame.
    public var frame: Frame {
        var writer = ByteWriter()
        switch self {
        case .hello(let hello):
            writer.write(hello.protocolVersion)
            writer.writeShortString(hello.network)
            writer.writeShortString(hello.nodeID.rawValue)
            writer.write(raw: hello.topologyDigest)
            writer.writeShortString(hello.softwareField)
            writer.write(hello.sentAtMilliseconds)
        case .want(let positions), .ack(let positions):
            writer.write(UInt32(positions.count))
            for stream in positions.keys.sorted() {
                writer.writeShortString(stream.originKey)
                writer.writeShortString(stream.group.rawValue)
                writer.write(positions[stream]!)
            }
        case .batch(let envelope):
            writer.write(raw: envelope)
        case .ping(let nonce), .pong(let nonce):
            writer.write(nonce)
        case .error(let code, let message):
            writer.writeShortString(String(decoding: code.utf8.prefix(250), as: UTF8.self))
            // Cut short of the limit: a cut inside a character decodes to a 3-byte replacement.
            writer.writeLongString(String(decoding: message.utf8.prefix(Self.maxErrorMessageBytes - 4), as: UTF8.self))
        case .wantDigest(let digest):
            writer.write(raw: digest)
        case .wantRequest:
            break
        case .auditEcho(nil):
            break
        case .auditEcho(let head?), .auditHead(let head):
            writer.write(head.flags)
            writer.write(head.position.seq)
            writer.write(raw: head.position.hash)
            writer.write(head.at)
            writer.write(raw: head.signature)
        }
        return Frame(type: kind.rawValue, body: writer.bytes)
    }

    /// An audit head's fields; a seq of 0, a seq or time beyond 2^63 − 1 (what SQLite stores),
    /// or an unknown flag is refused.
    private static func readAuditHead(_ reader: inout ByteReader) throws(WireFormatError) -> AuditHead {
        let flags = try reader.readUInt8("flags")
        guard flags & ~1 == 0 else { throw WireFormatError("unknown flags \(flags)") }
        let seq = try reader.readUInt64("audit seq")
        guard seq != 0, seq <= UInt64(Int64.max) else { throw WireFormatError("an audit head names entry \(seq)") }
        let hash = try reader.readBytes(32, "audit hash")
        let at = try reader.readUInt64("signed at")
        guard at <= UInt64(Int64.max) else { throw WireFormatError("an audit head signed at \(at)") }
        let signature = try reader.readBytes(64, "signature")
        return AuditHead(position: AuditPosition(seq: seq, hash: hash), at: at, diverged: flags & 1 == 1, signature: signature)
    }

    /// Decodes a frame's message; any fault, trailing bytes included, is `malformed_frame`.
    public init(frame: Frame) throws(ProtocolError) {
        guard let kind = Kind(rawValue: frame.type) else {
            throw ProtocolError(.malformedFrame, "unknown message type \(frame.type)")
        }
        var reader = ByteReader(frame.body)
        do throws(WireFormatError) {
            switch kind {
            case .hello:
                let version = try reader.readUInt16("protocol version")
                let network = try reader.readShortString("network id")
                let node = NodeID(try reader.readShortString("node id"))
                let digest = try reader.readBytes(32, "topology digest")
                let software = try reader.readShortString("software version")
                let sentAt = try reader.readUInt64("sent at")
                self = .hello(
                    Hello(
                        versionField: version, network: network, nodeID: node, topologyDigest: digest, softwareField: software,
                        sentAtMilliseconds: sentAt)
                )
            case .want, .ack:
                let count = Int(try reader.readUInt32("stream count"))
                guard count <= Self.maxStreamsPerMessage else {
                    throw WireFormatError("a \(kind) lists \(count) streams, more than \(Self.maxStreamsPerMessage)")
                }
                // Each entry takes at least 10 bytes; a count the body cannot hold is refused
                // before the dictionary is sized for it.
                guard count * 10 <= reader.remaining else { throw WireFormatError("stream count \(count) exceeds the message") }
                var positions: [StreamID: UInt64] = [:]
                positions.reserveCapacity(count)
                for _ in 0..<count {
                    let originKey = try reader.readShortString("origin")
                    let stream = try StreamID(originKey: originKey, group: GroupID(try reader.readShortString("group")))
                    guard positions.updateValue(try reader.readUInt64("seq"), forKey: stream) == nil else {
                        throw WireFormatError("stream \(stream) is listed twice")
                    }
                }
                self = kind == .want ? .want(positions) : .ack(positions)
            case .batch:
                self = .batch(reader.readRest())
            case .ping:
                self = .ping(try reader.readUInt64("nonce"))
            case .pong:
                self = .pong(try reader.readUInt64("nonce"))
            case .error:
                let code = try reader.readShortString("error code")
                let message = try reader.readLongString("error message", limit: Self.maxErrorMessageBytes)
                self = .error(code: code, message: message)
            case .wantDigest:
                self = .wantDigest(try reader.readBytes(32, "WANT digest"))
            case .wantRequest:
                self = .wantRequest
            case .auditEcho:
                // None is an empty body; anything else is a head, checked as one.
                self = .auditEcho(frame.body.isEmpty ? nil : try Self.readAuditHead(&reader))
            case .auditHead:
                self = .auditHead(try Self.readAuditHead(&reader))
            }
            guard reader.isAtEnd else { throw WireFormatError("\(reader.remaining) bytes follow the \(kind) message") }
        } catch {
            throw ProtocolError(.malformedFrame, "malformed \(kind) message: \(error.reason)")
        }
    }
}
