import Foundation

/// What a node asks of the purpose given with every consultation, search, listing and export
/// (Directive (EU) 2016/680 Art. 25: the log must show the justification). An admin sets it;
/// a new node requires free text.
public enum PurposeRule: String, CaseIterable, Sendable {
    /// A purpose in words, at least ``shortestFreeText`` characters.
    case freeText = "free-text"
    /// A purpose that starts with one of the node's listed case numbers, then optionally a
    /// space and words.
    case caseNumber = "case-number"
    /// No purpose needed.
    case none

    /// The fewest characters, spaces aside at either end, a free-text purpose has.
    public static let shortestFreeText = 3
    /// The most characters a purpose has, whatever the rule; a longer one is refused, not cut.
    public static let longestPurpose = 200
    /// The audited actions that read personal data and so need a purpose; the audit log holds
    /// what was searched for, as typed, so reading it is one of them.
    public static let consultingActions: Set<String> = ["consult", "search", "list", "export", "audit_list"]

    /// A case number as it is kept and compared: one Unicode spelling (NFC) of each letter, so
    /// `Ž` typed as one character or as `Z` and a caron is the same case.
    public static func normalized(_ number: String) -> String { number.precomposedStringWithCanonicalMapping }

    /// Control (but the tab a header may hold), format (zero-width) and line-break characters,
    /// which a purpose may not hold.
    private static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// Whether a case number is well formed: 1 to 64 letters, digits and `/ - . _`, starting
    /// with a letter or digit, so it holds no space and its end in a purpose is plain.
    public static func isValidCaseNumber(_ text: String) -> Bool {
        func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) }
        guard (1...64).contains(text.utf8.count), let first = text.unicodeScalars.first, isLetterOrDigit(first) else { return false }
        return text.unicodeScalars.allSatisfy { isLetterOrDigit($0) || "/-._".unicodeScalars.contains($0) }
    }

    /// Nil when `purpose` satisfies the rule, else one sentence saying what is missing;
    /// `isListed` says whether a case number is listed at the node.
    public func refusal(of purpose: String?, isListed: (String) throws -> Bool) rethrows -> String? {
        // Bytes first, so no text is looked at beyond what a purpose may hold.
        if let purpose, purpose.utf8.count > 4 * Self.longestPurpose { return "a purpose is at most \(Self.longestPurpose) characters" }
        if let purpose, purpose.unicodeScalars.contains(where: Self.isInvisible) {
            return "a purpose is one line of visible text, without control or formatting characters"
        }
        let given = purpose?.trimmingCharacters(in: .whitespaces) ?? ""
        if given.count > Self.longestPurpose { return "a purpose is at most \(Self.longestPurpose) characters" }
        switch self {
        case .none:
            return nil
        case .freeText:
            guard given.count >= Self.shortestFreeText else {
                return "this node requires a purpose of at least \(Self.shortestFreeText) characters, such as a case number, "
                    + "for every consultation, search, listing and export"
            }
            return nil
        case .caseNumber:
            guard !given.isEmpty else {
                return "this node requires a purpose that starts with one of its case numbers for every consultation, search, listing and "
                    + "export; pccc purposes show lists them"
            }
            let number = Self.normalized(String(given.prefix { $0 != " " }))
            guard try isListed(number) else {
                return "the purpose must start with one of this node's case numbers (pccc purposes show lists them), and \(number) is not one"
            }
            return nil
        }
    }
}
