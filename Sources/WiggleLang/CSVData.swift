// CSVData.swift — `read_csv(path)` and `read_csv(path, column = "x")`:
// numbers from a CSV file, parsed by CSV.swift. A path is relative to the
// script's folder (the working directory at the REPL or on standard
// input). A problem in the file is an error that names the file's own
// line and column, at the call in the script.

import CSV
import Foundation
import WiggleSyntax

/// `read_csv` for one interpreter: its messages point into the running script.
struct CSVData {
    /// The interpreter whose script calls read_csv.
    unowned(unsafe) let interpreter: Interpreter

    /// The largest CSV file read.
    static let maxCSVBytes = 256 << 20

    func readCSV(_ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        try interpreter.noKeywords("read_csv", arguments, allowed: ["column"])
        let positional = arguments.filter { $0.label == nil }
        guard positional.count == 1, case .string(let path) = positional[0].value else {
            throw interpreter.fail("read_csv expects a file name, as in read_csv(\"data.csv\")", at: positional.first?.range ?? range)
        }
        var column: String?
        if let option = interpreter.keyword("column", arguments) {
            guard case .string(let name) = option.value else {
                throw interpreter.fail("read_csv's column is a header's name, as in column = \"height\"", at: option.range)
            }
            column = name
        }
        let url = csvURL(path).resolvingSymlinksInPath()
        let place = positional[0].range
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw interpreter.fail("cannot read '\(path)': no such file (looked for \(url.path))", at: place)
        }
        guard !isDirectory.boolValue else { throw interpreter.fail("cannot read '\(path)': it is a directory", at: place) }
        guard (try? FileManager.default.attributesOfItem(atPath: url.path))?[.type] as? FileAttributeType == .typeRegular else {
            throw interpreter.fail("cannot read '\(path)': not a regular file", at: place)
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int, size > Self.maxCSVBytes {
            throw interpreter.fail("cannot read '\(path)': larger than \(Self.maxCSVBytes >> 20) MiB", at: place)
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw interpreter.fail("cannot read '\(path)': permission denied or unreadable", at: place)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw interpreter.fail("cannot read '\(path)': it is not UTF-8 text", at: place)
        }
        // An unterminated quote would swallow the rest of the file.
        if text.utf8.reduce(0, { $0 + ($1 == UInt8(ascii: "\"") ? 1 : 0) }) % 2 == 1,
           let last = text.lastIndex(of: "\"") {
            let before = text[..<last]
            let line = before.reduce(1) { $0 + ($1 == "\n" || $1 == "\r\n" ? 1 : 0) }
            let column = before.count - (before.lastIndex(where: { $0 == "\n" || $0 == "\r\n" }).map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1
            throw interpreter.fail("\(path):\(line):\(column): a quote that is never closed", at: place)
        }
        let records = try csvRecords(text, path: path, at: place)
        let table = try numericTable(records, text: text, path: path, at: place)
        if let column {
            guard let header = table.header else {
                throw interpreter.fail("\(path) has no header row to find column \"\(column)\" in (its first row is numbers)", at: range)
            }
            guard let index = header.firstIndex(of: column) else {
                throw interpreter.fail("\(path) has no column \"\(column)\"; its columns are " + header.map { "\"\($0)\"" }.joined(separator: ", "),
                           at: range)
            }
            return .list(table.rows.map { .number($0[index]) })
        }
        return try interpreter.nestedList(table.rows.map { .list($0.map(Value.number)) }, at: range)
    }

    /// A path from the script's folder, or the working directory.
    func csvURL(_ path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded) }
        let script = interpreter.file.name
        if !script.hasPrefix("<") {
            return URL(fileURLWithPath: script).deletingLastPathComponent().appendingPathComponent(expanded)
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(expanded)
    }

    /// Every record of the file, as CSV.swift reads it (blank lines dropped).
    func csvRecords(_ text: String, path: String, at place: SourceRange) throws -> [(index: Int, cells: [String])] {
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, trimFields: true)
        } catch {
            throw interpreter.fail("cannot read '\(path)' as CSV: \(error)", at: place)
        }
        var records: [(Int, [String])] = []
        var index = 0, cells = 0
        while let row = reader.next() {
            defer { index += 1 }
            if row.count == 1 && row[0].isEmpty { continue }
            records.append((index, row))
            cells += row.count
            if cells > interpreter.settings.maxListLength {
                throw interpreter.fail("\(path) has more than \(interpreter.settings.maxListLength) cells", at: place)
            }
        }
        if let error = reader.error {
            throw interpreter.fail("cannot read '\(path)' as CSV: \(error)", at: place)
        }
        return records
    }

    /// The records as numbers: a first row that is not all numbers is the
    /// header; every row must have the first row's number of cells.
    func numericTable(_ records: [(index: Int, cells: [String])], text: String, path: String,
                      at place: SourceRange) throws -> (header: [String]?, rows: [[Double]]) {
        guard let first = records.first else { throw interpreter.fail("\(path) is empty", at: place) }
        let header: [String]? = first.cells.allSatisfy { Double($0) != nil } ? nil : first.cells
        let width = first.cells.count
        var rows: [[Double]] = []
        for record in records.dropFirst(header == nil ? 0 : 1) {
            guard record.cells.count == width else {
                let (line, column) = csvPosition(text, record: record.index, field: min(width, record.cells.count - 1))
                throw interpreter.fail("\(path):\(line):\(column): this row has \(countPhrase(record.cells.count, "cell")), the first has \(width)",
                           at: place)
            }
            var numbers: [Double] = []
            for (field, cell) in record.cells.enumerated() {
                // Decimal numbers only: Double("0x10") would read hex.
                let decimal = cell.utf8.allSatisfy { byte in
                    (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || "+-.eE".utf8.contains(byte)
                }
                guard decimal, let x = Double(cell), x.isFinite else {
                    let (line, column) = csvPosition(text, record: record.index, field: field)
                    let what = cell.isEmpty ? "an empty cell" : "'\(cell.count > 40 ? String(cell.prefix(40)) + "…" : cell)'"
                    throw interpreter.fail("\(path):\(line):\(column): \(what) is not a number", at: place)
                }
                numbers.append(x)
            }
            rows.append(numbers)
        }
        return (header, rows)
    }

    /// The line and column (from 1) where a record's field starts, found by
    /// walking the text as CSV does: newlines and commas inside quotes do
    /// not count.
    func csvPosition(_ text: String, record: Int, field: Int) -> (line: Int, column: Int) {
        var line = 1, column = 1
        var currentRecord = 0, currentField = 0
        var quoted = false
        var atFieldStart = true
        var previous: Character?
        for character in text {
            if currentRecord == record && currentField == field && atFieldStart { return (line, column) }
            atFieldStart = false
            if character == "\"" {
                quoted.toggle()
            } else if !quoted && character == "," {
                currentField += 1
                atFieldStart = true
            } else if !quoted && (character == "\n" || character == "\r\n" || (character == "\r")) {
                if !(previous == "\r" && character == "\n") {
                    currentRecord += 1
                    currentField = 0
                    atFieldStart = true
                }
            }
            if character == "\n" || character == "\r\n" || character == "\r" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            previous = character
        }
        return (line, column)
    }
}
