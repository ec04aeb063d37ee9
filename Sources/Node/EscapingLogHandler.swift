import Logging

/// Wraps a log handler so that no text reaching a log line can forge another line or drive the
/// terminal: control characters (C0, DEL, C1) and Unicode direction overrides in the message and
/// in metadata values are written as `\u{…}` escapes, and a message over
/// ``maxMessageCharacters`` is cut. Peers choose some of that text (ERROR messages, ids in HELLO
/// and batch headers), so the node logs through this handler.
public struct EscapingLogHandler: LogHandler {
    /// The longest message written whole; the rest is replaced by a count.
    public static let maxMessageCharacters = 2_000

    private var wrapped: any LogHandler

    /// Wraps `handler`.
    public init(_ handler: any LogHandler) {
        wrapped = handler
    }

    /// The wrapped handler's level.
    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    /// The wrapped handler's metadata.
    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    /// One metadata value of the wrapped handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    /// Passes the entry on with its message and metadata values escaped.
    public func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    ) {
        wrapped.log(
            level: level,
            message: "\(Self.escaped(message.description))",
            metadata: metadata?.mapValues { .string(Self.escaped($0.description)) },
            source: source,
            file: file,
            function: function,
            line: line
        )
    }

    /// `text` with every control character and direction override escaped, and cut to
    /// ``maxMessageCharacters``.
    public static func escaped(_ text: String) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == maxMessageCharacters {
                out += "… (\(text.unicodeScalars.count - count) more characters)"
                break
            }
            count += 1
            if isUnsafe(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
