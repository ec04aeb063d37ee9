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
            for spec in kind.fields where spec.isRequired && !seen.contains(spec.name) {
                throw RecordValidationError(field: spec.name, "field \(spec.name) is required for a new \(kind.kind)")
            }
        }
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
