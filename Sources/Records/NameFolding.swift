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
        let variant = folded.replacingAll("dj", with: "d").replacingAll("gj", with: "g").replacingAll("kj", with: "k")
        return variant == folded ? [folded] : [folded, variant]
    }

    /// The search keys of an identifier (plate, VIN, document or serial number): the folded
    /// form and the same with no spaces, so `SK 123-AB`, `sk123ab` and `SK-123 AB` meet.
    public static func identifierKeys(_ value: String) -> [String] {
        let folded = fold(value)
        let compact = folded.replacingAll(" ", with: "")
        return compact == folded ? [folded] : [folded, compact]
    }

    /// Lowercases, transliterates and keeps letters, digits and single spaces.
    public static func fold(_ text: String) -> String {
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
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
