extension RecordKind {
    /// What a user names a kind for, which decides the kinds allowed.
    public enum Use: Sendable {
        /// Creating a record by hand: persons, vehicles, documents and firearms (requests have
        /// their own command and route; hits, notes and erasure requests are appended).
        case create
        /// Listing records: those, and requests.
        case list
        /// Searching by name or identifier: the kinds with searchable fields.
        case search
    }

    /// The kinds allowed for `use`, in declaration order.
    public static func kinds(for use: Use) -> [RecordKind] {
        switch use {
        case .create: allCases.filter { !$0.isAppendOnly && $0 != .request }
        case .list: allCases.filter { !$0.isAppendOnly }
        case .search: allCases.filter { !$0.searchableFields.isEmpty }
        }
    }

    /// The kind called `name`, when it is allowed for `use`.
    public static func named(_ name: String, for use: Use) -> RecordKind? {
        RecordKind(rawValue: name).flatMap { kinds(for: use).contains($0) ? $0 : nil }
    }

    /// The kinds allowed for `use` as a sentence ends them: "person, vehicle, document or
    /// firearm". The one place front ends get the list they print.
    public static func names(for use: Use) -> String {
        let names = kinds(for: use).map(\.rawValue)
        guard names.count > 1 else { return names.joined() }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
