/// Folds names to search keys so spellings of one name in different scripts meet:
/// Serbian and Macedonian Cyrillic are transliterated, Latin diacritics dropped, case folded.
public enum NameFolding {
    private static let map: [Character: String] = [
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "dj", "е": "e", "ж": "z", "з": "z",
        "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "c", "у": "u", "ф": "f", "х": "h", "ц": "c",
        "ч": "c", "џ": "dz", "ш": "s", "ѓ": "gj", "ќ": "kj", "ѕ": "dz", "й": "j", "ы": "y", "э": "e",
        "ю": "ju", "я": "ja", "щ": "sc", "ь": "", "ъ": "",
        "đ": "dj", "ć": "c", "č": "c", "š": "s", "ž": "z", "ë": "e", "ç": "c", "ä": "a", "ö": "o",
        "ü": "u", "ß": "ss", "á": "a", "à": "a", "â": "a", "é": "e", "è": "e", "ê": "e", "í": "i",
        "ì": "i", "î": "i", "ó": "o", "ò": "o", "ô": "o", "ú": "u", "ù": "u", "û": "u", "ñ": "n",
        "ł": "l", "ř": "r", "ě": "e", "ů": "u", "ý": "y", "ğ": "g", "ı": "i", "ş": "s", "ő": "o",
        "ű": "u", "ă": "a", "ș": "s", "ț": "t", "ţ": "t", "ň": "n", "ď": "d", "ť": "t",
    ]

    /// The search keys of a name: the folded form and, where it differs, the form with the
    /// digraphs `dj`, `gj` and `kj` read as one letter, since both are common ASCII spellings
    /// of `đ` (Serbian) and of `ѓ`, `ќ` (Macedonian).
    public static func keys(_ name: String) -> [String] {
        let folded = fold(name)
        let variant = dropDigraphJ(folded)
        return variant == folded ? [folded] : [folded, variant]
    }

    /// The search keys of an identifier (plate, VIN, document or serial number): the folded
    /// form and the same with no spaces, so `SK 123-AB`, `sk123ab` and `SK-123 AB` meet.
    public static func identifierKeys(_ value: String) -> [String] {
        let folded = fold(value)
        let compact = String(decoding: folded.utf8.filter { $0 != UInt8(ascii: " ") }, as: UTF8.self)
        return compact == folded ? [folded] : [folded, compact]
    }

    /// Lowercases, transliterates and keeps letters, digits and single spaces.
    public static func fold(_ text: String) -> String {
        foldScalars(text) ?? foldCharacters(text)
    }

    /// The rules, one character (grapheme) at a time: what `fold` does for any text.
    static func foldCharacters(_ text: String) -> String {
        var out = ""
        var lastWasSpace = true
        for char in text.lowercased() {
            if let replacement = map[char] {
                out += replacement
                lastWasSpace = false
            } else if char.isLetter || char.isNumber {
                out.append(char)
                lastWasSpace = false
            } else if !lastWasSpace {
                out.append(" ")
                lastWasSpace = true
            }
        }
        if out.last == " " { out.removeLast() }
        return out
    }

    /// `foldCharacters` one Unicode scalar at a time, for text made only of ASCII and of the
    /// letters `map` replaces (either case); nil for any other text. No such scalar combines
    /// with its neighbours into one character, so the result is the same without grapheme
    /// breaking, Unicode case mapping or hashing characters, which made folding the largest
    /// cost of indexing a record's names.
    private static func foldScalars(_ text: String) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 8)
        var lastWasSpace = true
        for scalar in text.unicodeScalars {
            guard scalar.isASCII else {
                guard let replacement = scalarMap[scalar.value] else { return nil }
                out += replacement
                lastWasSpace = false
                continue
            }
            let byte = UInt8(scalar.value)
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                out.append(byte + 32)
                lastWasSpace = false
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.append(byte)
                lastWasSpace = false
            default:
                if !lastWasSpace {
                    out.append(UInt8(ascii: " "))
                    lastWasSpace = true
                }
            }
        }
        if out.last == UInt8(ascii: " ") { out.removeLast() }
        return String(decoding: out, as: UTF8.self)
    }

    /// `map` by scalar: each replaced letter, and its capital where lowercasing that one
    /// scalar gives exactly the letter back (so not `İ`, which lowercases to two scalars).
    private static let scalarMap: [UInt32: [UInt8]] = {
        var table: [UInt32: [UInt8]] = [:]
        for (letter, replacement) in map {
            let text = String(letter)
            guard letter.unicodeScalars.count == 1, let scalar = letter.unicodeScalars.first, text.lowercased() == text else { continue }
            table[scalar.value] = Array(replacement.utf8)
            let capital = text.uppercased()
            if capital.unicodeScalars.count == 1, let upper = capital.unicodeScalars.first, !upper.isASCII, capital.lowercased() == text {
                table[upper.value] = Array(replacement.utf8)
            }
        }
        return table
    }()

    /// `dj`, `gj` and `kj` read as `d`, `g` and `k`, in one pass over the bytes (ASCII pairs
    /// never occur inside a multi-byte UTF-8 sequence).
    private static func dropDigraphJ(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "j")) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            out.append(byte)
            if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "j"),
                byte == UInt8(ascii: "d") || byte == UInt8(ascii: "g") || byte == UInt8(ascii: "k")
            {
                index += 2
            } else {
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
