import Records
import SyncCore
import Testing

@Suite struct RecordValidationTests {
    @Test func validWritesPass() throws {
        try RecordValidation.check([FieldWrite("family_name", "Hoxha"), FieldWrite("alert", "missing")], kind: .person, isCreate: true)
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
        #expect(RecordKind.request.field(named: "status")?.mergeClass == .max(order: ["open", "acknowledged", "answered", "closed"]))
        #expect(RecordKind.person.field(named: "handling_code")?.mergeClass == .owner)
        #expect(RecordKind.hit.fields.allSatisfy { $0.mergeClass == .immutable })
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
