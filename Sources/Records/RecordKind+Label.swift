import SyncCore

extension RecordKind {
    /// A record's main values in one line, such as "Ђорђевић, Марко · 1984-03-07 · alert wanted":
    /// the one label listings, search results, `--json` and the web UI all show. `origin` is the
    /// node that made the record, which an erasure request's label names.
    public func label(of values: [String: String], origin: NodeID) -> String {
        func value(_ field: String) -> String? {
            guard let text = values[field], !text.isEmpty else { return nil }
            return text
        }
        func line(_ parts: String?...) -> String { parts.compactMap { $0 }.joined(separator: " · ") }
        switch self {
        case .person:
            let name = [value("family_name"), value("given_name")].compactMap { $0 }.joined(separator: ", ")
            return line(name.isEmpty ? nil : name, value("birth_date"), value("alert").map { "alert \($0)" })
        case .vehicle:
            return line(value("plate"), value("vin"), value("make"), value("alert").map { "alert \($0)" })
        case .document:
            return line(value("doc_type"), value("number"), value("issuing_country"), value("status"))
        case .firearm:
            return line(value("serial"), value("make"), value("model"), value("status"))
        case .request:
            return "\(value("urgency") ?? "?") \(value("from_node") ?? "?") → \(value("to_node") ?? "?") · \(value("status") ?? "open")"
        case .hit:
            return line(value("place"), value("outcome"))
        case .note:
            return value("text") ?? ""
        case .erasureRequest:
            return line("erasure asked by \(origin)", value("reason"), value("text"))
        }
    }
}
