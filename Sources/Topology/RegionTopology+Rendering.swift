import Foundation
import SyncCore

extension RegionTopology {
    /// Reachability of one group: for each member, the members it cannot reach through members.
    public func reachability(of group: GroupID) -> [NodeID: [NodeID]] {
        var result: [NodeID: [NodeID]] = [:]
        for member in groups[group] ?? [] { result[member] = unreachableMembers(of: group, from: member) }
        return result
    }

    /// One line saying what the file holds, for `topology validate`.
    public var summary: String {
        "network \(network): \(nodes.count) nodes, \(links.count) links, \(groups.count) groups, \(revoked.count) revoked serials"
    }

    /// Nodes, links, groups and per-group reachability, for people.
    public func text() -> String {
        var lines = ["network \(network)", "nodes:"]
        for node in nodes {
            let groupsOfNode = groups.keys.sorted().filter { isMember(node.id, of: $0) }
            lines.append(
                "  \(node.id)  \(node.address)\(node.country.map { "  \($0)" } ?? "")  languages: \(node.languages.joined(separator: ", "))  groups: \(groupsOfNode.map(\.rawValue).joined(separator: ", "))\(node.signingKey == nil ? "  (no signing key pinned)" : "")"
            )
        }
        lines.append("links (the first node dials):")
        for link in links {
            lines.append("  \(link.from) → \(link.to)\(link.address.map { " at \($0)" } ?? "")")
        }
        lines.append("groups:")
        for group in groups.keys.sorted() {
            let members = groups[group]!
            let split = reachability(of: group).filter { !$0.value.isEmpty }
            lines.append("  \(group): \(members.map(\.rawValue).joined(separator: ", ")) — \(split.isEmpty ? "every member reaches every other" : "SPLIT")")
            for member in members where !(split[member] ?? []).isEmpty {
                lines.append("    \(member) cannot reach \(split[member]!.map(\.rawValue).joined(separator: ", ")) through members")
            }
        }
        lines.append("revoked serials: \(revoked.isEmpty ? "none" : revoked.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }

    /// Graphviz: nodes, dialing links as arrows, each labelled with the groups it carries.
    public func dot() -> String {
        var lines = ["digraph \"\(network)\" {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
        for node in nodes {
            lines.append("  \"\(node.id)\" [label=\"\(node.id)\\n\(node.address)\"];")
        }
        for link in links {
            let carried = sharedGroups(link.from, link.to).map(\.rawValue).joined(separator: ", ")
            lines.append("  \"\(link.from)\" -> \"\(link.to)\" [label=\"\(carried)\"];")
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    /// A standalone SVG picture: nodes on a circle, dialing links as arrows labelled with the
    /// groups they carry, and a legend of groups with their members and reachability.
    public func svg() -> String {
        let width = 960.0
        let legendHeight = Double(groups.count) * 22 + 40
        let radius = max(140.0, Double(nodes.count) * 34)
        let height = 2 * radius + 160 + legendHeight
        let center = (x: width / 2, y: radius + 70)
        var position: [NodeID: (x: Double, y: Double)] = [:]
        for (index, node) in nodes.enumerated() {
            let angle = 2 * Double.pi * Double(index) / Double(max(nodes.count, 1)) - Double.pi / 2
            position[node.id] = (center.x + radius * cos(angle), center.y + radius * sin(angle))
        }
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        func number(_ value: Double) -> String { String(format: "%.1f", value) }
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">",
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#456\"/></marker></defs>",
            "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>",
            "<text x=\"20\" y=\"30\" font-size=\"20\" font-weight=\"bold\">\(escape(network))</text>",
        ]
        let boxWidth = 150.0
        let boxHeight = 40.0
        for link in links {
            guard let from = position[link.from], let to = position[link.to] else { continue }
            // Stop the arrow at the box edge so its head stays visible.
            let dx = to.x - from.x
            let dy = to.y - from.y
            let scale = min(abs(dx) > 0 ? (boxWidth / 2) / abs(dx) : 1, abs(dy) > 0 ? (boxHeight / 2) / abs(dy) : 1, 1)
            let end = (x: to.x - dx * scale, y: to.y - dy * scale)
            let start = (x: from.x + dx * scale, y: from.y + dy * scale)
            svg.append(
                "<line x1=\"\(number(start.x))\" y1=\"\(number(start.y))\" x2=\"\(number(end.x))\" y2=\"\(number(end.y))\" stroke=\"#456\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>"
            )
            let label = sharedGroups(link.from, link.to).map(\.rawValue).joined(separator: ", ")
            svg.append(
                "<text x=\"\(number((from.x + to.x) / 2))\" y=\"\(number((from.y + to.y) / 2 - 6))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#345\">\(escape(label))</text>"
            )
        }
        for node in nodes {
            let point = position[node.id]!
            svg.append(
                "<rect x=\"\(number(point.x - boxWidth / 2))\" y=\"\(number(point.y - boxHeight / 2))\" width=\"\(Int(boxWidth))\" height=\"\(Int(boxHeight))\" rx=\"8\" fill=\"#e8f0fa\" stroke=\"#245\"/>"
            )
            svg.append("<text x=\"\(number(point.x))\" y=\"\(number(point.y - 2))\" font-size=\"13\" text-anchor=\"middle\">\(escape(node.id.rawValue))</text>")
            svg.append(
                "<text x=\"\(number(point.x))\" y=\"\(number(point.y + 13))\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">\(escape(node.address))</text>"
            )
        }
        var y = 2 * radius + 150
        svg.append("<text x=\"20\" y=\"\(number(y))\" font-size=\"15\" font-weight=\"bold\">Groups (arrows point from the dialing node)</text>")
        for group in groups.keys.sorted() {
            y += 22
            let split = reachability(of: group).contains { !$0.value.isEmpty }
            let verdict = split ? "SPLIT: some members cannot reach others through members" : "all members reach each other"
            svg.append(
                "<text x=\"20\" y=\"\(number(y))\" font-size=\"13\" fill=\"\(split ? "#b00" : "#050")\">\(escape(group.rawValue)): \(escape(groups[group]!.map(\.rawValue).joined(separator: ", "))) — \(verdict)</text>"
            )
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }
}
