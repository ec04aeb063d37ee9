import Records

/// The built-in kinds the validation tests write, by the names they had as an enum.
extension KindSchema {
    static let person = RecordSchema.builtIn[.person]!
    static let request = RecordSchema.builtIn[.request]!
}
