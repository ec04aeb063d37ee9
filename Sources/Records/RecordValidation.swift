import SyncCore

/// Checks local writes before they become changes. Remote changes are not validated here:
/// apply ignores field writes it cannot use, so one bad signed batch never blocks a stream.
public enum RecordValidation {
    /// The longest value a field may hold, in UTF-8 bytes.
    public static let maxValueBytes = 64 * 1024

    /// Validates the field writes of a create, update or append of `kind`; `byNode` allows the
    /// fields only the node itself writes.
    public static func check(
        _ writes: [FieldWrite],
        kind: KindSchema,
        isCreate: Bool,
        byNode: Bool = false
    ) throws(RecordValidationError) {
        var seen = Set<String>()
        for write in writes {
            guard let spec = kind.field(named: write.field) else {
                let names = kind.fields.map(\.name).joined(separator: ", ")
                throw RecordValidationError(field: write.field, "\(kind.kind) has no field \(write.field); its fields are \(names)")
            }
            if spec.mergeClass == .set {
                throw RecordValidationError(
                    field: write.field,
                    "field \(write.field) is a list; add or remove its entries (pccc record --add/--remove, \"add\" and \"remove\" in the API)")
            }
            guard seen.insert(write.field).inserted else {
                throw RecordValidationError(field: write.field, "field \(write.field) is set twice")
            }
            if spec.isManaged, !byNode {
                throw RecordValidationError(field: write.field, "field \(write.field) is set by the node, not by hand")
            }
            if !isCreate, spec.mergeClass == .immutable {
                throw RecordValidationError(field: write.field, "field \(write.field) is fixed at creation and cannot be changed")
            }
            if let value = write.value {
                guard value.utf8.count <= maxValueBytes else {
                    throw RecordValidationError(field: write.field, "field \(write.field) is longer than \(maxValueBytes) bytes")
                }
                if let problem = spec.format.problem(with: value) {
                    throw RecordValidationError(field: write.field, "field \(write.field) \(problem), not \"\(value)\"")
                }
                if let allowed = spec.allowedValues, !allowed.contains(value) {
                    throw RecordValidationError(
                        field: write.field,
                        "field \(write.field) cannot be \"\(value)\"; allowed values are \(allowed.joined(separator: ", "))"
                    )
                }
            } else if spec.isRequired {
                throw RecordValidationError(field: write.field, "field \(write.field) is required and cannot be cleared")
            }
        }
        if isCreate {
            for spec in kind.fields where spec.isRequired && spec.mergeClass != .set && !seen.contains(spec.name) {
                throw RecordValidationError(field: spec.name, "field \(spec.name) is required for a new \(kind.kind)")
            }
        }
    }
}

extension RecordValidation {
    /// The most entries one write adds to or removes from one list.
    public static let maxSetEditEntries = 256
    /// The longest list entry, in UTF-8 bytes: what a node keeps of another's too
    /// (docs/PROTOCOL.md §5.7).
    public static let maxEntryBytes = 1024

    /// Validates the additions and removals of a create or update of `kind`: each names a list
    /// of the kind once, adds entries of its shape and allowed values, and removes only on an
    /// update; a create adds an entry to every required list.
    public static func check(_ edits: [SetEdit], kind: KindSchema, isCreate: Bool) throws(RecordValidationError) {
        var seen = Set<String>()
        for edit in edits {
            guard let spec = kind.field(named: edit.field), spec.mergeClass == .set else {
                let lists = kind.setFields.map(\.name)
                let known = lists.isEmpty ? "\(kind.kind) has no list fields" : "its lists are \(lists.joined(separator: ", "))"
                throw RecordValidationError(field: edit.field, "\(edit.field) is not a list of \(kind.kind); \(known)")
            }
            guard seen.insert(edit.field).inserted else {
                throw RecordValidationError(field: edit.field, "list \(edit.field) is edited twice")
            }
            guard edit.add.count + edit.remove.count <= maxSetEditEntries else {
                throw RecordValidationError(field: edit.field, "one write adds or removes at most \(maxSetEditEntries) entries of \(edit.field)")
            }
            if isCreate, !edit.remove.isEmpty {
                throw RecordValidationError(field: edit.field, "a new \(kind.kind) has no \(edit.field) entry to remove")
            }
            for value in edit.add + edit.remove {
                guard !value.isEmpty else { throw RecordValidationError(field: edit.field, "an entry of \(edit.field) cannot be empty") }
                guard value.utf8.count <= maxEntryBytes else {
                    throw RecordValidationError(field: edit.field, "an entry of \(edit.field) is longer than \(maxEntryBytes) bytes")
                }
            }
            for value in edit.add {
                if let problem = spec.format.problem(with: value) {
                    throw RecordValidationError(field: edit.field, "an entry of \(edit.field) \(problem), not \"\(value)\"")
                }
                if let allowed = spec.allowedValues, !allowed.contains(value) {
                    throw RecordValidationError(
                        field: edit.field, "\(edit.field) cannot hold \"\(value)\"; allowed values are \(allowed.joined(separator: ", "))")
                }
            }
            if let both = edit.add.first(where: edit.remove.contains) {
                throw RecordValidationError(field: edit.field, "\"\(both)\" is both added to and removed from \(edit.field)")
            }
        }
        if isCreate {
            for spec in kind.setFields where spec.isRequired && !edits.contains(where: { $0.field == spec.name && !$0.add.isEmpty }) {
                throw RecordValidationError(field: spec.name, "a new \(kind.kind) needs at least one entry in \(spec.name)")
            }
        }
    }
}

/// Entries added to and removed from one list (a field that merges as a set), as staff edit
/// it: a removal removes the entries of that value this node holds, and no addition made
/// meanwhile at another node (docs/PROTOCOL.md §5.7).
public struct SetEdit: Hashable, Sendable {
    /// The list, such as `names`.
    public let field: String
    /// Values to add.
    public let add: [String]
    /// Values to remove.
    public let remove: [String]

    /// An edit of `field`.
    public init(_ field: String, add: [String] = [], remove: [String] = []) {
        self.field = field
        self.add = add
        self.remove = remove
    }
}

/// A local write refused by validation; `reason` is one sentence naming the field.
public struct RecordValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The offending field.
    public let field: String
    /// One sentence saying what is wrong and what is allowed.
    public let reason: String

    /// Creates the error.
    public init(field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    /// A one-line human-readable form.
    public var description: String { reason }
}
