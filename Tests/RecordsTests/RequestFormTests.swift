import Records
import SyncCore
import TestSupport
import Testing

/// The form of Art. 4 of Directive (EU) 2023/977: each gap is refused in one sentence naming
/// the field, and a complete form writes every field it holds.
@Suite struct RequestFormTests {
    static let accepted = ["en", "sr"]

    /// The form with `field` set to `value` (nil clears it).
    static func form(with field: String, _ value: String?) -> RequestForm {
        var form = RequestForm.filled("Owner of NI-123-AB?", urgency: "urgent", subjects: ["0190f7c2-0000-7000-8000-000000000001"])
        switch field {
        case "question": form.question = value ?? ""
        case "urgency": form.urgency = value ?? ""
        case "purpose": form.purpose = value ?? ""
        case "offence": form.offence = value ?? ""
        case "availability_reasons": form.availabilityReasons = value ?? ""
        case "subject_relation": form.subjectRelation = value
        case "urgent_ground": form.urgentGround = value
        case "urgent_reasons": form.urgentReasons = value
        case "language": form.language = value ?? ""
        case "requesting_authority": form.requestingAuthority = value ?? ""
        case "case_number": form.caseNumber = value ?? ""
        case "spoc_copy": form.spocCopy = value ?? ""
        case "europol_copy": form.europolCopy = value ?? ""
        case "europol_reason": form.europolReason = value
        default: Issue.record("no field \(field) in the form")
        }
        return form
    }

    @Test(
        arguments: [
            ("question", " "), ("urgency", "urgent_direct"), ("purpose", ""), ("offence", ""), ("availability_reasons", ""),
            ("subject_relation", nil), ("urgent_ground", nil), ("urgent_ground", "curiosity"), ("urgent_reasons", ""), ("language", "EN"),
            ("language", "fr"), ("requesting_authority", ""), ("case_number", ""), ("spoc_copy", "forgot"), ("europol_copy", "maybe"),
            ("europol_reason", nil),
        ] as [(String, String?)])
    func aGapIsRefusedNamingItsField(_ field: String, _ value: String?) {
        #expect(throws: Never.self) { try Self.form(with: "question", "Owner?").check(acceptedLanguages: Self.accepted) }
        #expect {
            try Self.form(with: field, value).check(acceptedLanguages: Self.accepted)
        } throws: { error in
            (error as? RecordValidationError)?.field == field
        }
    }

    @Test func aStandardRequestHasNoUrgentGroundAndEuropolSentHasNoReason() {
        var standard = RequestForm.filled("Owner?")
        standard.urgentGround = "public_security"
        #expect(throws: RecordValidationError(field: "urgent_ground", "only an urgent request has an urgent ground and reasons")) {
            try standard.check(acceptedLanguages: ["en"])
        }
        var sent = RequestForm.filled("Owner?")
        sent.europolCopy = "sent"
        #expect(throws: RecordValidationError(field: "europol_reason", "a reason is given only when Europol is not copied")) {
            try sent.check(acceptedLanguages: ["en"])
        }
        sent.europolReason = nil
        #expect(throws: Never.self) { try sent.check(acceptedLanguages: ["en"]) }
    }

    @Test func aLanguageTheRequestedCentreDoesNotTakeIsRefusedWithTheOnesItDoes() {
        #expect(throws: RecordValidationError(field: "language", "the requested centre accepts requests in en, sr, not in fr (Art. 4(6))")) {
            try RequestForm.filled("?", language: "fr").check(acceptedLanguages: ["en", "sr"])
        }
        #expect(throws: Never.self) { try RequestForm.filled("?", language: "sr").check(acceptedLanguages: ["en", "sr"]) }
    }

    @Test func theFormWritesEveryFieldItHoldsAndTheSchemaKnowsThem() throws {
        let form = RequestForm.filled("Owner?", urgency: "urgent", subjects: ["s1", "s2"])
        let writes = form.writes(from: "a", to: "b")
        let kind = try #require(RecordSchema.builtIn[.request])
        try RecordValidation.check(writes, kind: kind, isCreate: true)
        let values = Dictionary(uniqueKeysWithValues: writes.map { ($0.field, $0.value) })
        #expect(values["subject_ids"] == "s1,s2" && values["urgent_ground"] == "loss_of_relevance" && values["europol_reason"] == "a bilateral case")
        #expect(values["from_node"] == "a" && values["to_node"] == "b" && values["status"] == "open")
    }
}
