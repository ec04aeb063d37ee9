/// The strong identifiers a record is matched by when duplicates are looked for: national
/// identification, document, plate, VIN, serial, object and registration numbers, each
/// compared ignoring spaces and dashes and the case of ASCII letters. A key is the field's
/// prefix, `:`, and the compacted number, so a plate never matches a serial.
public enum MatchKeys {
    /// The fields of each built-in kind that hold strong identifiers, with their key prefixes.
    /// The derived table `match_key` holds these keys (docs/SCHEMA.md, *Duplicates*).
    public static let fields: [RecordKind: [(field: String, prefix: String)]] = [
        .person: [("national_ids", "nid")],
        .document: [("number", "doc")],
        .vehicle: [("plate", "plate"), ("vin", "vin")],
        .firearm: [("serial", "serial")],
        .object: [("identifier", "object")],
        .organisation: [("registration_number", "org")],
    ]

    /// Every field of any kind that feeds a key.
    public static func isKeyed(_ kind: RecordKind, _ field: String) -> Bool {
        fields[kind]?.contains { $0.field == field } ?? false
    }

    /// The keys of a record of `kind` with these column values (a list's column holds its JSON
    /// array), distinct and sorted.
    public static func keys(kind: RecordKind, values: [String: String]) -> [String] {
        guard let keyed = fields[kind] else { return [] }
        var keys = Set<String>()
        for (field, prefix) in keyed {
            guard let value = values[field] else { continue }
            // A national number is matched within its country; a JMBG/EMBG across the four
            // countries that issue it, as the number itself is unique across them.
            let numbers: [String] =
                field == "national_ids"
                ? SetValue.decode(value).compactMap { entry in
                    PersonIdentity.NationalID(entry).map { id in
                        (PersonIdentity.unifiedNumberCountries.contains(id.country) ? "JMBG" : id.country) + ":" + compact(id.number)
                    }
                } : [compact(value)]
            for number in numbers where !number.isEmpty && !number.hasSuffix(":") { keys.insert(prefix + ":" + number) }
        }
        return keys.sorted()
    }

    /// The number without spaces and dashes, ASCII letters in capitals; other letters as they
    /// are, as SQLite's `upper` leaves them (the migration that filled `match_key` used it).
    public static func compact(_ number: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(number.utf8.count)
        for byte in number.utf8 where byte != UInt8(ascii: " ") && byte != UInt8(ascii: "-") {
            bytes.append(byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
