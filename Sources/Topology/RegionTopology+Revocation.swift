import Foundation

extension RegionTopology {
    /// The topology text with `serial` added to its `revoked` list, leaving every other line,
    /// comment and layout as the admin wrote it. Throws when the list cannot be found or
    /// edited, or when the result does not parse.
    public static func addingRevokedSerial(_ serial: String, toYAML yaml: String, file: String) throws(TopologyError) -> String {
        var lines = yaml.components(separatedBy: "\n")
        let entry = "\"\(serial)\""
        if let index = lines.firstIndex(where: { $0.hasPrefix("revoked:") }) {
            let rest = lines[index].dropFirst("revoked:".count).trimmingCharacters(in: .whitespaces)
            if rest.hasPrefix("["), let close = lines[index].lastIndex(of: "]") {
                let inside = lines[index][lines[index].index(after: lines[index].firstIndex(of: "[")!)..<close]
                let separator = inside.trimmingCharacters(in: .whitespaces).isEmpty ? "" : ", "
                lines[index].replaceSubrange(close..<lines[index].index(after: close), with: separator + entry + "]")
            } else if rest.isEmpty || rest.hasPrefix("#") {
                var last = index
                var indent = "  "
                while last + 1 < lines.count, lines[last + 1].trimmingCharacters(in: .whitespaces).hasPrefix("-") {
                    last += 1
                    indent = String(lines[last].prefix { $0 == " " })
                }
                lines.insert("\(indent)- \(entry)", at: last + 1)
            } else {
                throw TopologyError(file: file, line: index + 1, "the revoked list is not a [..] list or a list of - items; add \(serial) by hand")
            }
        } else {
            if lines.last == "" { lines.removeLast() }
            lines.append("revoked: [\(entry)]")
            lines.append("")
        }
        let edited = lines.joined(separator: "\n")
        let topology = try parse(yaml: edited, file: file)
        guard topology.revoked.contains(serial) else {
            throw TopologyError(file: file, line: nil, "the edited file does not list \(serial) as revoked; add it by hand")
        }
        return edited
    }
}
