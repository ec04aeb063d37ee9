/// The shape a free-text field's value must have, checked on local writes.
public enum FieldFormat: String, Hashable, Sendable {
    /// Any text.
    case text
    /// A calendar date, `YYYY-MM-DD`.
    case date
    /// An ISO 3166-1 alpha-2 country code, upper case (`RS`, `MK`).
    case country
    /// A UTC or offset timestamp, `YYYY-MM-DDTHH:MM[:SS[.fff]]` then `Z` or `±HH:MM`.
    case timestamp
    /// A typed name, `TYPE|SURNAME[|FORENAMES]` (``PersonIdentity/Name``).
    case personName = "person_name"
    /// A date known to the day, month or year, or a range of them (``PersonIdentity/PartialDate``).
    case partialDate = "partial_date"
    /// A national identification number, `COUNTRY:NUMBER`, a JMBG/EMBG checked by its control
    /// digit (``PersonIdentity/NationalID``).
    case nationalID = "national_id"

    /// Why `value` does not fit, as the end of a sentence, or nil when it fits.
    func problem(with value: String) -> String? {
        switch self {
        case .text:
            return nil
        case .date:
            return Self.isDate(Substring(value)) ? nil : "must be a date written YYYY-MM-DD, such as 1984-03-07"
        case .country:
            return Self.countryCodes.contains(value)
                ? nil : "must be an ISO 3166 alpha-2 country code in capitals, such as RS, MK, ME, AL, BA or XK"
        case .timestamp:
            return Self.isTimestamp(value) ? nil : "must be a time written YYYY-MM-DDTHH:MM:SSZ or with an offset such as +01:00"
        case .personName:
            return PersonIdentity.nameProblem(value)
        case .partialDate:
            return PersonIdentity.PartialDate(value) != nil
                ? nil : "must be a date written YYYY-MM-DD, YYYY-MM or YYYY, or a range of them such as 1980..1985"
        case .nationalID:
            return PersonIdentity.nationalIDProblem(value)
        }
    }

    /// `YYYY-MM-DD`, a day that exists; checked on the bytes, as every accepted character is
    /// one ASCII byte.
    static func isDate(_ text: Substring) -> Bool {
        let bytes = text.utf8
        guard bytes.count == 10 else { return false }
        var digits: [Int] = []
        digits.reserveCapacity(8)
        for (offset, byte) in bytes.enumerated() {
            if offset == 4 || offset == 7 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return false }
                digits.append(Int(byte - UInt8(ascii: "0")))
            }
        }
        let year = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3]
        let month = digits[4] * 10 + digits[5]
        let day = digits[6] * 10 + digits[7]
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    static func isTimestamp(_ text: String) -> Bool {
        guard let t = text.firstIndex(of: "T"), isDate(text[..<t]) else { return false }
        var time = text[text.index(after: t)...]
        if time.hasSuffix("Z") {
            time = time.dropLast()
        } else if time.count > 6, ["+", "-"].contains(time[time.index(time.endIndex, offsetBy: -6)]) {
            let offset = time.suffix(5)
            guard isClock(offset, allowSeconds: false) else { return false }
            time = time.dropLast(6)
        } else {
            return false
        }
        if let dot = time.firstIndex(of: ".") {
            let fraction = time[time.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            time = time[..<dot]
        }
        return isClock(time, allowSeconds: true)
    }

    private static func isClock(_ text: Substring, allowSeconds: Bool) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || (allowSeconds && parts.count == 3),
            parts.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { return false }
        let numbers = parts.compactMap { Int($0) }
        return numbers[0] < 24 && numbers[1] < 60 && (numbers.count < 3 || numbers[2] < 60)
    }

    /// ISO 3166-1 alpha-2, plus XK (Kosovo, user-assigned and used by the EU).
    static let countryCodes: Set<String> = Set(
        """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
        CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
        GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
        JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR
        MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
        RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
        TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
        """.split(whereSeparator: \.isWhitespace).map(String.init)
    )
}
