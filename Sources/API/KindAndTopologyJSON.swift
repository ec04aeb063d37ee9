import Records
import Replica
import SyncCore
import Topology

/// A kind and its fields as the web UI's forms need them (`GET /api/kinds`).
public struct KindJSON: Codable, Sendable, Equatable {
    /// One field.
    public struct Field: Codable, Sendable, Equatable {
        /// Its name.
        public var name: String
        /// Whether a new record needs it.
        public var required: Bool
        /// Whether the node alone writes it.
        public var managed: Bool
        /// text, date, country or timestamp.
        public var format: String
        /// Its merge class.
        public var merge: String
        /// The values it may hold, when limited.
        public var allowed: [String]?
    }

    /// The kind.
    public var kind: RecordKind
    /// Whether records of it are appended, never changed.
    public var appendOnly: Bool
    /// Whether search finds it.
    public var searchable: Bool
    /// Its fields.
    public var fields: [Field]

    enum CodingKeys: String, CodingKey {
        case kind, searchable, fields
        case appendOnly = "append_only"
    }
}

extension KindSchema {
    /// The kind and its fields as JSON.
    public var json: KindJSON {
        KindJSON(
            kind: kind, appendOnly: isAppendOnly, searchable: !searchableFields.isEmpty,
            fields: fields.map {
                .init(
                    name: $0.name, required: $0.isRequired, managed: $0.isManaged, format: $0.format.rawValue, merge: $0.mergeClass.name,
                    allowed: $0.allowedValues
                )
            }
        )
    }
}

extension MergeClass {
    /// The merge class's name in the API (DESIGN §3).
    var name: String {
        switch self {
        case .lww: "lww"
        case .max: "max"
        case .immutable: "immutable"
        case .owner: "owner"
        case .set: "set"
        }
    }
}

/// The topology in force (`GET /api/topology`): nodes, links (who dials whom), groups.
public struct TopologyJSON: Codable, Sendable, Equatable {
    /// One node.
    public struct Node: Codable, Sendable, Equatable {
        /// Its id.
        public var id: NodeID
        /// Its address.
        public var address: String
        /// Its country (ISO 3166 alpha-2), when the topology gives one.
        @ExplicitNull public var country: String?
        /// The languages it accepts requests in, English first.
        public var languages: [String]
    }

    /// One link: `from` dials `to`.
    public struct Link: Codable, Sendable, Equatable {
        /// The dialling node.
        public var from: NodeID
        /// The dialled node.
        public var to: NodeID
    }

    /// One group.
    public struct Group: Codable, Sendable, Equatable {
        /// The group.
        public var group: GroupID
        /// Its members.
        public var members: [NodeID]
    }

    /// The network id.
    public var network: String
    /// Every node.
    public var nodes: [Node]
    /// Every link.
    public var links: [Link]
    /// Every group, by name.
    public var groups: [Group]
    /// Revoked certificate serials.
    public var revoked: [String]
}

extension RegionTopology {
    /// The topology as JSON.
    public var json: TopologyJSON {
        TopologyJSON(
            network: network, nodes: nodes.map { .init(id: $0.id, address: $0.address, country: $0.country, languages: $0.languages) },
            links: links.map { .init(from: $0.from, to: $0.to) },
            groups: groups.keys.sorted().map { .init(group: $0, members: groups[$0]!) }, revoked: revoked
        )
    }
}
