import Records
import SyncCore
import Topology

extension RecordKind {
    /// The kind's fields as the web UI's forms need them: name, whether required, allowed
    /// values, format, and whether the node alone writes it.
    public var jsonObject: [String: Any] {
        [
            "kind": rawValue,
            "append_only": isAppendOnly,
            "searchable": !searchableFields.isEmpty,
            "fields": fields.map { field -> [String: Any] in
                var object: [String: Any] = [
                    "name": field.name, "required": field.isRequired, "managed": field.isManaged, "format": field.format.name,
                    "merge": field.mergeClass.name,
                ]
                object["allowed"] = field.allowedValues
                return object
            },
        ]
    }
}

extension FieldFormat {
    /// The format's name in the API.
    var name: String {
        switch self {
        case .text: "text"
        case .date: "date"
        case .country: "country"
        case .timestamp: "timestamp"
        }
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
        }
    }
}

extension RegionTopology {
    /// Nodes, links (who dials whom) and groups, for the topology picture.
    public var jsonObject: [String: Any] {
        [
            "network": network,
            "nodes": nodes.map { ["id": $0.id, "address": $0.address] },
            "links": links.map { ["from": $0.from, "to": $0.to] },
            "groups": groups.keys.sorted().map { ["group": $0, "members": groups[$0]!] },
            "revoked": revoked,
        ]
    }
}
