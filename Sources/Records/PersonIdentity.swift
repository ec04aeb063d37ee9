/// The shapes of a person's identity elements, each one text value of a set field
/// (docs/SCHEMA.md, *Set fields*): a typed name, a date of birth with its precision, and a
/// national identification number with its issuing country.
public enum PersonIdentity {
    /// The kinds of name a person's `names` list holds (SIS Regulation (EU) 2018/1862 Art. 20(3)).
    public static let nameTypes = ["current", "birth", "previous", "alias"]

    /// Countries whose national identification number is the 13-digit JMBG/EMBG, checked by
    /// its control digit.
    public static let unifiedNumberCountries: Set<String> = ["BA", "ME", "MK", "RS"]

    /// A typed name, written `TYPE|SURNAME` or `TYPE|SURNAME|FORENAMES`.
    public struct Name: Hashable, Sendable {
        /// current, birth, previous or alias.
        public let type: String
        /// The surname (family name).
        public let surname: String
        /// The forenames, nil when none is known.
        public let forenames: String?

        /// Reads a name element; nil when it is not of the shape (``problem(with:)`` says why).
        public init?(_ text: String) {
            guard PersonIdentity.nameProblem(text) == nil else { return nil }
            let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            type = parts[0]
            surname = parts[1]
            forenames = parts.count == 3 ? parts[2] : nil
        }

        /// The name as its element is written.
        public var element: String { type + "|" + surname + (forenames.map { "|" + $0 } ?? "") }
    }

    /// Why `text` is not a name element, as the end of a sentence, or nil.
    private static let nameShape = "must be TYPE|SURNAME or TYPE|SURNAME|FORENAMES with TYPE one of \(nameTypes.joined(separator: ", "))"

    static func nameProblem(_ text: String) -> String? {
        let shape = nameShape
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, nameTypes.contains(String(parts[0])) else { return shape }
        for part in parts.dropFirst() {
            guard !part.isEmpty else { return shape + ", each part not empty" }
            guard part.first != " ", part.last != " " else { return shape + ", with no space at either end of a part" }
            guard part.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return shape + ", with no control characters" }
        }
        return nil
    }

    /// A date known to the day, the month or the year, or a range of such dates:
    /// `1984-03-07`, `1984-03`, `1984`, `1980..1985`, `1984-03..1984-06`.
    public struct PartialDate: Hashable, Sendable {
        /// The first day it may be, `YYYY-MM-DD`.
        public let earliest: String
        /// The last day it may be, `YYYY-MM-DD`.
        public let latest: String

        /// Reads a date element; nil when it is not one.
        public init?(_ text: String) {
            let bounds = text.components(separatedBy: "..")
            guard bounds.count <= 2, let first = Self.span(bounds[0]) else { return nil }
            guard bounds.count == 2 else {
                (earliest, latest) = first
                return
            }
            guard let last = Self.span(bounds[1]), first.earliest < last.earliest, first.latest <= last.latest else { return nil }
            (earliest, latest) = (first.earliest, last.latest)
        }

        /// Whether the two may be the same day.
        public func overlaps(_ other: PartialDate) -> Bool {
            earliest <= other.latest && other.earliest <= latest
        }

        /// The first and last day of `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
        static func span(_ text: String) -> (earliest: String, latest: String)? {
            let bytes = Array(text.utf8)
            func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { bytes[$0] >= 48 && bytes[$0] <= 57 } }
            switch bytes.count {
            case 4:
                guard digits(0..<4), text >= "0001" else { return nil }
                return (text + "-01-01", text + "-12-31")
            case 7:
                guard digits(0..<4), text >= "0001", bytes[4] == UInt8(ascii: "-"), digits(5..<7), FieldFormat.isDate(Substring(text + "-01")) else {
                    return nil
                }
                let lastDay = (28...31).last { FieldFormat.isDate(Substring(text + "-\($0)")) }!
                return (text + "-01", text + "-\(lastDay)")
            case 10:
                guard text >= "0001", FieldFormat.isDate(Substring(text)) else { return nil }
                return (text, text)
            default:
                return nil
            }
        }
    }

    /// A national identification number with its issuing country, written `CC:NUMBER`.
    public struct NationalID: Hashable, Sendable {
        /// The issuing country, ISO 3166-1 alpha-2.
        public let country: String
        /// The number as written.
        public let number: String

        /// Reads an identification element; nil when it is not one.
        public init?(_ text: String) {
            guard PersonIdentity.nationalIDProblem(text) == nil, let colon = text.firstIndex(of: ":") else { return nil }
            country = String(text[..<colon])
            number = String(text[text.index(after: colon)...])
        }

    }

    /// Why `text` is not an identification element, as the end of a sentence, or nil.
    static func nationalIDProblem(_ text: String) -> String? {
        let shape = "must be COUNTRY:NUMBER, such as RS:0101990710008"
        guard let colon = text.firstIndex(of: ":") else { return shape }
        let country = String(text[..<colon])
        let number = text[text.index(after: colon)...]
        guard FieldFormat.countryCodes.contains(country) else { return shape + ", COUNTRY an ISO 3166 alpha-2 code in capitals" }
        guard (1...40).contains(number.utf8.count),
            number.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || $0 == 32 || $0 == 45 }),
            number.first != " ", number.last != " "
        else { return shape + ", NUMBER 1 to 40 capital letters, digits, spaces or dashes" }
        if unifiedNumberCountries.contains(country) {
            let digits = number.utf8.filter { $0 != 32 && $0 != 45 }
            guard digits.count == 13, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                return "must hold, for \(country), the 13 digits of a JMBG/EMBG"
            }
            guard isValidUnifiedNumber(digits.map { Int($0 - 48) }) else {
                return "has a JMBG/EMBG whose control digit is wrong; check the number"
            }
        }
        return nil
    }

    /// The control digit rule of the JMBG/EMBG: with the first twelve digits a1…a12,
    /// m = 11 − ((7(a1+a7) + 6(a2+a8) + 5(a3+a9) + 4(a4+a10) + 3(a5+a11) + 2(a6+a12)) mod 11),
    /// and the thirteenth digit is m, or 0 when m is 10 or 11.
    public static func isValidUnifiedNumber(_ digits: [Int]) -> Bool {
        guard digits.count == 13 else { return false }
        let weights = [7, 6, 5, 4, 3, 2]
        var sum = 0
        for index in 0..<6 { sum += weights[index] * (digits[index] + digits[index + 6]) }
        let m = 11 - sum % 11
        return digits[12] == (m > 9 ? 0 : m)
    }
}
