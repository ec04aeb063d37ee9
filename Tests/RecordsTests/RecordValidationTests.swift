import Records
import SyncCore
import Testing

@Suite struct RecordValidationTests {
    @Test func validWritesPass() throws {
        try RecordValidation.check(
            [FieldWrite("category", "witness"), FieldWrite("family_name", "Hoxha"), FieldWrite("alert", "missing")], kind: .person, isCreate: true)
    }

    @Test(arguments: [
        ([FieldWrite("colour", "red")], true, "person has no field colour"),
        (
            [FieldWrite("family_name", "A"), FieldWrite("alert", "bogus")], true,
            "field alert cannot be \"bogus\"; allowed values are wanted, missing, suspect, none"
        ),
        ([FieldWrite("given_name", "A")], true, "field family_name is required for a new person"),
        ([FieldWrite("family_name", nil)], false, "field family_name is required and cannot be cleared"),
        ([FieldWrite("family_name", "A"), FieldWrite("family_name", "B")], true, "field family_name is set twice"),
    ])
    func invalidWritesNameTheField(_ writes: [FieldWrite], _ isCreate: Bool, _ message: String) {
        #expect {
            try RecordValidation.check(writes, kind: .person, isCreate: isCreate)
        } throws: { error in
            (error as? RecordValidationError)?.reason.hasPrefix(message) ?? false
        }
    }

    @Test func immutableFieldsCannotBeUpdated() {
        #expect(throws: RecordValidationError(field: "urgency", "field urgency is fixed at creation and cannot be changed")) {
            try RecordValidation.check([FieldWrite("urgency", "standard")], kind: .request, isCreate: false)
        }
    }

    @Test func requestStatusIsAMaxRegisterInTheLegalOrder() {
        #expect(RecordSchema.builtIn[.request]!.field(named: "status")?.mergeClass == .max(order: ["open", "acknowledged", "answered", "closed"]))
        #expect(RecordSchema.builtIn[.person]!.field(named: "handling_code")?.mergeClass == .owner)
        #expect(RecordSchema.builtIn[.hit]!.fields.allSatisfy { $0.mergeClass == .immutable })
    }

    @Test(arguments: [("Ђорђевић", "Đorđević"), ("Đorđević", "Djordjevic"), ("ĐORĐEVIĆ", "djordjevic"), ("Çela", "Cela"), ("Ѓорѓиевски", "Gjorgjievski")])
    func namesInDifferentScriptsShareAKey(_ a: String, _ b: String) {
        #expect(NameFolding.fold(a) == NameFolding.fold(b))
    }

    @Test func dordevicMeetsDjordjevicThroughTheDVariant() {
        #expect(Set(NameFolding.keys("Ђорђевић")).contains(NameFolding.fold("Dordevic")))
    }

    @Test func civilTimeFormatting() {
        #expect(Timestamps.iso8601(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamps.iso8601(milliseconds: 951_782_400_123) == "2000-02-29T00:00:00.123Z")
        #expect(Timestamps.iso8601(milliseconds: 1_798_761_599_999) == "2026-12-31T23:59:59.999Z")
    }
}

@Suite struct FieldFormatValidationTests {
    @Test(arguments: [
        (RecordKind.person, "birth_date", "1984-3-7", "field birth_date must be a date written YYYY-MM-DD, such as 1984-03-07, not \"1984-3-7\""),
        (.person, "birth_date", "1983-02-29", "field birth_date must be a date written YYYY-MM-DD"),
        (.person, "birth_date", "07.03.1984", "field birth_date must be a date written YYYY-MM-DD"),
        (.person, "birth_date", "1900-02-29", "field birth_date must be a date written YYYY-MM-DD"),
        (.person, "birth_date", "1984-13-07", "field birth_date must be a date written YYYY-MM-DD"),
        (.person, "birth_date", "1984-00-07", "field birth_date must be a date written YYYY-MM-DD"),
        (.person, "birth_date", "1984-04-31", "field birth_date must be a date written YYYY-MM-DD"),
        (.person, "birth_date", "1984-03-00", "field birth_date must be a date written YYYY-MM-DD"),
        (.person, "birth_date", "1984-03-071", "field birth_date must be a date written YYYY-MM-DD"),
        (.person, "birth_date", "1984/03/07", "field birth_date must be a date written YYYY-MM-DD"),
        (.person, "birth_date", "１９８４-03-07", "field birth_date must be a date written YYYY-MM-DD"),
        (.person, "birth_date", "1984-03-0\u{0661}", "field birth_date must be a date written YYYY-MM-DD"),
        (.person, "birth_date", "1984-03-0", "field birth_date must be a date written YYYY-MM-DD"),
        (.hit, "checked_at", "2026-02-30T10:00:00Z", "field checked_at must be a time"),
        (
            .person, "nationality", "Serbia",
            "field nationality must be an ISO 3166 alpha-2 country code in capitals, such as RS, MK, ME, AL, BA or XK, not \"Serbia\""
        ),
        (.person, "nationality", "rs", "field nationality must be an ISO 3166 alpha-2 country code"),
        (.vehicle, "registration_country", "QQ", "field registration_country must be an ISO 3166 alpha-2 country code"),
        (.document, "issuing_country", "SRB", "field issuing_country must be an ISO 3166 alpha-2 country code"),
        (.hit, "checked_at", "yesterday", "field checked_at must be a time written YYYY-MM-DDTHH:MM:SSZ or with an offset such as +01:00, not \"yesterday\""),
        (.hit, "checked_at", "2026-11-22T25:00:00Z", "field checked_at must be a time"),
        (.hit, "checked_at", "2026-11-22T10:00:00", "field checked_at must be a time"),
        (.person, "handling_code", "H4", "field handling_code cannot be \"H4\"; allowed values are H0, H1, H2, H3"),
        (.person, "source_reliability", "D", "field source_reliability cannot be \"D\"; allowed values are A, B, C, X"),
        (.person, "info_accuracy", "5", "field info_accuracy cannot be \"5\"; allowed values are 1, 2, 3, 4"),
        (.person, "sex", "female", "field sex cannot be \"female\"; allowed values are F, M, X"),
        (.vehicle, "alert", "missing", "field alert cannot be \"missing\"; allowed values are stolen, wanted, none"),
        (.document, "status", "found", "field status cannot be \"found\"; allowed values are stolen, lost, invalid, false, misappropriated"),
        (.request, "urgency", "asap", "field urgency cannot be \"asap\"; allowed values are urgent_direct, urgent_indirect, standard"),
    ])
    func aWrongValueIsRefusedNamingTheFieldAndWhatIsAllowed(_ kind: RecordKind, _ field: String, _ value: String, _ message: String) {
        #expect {
            try RecordValidation.check([FieldWrite(field, value)], kind: RecordSchema.builtIn[kind]!, isCreate: true)
        } throws: { error in
            guard let error = error as? RecordValidationError else { return false }
            return error.field == field && error.reason.hasPrefix(message)
        }
    }

    @Test(arguments: [
        (RecordKind.person, "birth_date", "2000-02-29"), (.person, "birth_date", "2024-02-29"), (.person, "birth_date", "0001-12-31"),
        (.person, "nationality", "MK"), (.person, "nationality", "XK"),
        (.vehicle, "registration_country", "AL"), (.hit, "checked_at", "2026-11-22T10:00:00Z"), (.hit, "checked_at", "2026-11-22T10:00:00.125+01:00"),
        (.hit, "checked_at", "2026-03-29T02:30-01:00"), (.person, "handling_code", "H2"), (.person, "info_accuracy", "4"),
    ])
    func goodValuesPass(_ kind: RecordKind, _ field: String, _ value: String) throws {
        // A whole create: the kind's other required fields with plain values.
        let others = RecordSchema.builtIn[kind]!.fields.filter { $0.isRequired && $0.name != field }.map { FieldWrite($0.name, $0.allowedValues?.first ?? "x") }
        try RecordValidation.check(others + [FieldWrite(field, value)], kind: RecordSchema.builtIn[kind]!, isCreate: true)
    }
}
