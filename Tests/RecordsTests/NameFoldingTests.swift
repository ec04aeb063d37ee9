import Testing

@testable import Records

/// The scalar and byte-level fast paths of name folding give exactly what the character-level rules give,
/// over every short string of the characters that matter to each.
@Suite struct NameFoldingTests {
    /// Every string of up to `length` elements of `alphabet`.
    static func strings(of alphabet: [String], upTo length: Int) -> [String] {
        var all = [""]
        var last = [""]
        for _ in 0..<length {
            last = last.flatMap { prefix in alphabet.map { prefix + $0 } }
            all += last
        }
        return all
    }

    @Test func asciiFoldingMatchesTheCharacterRules() {
        let texts = Self.strings(of: ["A", "z", "5", " ", "-", "\r", "\n", "\r\n"], upTo: 5)
        #expect(texts.count == 37_449)
        for text in texts {
            #expect(NameFolding.fold(text) == NameFolding.foldCharacters(text), "\(text.debugDescription)")
        }
    }

    /// Latin and Cyrillic letters of the map in both cases go through the scalar path; a
    /// combining accent, `İ`, `ß`'s capital and a letter outside the map must give the same
    /// result through the character path.
    @Test func transliteratedFoldingMatchesTheCharacterRules() {
        let alphabet = ["Đ", "đ", "Ж", "ж", "Ѓ", "ç", "ẞ", "ß", "İ", "ı", "e\u{301}", "ø", "A", "5", " ", "-", "\r\n"]
        let texts = Self.strings(of: alphabet, upTo: 4)
        #expect(texts.count == 88_741)
        for text in texts {
            #expect(NameFolding.fold(text) == NameFolding.foldCharacters(text), "\(text.debugDescription)")
        }
        #expect(NameFolding.fold("ĐORĐEVIĆ Љубица") == "djordjevic ljubica")
    }

    @Test func theDigraphVariantReplacesDjGjKjInTurn() {
        func replacingAll(_ text: String, _ target: String, _ replacement: String) -> String {
            text.split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
        }
        for name in Self.strings(of: ["d", "g", "k", "j", "a", " ", "đ"], upTo: 6) {
            let folded = NameFolding.fold(name)
            let variant = replacingAll(replacingAll(replacingAll(folded, "dj", "d"), "gj", "g"), "kj", "k")
            #expect(NameFolding.keys(name) == (variant == folded ? [folded] : [folded, variant]), "\(name.debugDescription)")
        }
    }
}
