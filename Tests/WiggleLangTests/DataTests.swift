import Foundation
import Testing
import WiggleLang

/// read_csv: numbers from CSV files beside the script, and errors that name
/// the file's own line and column.
@Suite struct DataTests {
    /// A folder with a script name in it and the given files.
    func folder(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wiggle-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files { try Data(text.utf8).write(to: url.appendingPathComponent(name)) }
        return url
    }

    @Test func rowsAndColumns() throws {
        let dir = try folder(["h.csv": "height, weight\r\n170.5,65\r\n\r\n180,\"80\"\r\n165,5.5e1\r\n", "plain.csv": "1,2\n3,4\n"])
        let script = dir.appendingPathComponent("fit.wgl").path
        try Data().write(to: URL(fileURLWithPath: script))
        let outcome = run("""
            read_csv("h.csv")
            read_csv("h.csv", column = "height")
            read_csv("plain.csv")
            mean(read_csv("h.csv", column = "weight"))
            """, name: script)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        #expect(outcome.lines == ["[[170.5, 65], [180, 80], [165, 55]]", "[170.5, 180, 165]", "[[1, 2], [3, 4]]", "66.6667"])
    }

    @Test func problemsNameTheirPlace() throws {
        let dir = try folder([
            "ragged.csv": "a,b\n1,2\n3,4,5\n",
            "word.csv": "a,b\n1,2\n3,\"x y\"\n",
            "empty.csv": "",
            "blank.csv": "a,b\n1,\n",
            "hex.csv": "a\n0x10\n",
            "quote.csv": "a,b\n1,\"2\n3,4\n",
        ])
        let script = dir.appendingPathComponent("fit.wgl").path
        func error(_ line: String) -> [String] { run(line, name: script).errors }
        #expect(error("read_csv(\"ragged.csv\")") == ["1:10: ragged.csv:3:5: this row has 3 cells, the first has 2"])
        #expect(error("read_csv(\"word.csv\")") == ["1:10: word.csv:3:3: 'x y' is not a number"])
        #expect(error("read_csv(\"empty.csv\")") == ["1:10: empty.csv is empty"])
        #expect(error("read_csv(\"blank.csv\")") == ["1:10: blank.csv:2:3: an empty cell is not a number"])
        #expect(error("read_csv(\"missing.csv\")") == ["1:10: cannot read 'missing.csv': no such file (looked for \(dir.appendingPathComponent("missing.csv").path))"])
        #expect(error("read_csv(\"word.csv\", column = \"c\")") == ["1:10: word.csv:3:3: 'x y' is not a number"])
        #expect(error("read_csv(\"ragged.csv\", column = \"c\")").first?.contains("ragged.csv:3:5") == true)
        #expect(error("read_csv(3)") == ["1:10: read_csv expects a file name, as in read_csv(\"data.csv\")"])
        #expect(error("read_csv(\"hex.csv\")") == ["1:10: hex.csv:2:1: '0x10' is not a number"])
        #expect(error("read_csv(\"quote.csv\")") == ["1:10: quote.csv:2:3: a quote that is never closed"])
    }

    @Test func aMissingColumnListsTheColumns() throws {
        let dir = try folder(["h.csv": "height,weight\n1,2\n", "n.csv": "1,2\n"])
        let script = dir.appendingPathComponent("fit.wgl").path
        #expect(run("read_csv(\"h.csv\", column = \"age\")", name: script).errors
                == ["1:1: h.csv has no column \"age\"; its columns are \"height\", \"weight\""])
        #expect(run("read_csv(\"n.csv\", column = \"age\")", name: script).errors
                == ["1:1: n.csv has no header row to find column \"age\" in (its first row is numbers)"])
    }
}
