import Foundation

/// One row of a file `pccc record import` reads: its number in the file (the header is row 1
/// of a CSV file; the first object is row 1 of a JSON file), its fields and its list entries.
public struct ImportRow: Sendable, Equatable {
    /// Its number, as the report names it.
    public let number: Int
    /// The fields it sets.
    public let fields: [FieldWriteValue]
    /// The entries it adds to lists.
    public let lists: [String: [String]]
    /// Why the row cannot be a record, when it cannot (a cell count unlike the header's, a
    /// value that is not text): the row is refused and the file read on.
    public let problem: String?

    /// A row.
    public init(number: Int, fields: [FieldWriteValue], lists: [String: [String]], problem: String? = nil) {
        self.number = number
        self.fields = fields
        self.lists = lists
        self.problem = problem
    }
}

/// A field name with its value, as a row gives it.
public struct FieldWriteValue: Sendable, Equatable {
    /// The field.
    public let field: String
    /// Its value.
    public let value: String

    /// A field and value.
    public init(_ field: String, _ value: String) {
        self.field = field
        self.value = value
    }
}

/// A file `pccc record import` cannot read at all; the message names the row.
public struct ImportFileError: Error, Equatable, CustomStringConvertible {
    /// One sentence.
    public let description: String

    init(_ description: String) { self.description = description }
}

/// Reads the rows of an import file, CSV (RFC 4180: a header of field names, then one
/// record per row; a list's entries joined by `;` in one cell) or JSON (an array of objects
/// of field names to a text, or for a list an array of texts). Rows are read one at a time,
/// so a national list is never held whole as rows.
public struct ImportFileReader {
    /// The two formats.
    public enum Format: String, Sendable, CaseIterable {
        case csv
        case json
    }

    /// The longest row, in bytes: a limit checked before a row is kept.
    public static let maxRowBytes = 256 * 1024
    /// The most columns a row may have.
    public static let maxColumns = 256

    private let bytes: [UInt8]
    private let format: Format
    private let listFields: Set<String>
    private var offset = 0
    private var header: [String] = []
    private var rowNumber = 0
    private var jsonRows: [[String: Any]]? = nil

    /// How far through the file reading is, from 0 to 1.
    public var progress: Double { bytes.isEmpty ? 1 : Double(offset) / Double(bytes.count) }

    /// A reader of `data` in `format`; `listFields` are the fields whose cells hold entries.
    public init(_ data: Data, format: Format, listFields: Set<String>) throws(ImportFileError) {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        self.bytes = bytes
        self.format = format
        self.listFields = listFields
        switch format {
        case .csv:
            guard let first = try nextCells(), !first.isEmpty, first != [""] else {
                throw ImportFileError("the file is empty; a CSV file starts with a header of field names")
            }
            guard first.count <= Self.maxColumns else { throw ImportFileError("row 1 has more than \(Self.maxColumns) columns") }
            var seen = Set<String>()
            for name in first {
                guard !name.isEmpty else { throw ImportFileError("row 1, the header, has an empty column name") }
                guard seen.insert(name).inserted else { throw ImportFileError("row 1, the header, names column \(name) twice") }
            }
            header = first
            rowNumber = 1
        case .json:
            let parsed: Any
            do {
                parsed = try JSONSerialization.jsonObject(with: Data(bytes))
            } catch {
                throw ImportFileError("the file is not valid JSON: \(error.localizedDescription)")
            }
            guard let rows = parsed as? [Any] else { throw ImportFileError("a JSON import file is an array of objects, one per record") }
            var objects: [[String: Any]] = []
            for (index, row) in rows.enumerated() {
                guard let object = row as? [String: Any] else { throw ImportFileError("row \(index + 1) is not an object of field names to values") }
                objects.append(object)
            }
            jsonRows = objects
        }
    }

    /// The header's column names (CSV), or nil for JSON.
    public var columns: [String]? { format == .csv ? header : nil }

    /// The next row, nil at the end; a row that cannot be read as a row (a quote left open, a
    /// cell count unlike the header's, a value that is not text) is refused with its number.
    public mutating func next() throws(ImportFileError) -> ImportRow? {
        switch format {
        case .csv:
            while true {
                guard let cells = try nextCells() else { return nil }
                rowNumber += 1
                if cells == [""] { continue }
                guard cells.count == header.count else {
                    return ImportRow(number: rowNumber, fields: [], lists: [:], problem: "the row has \(cells.count) cells and the header \(header.count)")
                }
                var fields: [FieldWriteValue] = []
                var lists: [String: [String]] = [:]
                for (name, cell) in zip(header, cells) where !cell.isEmpty {
                    if listFields.contains(name) {
                        lists[name] = cell.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    } else {
                        fields.append(FieldWriteValue(name, cell))
                    }
                }
                return ImportRow(number: rowNumber, fields: fields, lists: lists)
            }
        case .json:
            guard let rows = jsonRows, rowNumber < rows.count else {
                offset = bytes.count
                return nil
            }
            let object = rows[rowNumber]
            rowNumber += 1
            offset = bytes.count * rowNumber / rows.count
            var fields: [FieldWriteValue] = []
            var lists: [String: [String]] = [:]
            for name in object.keys.sorted() {
                switch object[name] {
                case let text as String where listFields.contains(name): lists[name] = [text]
                case let text as String: fields.append(FieldWriteValue(name, text))
                case let entries as [Any] where listFields.contains(name):
                    let texts = entries.compactMap { $0 as? String }
                    guard texts.count == entries.count else {
                        return ImportRow(number: rowNumber, fields: [], lists: [:], problem: "each entry of \(name) must be text")
                    }
                    lists[name] = texts
                case is NSNull: continue
                default:
                    return ImportRow(
                        number: rowNumber, fields: [], lists: [:], problem: "\(name) must be text\(listFields.contains(name) ? " or a list of texts" : "")")
                }
            }
            return ImportRow(number: rowNumber, fields: fields, lists: lists)
        }
    }

    /// The cells of the next CSV row, nil at the end of the file.
    private mutating func nextCells() throws(ImportFileError) -> [String]? {
        guard offset < bytes.count else { return nil }
        let start = offset
        var cells: [String] = []
        var cell: [UInt8] = []
        var quoted = false
        while offset < bytes.count {
            guard offset - start <= Self.maxRowBytes else {
                throw ImportFileError("row \(rowNumber + 1) is longer than \(Self.maxRowBytes / 1024) KiB")
            }
            let byte = bytes[offset]
            offset += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") {
                        cell.append(byte)
                        offset += 1
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\"") where cell.isEmpty: quoted = true
            case UInt8(ascii: ","):
                cells.append(try text(cell))
                cell = []
                guard cells.count <= Self.maxColumns else { throw ImportFileError("row \(rowNumber + 1) has more than \(Self.maxColumns) columns") }
            case UInt8(ascii: "\n"):
                cells.append(try text(cell))
                return cells
            case UInt8(ascii: "\r") where offset < bytes.count && bytes[offset] == UInt8(ascii: "\n"): continue
            case UInt8(ascii: "\r"):
                // A lone CR ends a row too (files saved with classic Mac line ends).
                cells.append(try text(cell))
                return cells
            default: cell.append(byte)
            }
        }
        if quoted { throw ImportFileError("row \(rowNumber + 1) opens a quote that never closes") }
        cells.append(try text(cell))
        return cells
    }

    private func text(_ cell: [UInt8]) throws(ImportFileError) -> String {
        guard let text = String(validating: cell, as: UTF8.self) else { throw ImportFileError("row \(rowNumber + 1) is not valid UTF-8") }
        return text
    }
}
