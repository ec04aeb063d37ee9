import Documents
import SyncCore

/// A region's topology (DESIGN §6): its network id, nodes, dialing links, sharing groups and
/// revoked certificate serials, as validated from the admins' YAML file.
public struct RegionTopology: Sendable, Equatable {
    /// One node of the region.
    public struct Node: Sendable, Equatable {
        /// The node id, a short slug such as `mk-tabanovce`.
        public let id: NodeID
        /// Where it listens, `host:port`.
        public let address: String
        /// Its pinned batch-signing keys and the part of its streams each signs; nil until the
        /// admin pastes its key in.
        public let signingKeys: SigningKeyHistory?
        /// The centre's country (ISO 3166 alpha-2), which the request statistics count by;
        /// nil when the topology gives none (they count by node then).
        public let country: String?
        /// The languages it accepts requests in (Art. 4(6) of Directive (EU) 2023/977):
        /// English first, always, then the topology's.
        public let languages: [String]

        /// The language every centre accepts.
        public static let alwaysAccepted = "en"

        /// The key it signs new batches with: the last of its keys.
        public var signingKey: BatchVerifyingKey? { signingKeys?.current.key }
    }

    /// A link: `from` dials `to`, at `address` when given, else at `to`'s own address.
    public struct Link: Sendable, Equatable {
        /// The dialing node.
        public let from: NodeID
        /// The listening node.
        public let to: NodeID
        /// A dial address overriding `to`'s own.
        public let address: String?

        /// Creates a link.
        public init(from: NodeID, to: NodeID, address: String?) {
            self.from = from
            self.to = to
            self.address = address
        }
    }

    /// The region's network id.
    public let network: String
    /// The nodes, in file order.
    public let nodes: [Node]
    /// The links, in file order.
    public let links: [Link]
    /// Each group's members.
    public let groups: [GroupID: [NodeID]]
    /// Revoked certificate serials.
    public let revoked: [String]

    /// The node with `id`, if any.
    public func node(_ id: NodeID) -> Node? {
        nodes.first { $0.id == id }
    }
}

/// A topology file that cannot be used; the message names the file, the line and the fault.
public typealias TopologyError = DocumentError

extension RegionTopology {
    /// Whether `text` is a valid node id: a slug of lowercase letters, digits and `-`.
    public static func isNodeID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }
}
