import Yams

/// A YAML document an admin wrote (the region's topology, its record schema) that cannot be
/// used: the file, the line when known, and one sentence, as `pccc topology validate`,
/// `pccc schema validate` and a refusing node print it.
public struct DocumentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file the error is in.
    public let file: String
    /// The 1-based line, when known.
    public let line: Int?
    /// What is wrong, one sentence.
    public let reason: String

    /// Creates the error.
    public init(file: String, line: Int?, _ reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    /// A one-line human-readable form.
    public var description: String {
        line.map { "\(file):\($0): \(reason)" } ?? "\(file): \(reason)"
    }
}

/// Reading an admin's YAML into nodes that keep their lines, so every later refusal names one.
public enum DocumentYAML {
    /// The document's root node; an empty file is refused with `whenEmpty`, and text that is
    /// not YAML with Yams' message on one line and the line it points at.
    public static func compose(_ yaml: String, file: String, whenEmpty: String) throws(DocumentError) -> Yams.Node {
        do {
            guard let root = try Yams.compose(yaml: yaml) else { throw DocumentError(file: file, line: nil, whenEmpty) }
            return root
        } catch let error as DocumentError {
            throw error
        } catch let error as YamlError {
            throw DocumentError(file: file, line: line(of: error), "the file is not valid YAML: \(oneLine(error))")
        } catch {
            throw DocumentError(file: file, line: nil, "the file is not valid YAML: \(error)")
        }
    }

    /// Yams' message without the quoted source and caret lines that follow it.
    private static func oneLine(_ error: YamlError) -> String {
        let lines = "\(error)".split(separator: "\n", omittingEmptySubsequences: true)
        let text = lines.prefix(max(1, lines.count - 2)).joined(separator: " ")
        return text.hasSuffix(":") ? String(text.dropLast()) : text
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }
}
