/// The live values of a set field as its record's column holds them: one JSON array of
/// strings, distinct, sorted bytewise by UTF-8, written canonically (docs/PROTOCOL.md §7) so
/// equal sets are equal text at every node and in the state digest.
public enum SetValue {
    /// The canonical JSON array of `values`, which the caller gives distinct and sorted; nil
    /// for none, as an empty set leaves its column NULL.
    public static func encode(_ values: [String]) -> String? {
        guard !values.isEmpty else { return nil }
        var text = "["
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            text += "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: text.unicodeScalars.append(scalar)
                }
            }
            text += "\""
        }
        return text + "]"
    }

    /// The values of a column written by ``encode(_:)``; empty for NULL or for text that is not
    /// such an array.
    public static func decode(_ text: String?) -> [String] {
        guard let text else { return [] }
        var values: [String] = []
        var scalars = text.unicodeScalars.makeIterator()
        guard scalars.next() == "[" else { return [] }
        var current = ""
        var inString = false
        while let scalar = scalars.next() {
            if inString {
                switch scalar {
                case "\"":
                    values.append(current)
                    current = ""
                    inString = false
                case "\\":
                    switch scalars.next() {
                    case "\"": current += "\""
                    case "\\": current += "\\"
                    case "u":
                        var hex = ""
                        for _ in 0..<4 { if let digit = scalars.next() { hex.unicodeScalars.append(digit) } }
                        guard let value = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(value) else { return [] }
                        current.unicodeScalars.append(decoded)
                    default: return []
                    }
                default: current.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                inString = true
            } else if scalar == "]" {
                return values
            } else if scalar != "," {
                return []
            }
        }
        return []
    }

    /// The text an element is searched by: a name's surname and forenames (not its type), an
    /// identification number's number, any other element whole.
    public static func searchText(of element: String, format: FieldFormat) -> String {
        switch format {
        case .personName:
            guard let name = PersonIdentity.Name(element) else { return element }
            return [name.surname, name.forenames].compactMap { $0 }.joined(separator: " ")
        case .nationalID:
            return PersonIdentity.NationalID(element)?.number ?? element
        default:
            return element
        }
    }
}
