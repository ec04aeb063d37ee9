import Records

extension RequestForm {
    /// A complete form of `urgency` (an urgent one with its ground), for tests about what
    /// happens to a request rather than about its form.
    public static func filled(_ question: String, urgency: String = "standard", subjects: [String] = [], language: String = "en") -> RequestForm {
        RequestForm(
            question: question, urgency: urgency, purpose: "Investigation of a cross-border theft", offence: "theft of motor vehicles",
            availabilityReasons: "the vehicle was registered there", subjects: subjects,
            subjectRelation: subjects.isEmpty ? nil : "suspected of the theft", urgentGround: urgency == "urgent" ? "loss_of_relevance" : nil,
            urgentReasons: urgency == "urgent" ? "the vehicle is about to leave the region" : nil, language: language,
            requestingAuthority: "Border police, officer 4711", caseNumber: "KU-2026-0042", spocCopy: "sent", europolCopy: "not_needed",
            europolReason: "a bilateral case")
    }
}

/// The options of `pccc request new` that complete ``RequestForm/filled(_:urgency:subjects:language:)``'s
/// form: pass them with `--to`, `--urgency`, `--question` and any `--subject`.
public func requestFormFlags(urgent: Bool = false, subjects: Bool = false) -> [String] {
    let form = RequestForm.filled("", urgency: urgent ? "urgent" : "standard", subjects: subjects ? ["x"] : [])
    var flags = [
        "--request-purpose", form.purpose, "--offence", form.offence, "--availability-reasons", form.availabilityReasons, "--authority",
        form.requestingAuthority, "--case-number", form.caseNumber, "--spoc-copy", form.spocCopy, "--europol-copy", form.europolCopy,
        "--europol-reason", form.europolReason!,
    ]
    if urgent { flags += ["--urgent-ground", form.urgentGround!, "--urgent-reasons", form.urgentReasons!] }
    if subjects { flags += ["--subject-relation", form.subjectRelation!] }
    return flags
}
