/// Which centre may write which field of an information request. Merge applies it to every
/// remote change and local writes are refused by it, so a request moves only by the hands the
/// workflow gives it to: the requesting centre (`from_node`, always the request's origin) asks,
/// edits its question and closes; the requested centre (`to_node`) acknowledges, answers and
/// keeps the receipt and deadline.
public enum RequestWorkflow {
    /// The centre a request's fields belong to.
    public enum Party: Sendable, Equatable {
        /// The requesting centre, `from_node`.
        case requester
        /// The requested centre, `to_node`.
        case requested
    }

    /// Who writes `field` set to `value`; nil for the fields fixed at creation, which
    /// creation itself sets.
    public static func party(writing field: String, value: String?) -> Party? {
        switch field {
        case "answer", "received_at", "due_at":
            return .requested
        case "question":
            return .requester
        case "status":
            switch value {
            case "acknowledged", "answered": return .requested
            default: return .requester
            }
        default:
            return nil
        }
    }

    /// Whether `writer` may write `field` = `value` of the request from `fromNode` to `toNode`.
    /// Fixed fields are left to their merge class.
    public static func permits(field: String, value: String?, writer: String, fromNode: String?, toNode: String?) -> Bool {
        switch party(writing: field, value: value) {
        case .requester: return writer == fromNode
        case .requested: return writer == toNode
        case nil: return true
        }
    }

    /// The sentence a local write gets when `permits` is false.
    public static func refusal(field: String, value: String?, fromNode: String, toNode: String) -> String {
        let (who, role) = party(writing: field, value: value) == .requested ? (toNode, "requested") : (fromNode, "requesting")
        let what = field == "status" ? "sets status \(value ?? "")" : "writes \(field)"
        return "only the \(role) centre \(who) \(what) of this request"
    }
}
