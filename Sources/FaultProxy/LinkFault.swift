/// What a ``FaultProxy`` does to the link it stands in for.
public enum LinkFault: Sendable, Equatable, CustomStringConvertible {
    /// One direction of the byte stream through the proxy.
    public enum Direction: Sendable, Equatable {
        /// From the dialing node toward the listening one.
        case toTarget
        /// From the listening node back to the dialing one.
        case fromTarget
    }

    /// Bytes pass unchanged.
    case none
    /// Every connection is closed and new ones are refused.
    case cut
    /// Bytes in one direction vanish while the other direction passes: a half-dead link that
    /// only a peer timeout (or the TLS record check, once bytes flow again) detects.
    case oneWay(dropping: Direction)
    /// Every chunk is held this long before it is forwarded, in order.
    case slow(milliseconds: Int)
    /// Each connection is reset (RST) once this many bytes went through it in one direction,
    /// the last chunk forwarded only in part: a frame cut in the middle.
    case resetMidStream(afterBytes: Int)

    /// The fault in a few words, for logs and run summaries.
    public var description: String {
        switch self {
        case .none: "none"
        case .cut: "cut"
        case .oneWay(let direction): "one-way (\(direction == .toTarget ? "to target" : "from target") dropped)"
        case .slow(let milliseconds): "slow (\(milliseconds) ms)"
        case .resetMidStream(let bytes): "reset after \(bytes) bytes"
        }
    }
}
