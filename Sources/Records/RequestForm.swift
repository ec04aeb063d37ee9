import SyncCore

/// An information request as its requester fills it in: the content Art. 4(3)-(6) of
/// Directive (EU) 2023/977 requires, and the copies of Art. 8 and 12. The CLI and the API
/// both build one; ``check(acceptedLanguages:)`` refuses it with one sentence naming the field.
public struct RequestForm: Sendable, Equatable {
    /// The information sought.
    public var question: String
    /// `urgent` or `standard`; the requested centre classifies an urgent one.
    public var urgency: String
    /// The purpose, with the facts.
    public var purpose: String
    /// The offence the facts point to.
    public var offence: String
    /// The objective reasons to believe the requested state holds the information.
    public var availabilityReasons: String
    /// The records the request is about.
    public var subjects: [String]
    /// How the subjects relate to the purpose; required when there are subjects.
    public var subjectRelation: String?
    /// An urgent request's ground: `public_security`, `life_or_integrity`,
    /// `deprivation_of_liberty` or `loss_of_relevance`.
    public var urgentGround: String?
    /// Why the ground applies; required with it.
    public var urgentReasons: String?
    /// Restrictions on the use of the information, if any.
    public var useRestrictions: String?
    /// The language of the request: an ISO 639-1 code the requested centre accepts.
    public var language: String
    /// The requesting authority or officer.
    public var requestingAuthority: String
    /// The national case number.
    public var caseNumber: String
    /// `sent` when the national SPOC got a copy, else the Art. 8(3) exception:
    /// `not_sent_sensitive_investigation`, `not_sent_terrorism` or `not_sent_safety`.
    public var spocCopy: String
    /// `sent` when Europol was copied, `not_needed` otherwise (with ``europolReason``).
    public var europolCopy: String
    /// Why Europol was not copied.
    public var europolReason: String?

    /// The grounds Art. 4(4) allows for urgency.
    public static let urgentGrounds = ["public_security", "life_or_integrity", "deprivation_of_liberty", "loss_of_relevance"]
    /// The SPOC-copy values: sent, or which exception of Art. 8(3) applied.
    public static let spocCopies = ["sent", "not_sent_sensitive_investigation", "not_sent_terrorism", "not_sent_safety"]
    /// The language every centre accepts (Art. 4(6) lets a state add its own).
    public static let alwaysAccepted = "en"

    /// Creates a form.
    public init(
        question: String, urgency: String, purpose: String, offence: String, availabilityReasons: String, subjects: [String] = [],
        subjectRelation: String? = nil, urgentGround: String? = nil, urgentReasons: String? = nil, useRestrictions: String? = nil,
        language: String, requestingAuthority: String, caseNumber: String, spocCopy: String, europolCopy: String, europolReason: String? = nil
    ) {
        self.question = question
        self.urgency = urgency
        self.purpose = purpose
        self.offence = offence
        self.availabilityReasons = availabilityReasons
        self.subjects = subjects
        self.subjectRelation = subjectRelation
        self.urgentGround = urgentGround
        self.urgentReasons = urgentReasons
        self.useRestrictions = useRestrictions
        self.language = language
        self.requestingAuthority = requestingAuthority
        self.caseNumber = caseNumber
        self.spocCopy = spocCopy
        self.europolCopy = europolCopy
        self.europolReason = europolReason
    }

    /// Refuses a form the Directive would not accept, naming the first field at fault (as the
    /// API's `field`). `acceptedLanguages` are the requested centre's, English included.
    public func check(acceptedLanguages: [String]) throws(RecordValidationError) {
        func blank(_ value: String?) -> Bool { value?.allSatisfy(\.isWhitespace) ?? true }
        func require(_ value: String?, _ field: String, _ what: String) throws(RecordValidationError) {
            if blank(value) { throw RecordValidationError(field: field, "\(field) is required: \(what)") }
        }
        try require(question, "question", "the information sought")
        guard urgency == "urgent" || urgency == "standard" else {
            throw RecordValidationError(field: "urgency", "urgency must be urgent or standard, not \"\(urgency)\"; the requested centre sets 8 hours or 3 days")
        }
        try require(purpose, "purpose", "the purpose of the request, with the facts (Art. 4(3))")
        try require(offence, "offence", "the offence the facts concern (Art. 4(3))")
        try require(availabilityReasons, "availability_reasons", "why the requested state is believed to hold the information (Art. 4(3))")
        if !subjects.isEmpty {
            try require(subjectRelation, "subject_relation", "how the subjects relate to the purpose (Art. 4(3))")
        } else if !blank(subjectRelation) {
            throw RecordValidationError(field: "subject_relation", "subject_relation says how the subjects relate to the purpose; give the subjects too")
        }
        if urgency == "urgent" {
            guard let urgentGround, Self.urgentGrounds.contains(urgentGround) else {
                throw RecordValidationError(
                    field: "urgent_ground", "an urgent request needs urgent_ground, one of \(Self.urgentGrounds.joined(separator: ", ")) (Art. 4(4))")
            }
            try require(urgentReasons, "urgent_reasons", "why the urgent ground applies (Art. 4(4))")
        } else if !blank(urgentGround) || !blank(urgentReasons) {
            throw RecordValidationError(field: "urgent_ground", "only an urgent request has an urgent ground and reasons")
        }
        guard language.utf8.count == 2, language.utf8.allSatisfy({ $0 >= 97 && $0 <= 122 }) else {
            throw RecordValidationError(field: "language", "language must be an ISO 639-1 code in lower case, such as en or fr, not \"\(language)\"")
        }
        guard acceptedLanguages.contains(language) else {
            throw RecordValidationError(
                field: "language", "the requested centre accepts requests in \(acceptedLanguages.joined(separator: ", ")), not in \(language) (Art. 4(6))")
        }
        try require(requestingAuthority, "requesting_authority", "the requesting authority or officer")
        try require(caseNumber, "case_number", "the national case number")
        guard Self.spocCopies.contains(spocCopy) else {
            throw RecordValidationError(
                field: "spoc_copy", "spoc_copy must be sent or the Art. 8(3) exception applied: \(Self.spocCopies.dropFirst().joined(separator: ", "))")
        }
        switch europolCopy {
        case "sent":
            if !blank(europolReason) { throw RecordValidationError(field: "europol_reason", "a reason is given only when Europol is not copied") }
        case "not_needed":
            try require(europolReason, "europol_reason", "why Europol was not copied (Art. 12)")
        default:
            throw RecordValidationError(field: "europol_copy", "europol_copy must be sent or not_needed, not \"\(europolCopy)\"")
        }
    }

    /// The request record's field writes from `from` to `to`.
    public func writes(from: NodeID, to: NodeID) -> [FieldWrite] {
        var writes = [
            FieldWrite("from_node", from.rawValue), FieldWrite("to_node", to.rawValue), FieldWrite("urgency", urgency),
            FieldWrite("question", question), FieldWrite("status", "open"), FieldWrite("purpose", purpose), FieldWrite("offence", offence),
            FieldWrite("availability_reasons", availabilityReasons), FieldWrite("language", language),
            FieldWrite("requesting_authority", requestingAuthority), FieldWrite("case_number", caseNumber), FieldWrite("spoc_copy", spocCopy),
            FieldWrite("europol_copy", europolCopy),
        ]
        let optional: [(String, String?)] = [
            ("subject_relation", subjectRelation), ("urgent_ground", urgentGround), ("urgent_reasons", urgentReasons),
            ("use_restrictions", useRestrictions), ("europol_reason", europolReason),
        ]
        // An optional field left blank is not written at all.
        for case (let field, let value?) in optional where !value.allSatisfy(\.isWhitespace) { writes.append(FieldWrite(field, value)) }
        if !subjects.isEmpty { writes.append(FieldWrite("subject_ids", subjects.joined(separator: ","))) }
        return writes
    }
}
