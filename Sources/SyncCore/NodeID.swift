/// An id that is a piece of text on the wire, in SQL and in JSON, typed so that one kind of id
/// cannot be passed where another, a record id or any other text is meant: the compiler checks
/// what a bare `String` would leave to reading. Its behaviour lives here once; `NodeID` and
/// `GroupID` differ only in what they name.
public protocol TextID: RawRepresentable<String>, Hashable, Comparable, Sendable, Codable, CodingKeyRepresentable,
    CustomStringConvertible, CustomDebugStringConvertible, ExpressibleByStringLiteral
{
    /// Wraps an id's text.
    init(rawValue: String)
}

extension TextID {
    /// Wraps an id's text.
    public init(_ rawValue: String) {
        self.init(rawValue: rawValue)
    }

    /// A literal id, as tests and fixtures write them.
    public init(stringLiteral value: String) {
        self.init(rawValue: value)
    }

    /// Orders bytewise by UTF-8, as streams are listed on the wire.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }

    /// The id's text.
    public var description: String { rawValue }

    /// The id's text quoted, as a `String` prints in collections and optionals, so messages
    /// that show a list of ids read as before they were typed.
    public var debugDescription: String { rawValue.debugDescription }
}

/// A node's id, as the region topology names it (`lu-pccc`). A plain JSON string (the standard
/// library's coding of a `String`-backed `RawRepresentable`).
public struct NodeID: TextID {
    /// The id's text.
    public let rawValue: String

    /// Wraps an id's text.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }
}

/// A sharing group's id, as the region topology names it (`benelux`). A plain JSON string.
public struct GroupID: TextID {
    /// The id's text.
    public let rawValue: String

    /// Wraps an id's text.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }
}
