/// Why a payload did not inflate to exactly its declared length. A stream that goes on past
/// the declared length is what a compression bomb looks like, and is told apart from a stream
/// that is merely broken: the first is refused as `inflate_limit`, the second as `malformed`.
public struct InflateFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// Whether the stream would have produced more bytes than declared.
    public let exceedsDeclaredLength: Bool
    /// One sentence saying what was wrong.
    public let reason: String

    /// A failure; `exceedsDeclaredLength` only when the stream inflates past the declared length.
    public init(exceedsDeclaredLength: Bool = false, _ reason: String) {
        self.exceedsDeclaredLength = exceedsDeclaredLength
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}
