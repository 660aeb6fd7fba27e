import Foundation
import Testing
import WiggleLang

/// What a corpus file says it must produce.
struct CorpusExpectation {
    /// The lines of standard output, in order (a value that displays on
    /// several lines takes one `# expect:` line for each).
    var lines: [String] = []
    var errors: [String] = []
    var exitCode: Int32 = 0
    /// Settings a case asks for (`# particles: N`, `# max-nodes: N`, `# max-depth: N`).
    var settings = Settings()

    /// Reads `# expect:`, `# error:` and `# exit:` directives out of a program's bytes.
    /// `# expect: TEXT` takes the rest of the line verbatim (leading spaces
    /// included); `# expect:` with nothing after it stands for an empty line.
    init(bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = String(rawLine)
            if let range = line.range(of: "# expect: ") {
                lines.append(String(line[range.upperBound...]))
            } else if line.hasSuffix("# expect:") {
                lines.append("")
            } else if line.hasPrefix("# error: ") {
                errors.append(String(line.dropFirst("# error: ".count)))
            } else if line.hasPrefix("# exit: "), let code = Int32(line.dropFirst("# exit: ".count)) {
                exitCode = code
            } else if line.hasPrefix("# particles: "), let n = Int(line.dropFirst("# particles: ".count)) {
                settings.particles = n
            } else if line.hasPrefix("# max-nodes: "), let n = Int(line.dropFirst("# max-nodes: ".count)) {
                settings.maxGraphNodes = n
            } else if line.hasPrefix("# max-depth: "), let n = Int(line.dropFirst("# max-depth: ".count)) {
                settings.maxCallDepth = n
            }
        }
    }
}

/// The corpus files, by name.
func corpusFiles(in folder: String) -> [String] {
    let url = repositoryRoot.appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return names.filter { $0.hasSuffix(".wgl") }.sorted()
}

@Suite struct CorpusTests {
    @Test func corpusIsThere() {
        #expect(corpusFiles(in: "Tests/corpus").count >= 150)
    }

    @Test(arguments: corpusFiles(in: "Tests/corpus"))
    func corpusCase(_ name: String) throws {
        let url = repositoryRoot.appendingPathComponent("Tests/corpus").appendingPathComponent(name)
        let bytes = Array(try Data(contentsOf: url))
        let expected = CorpusExpectation(bytes: bytes)
        let outcome = runBytes(bytes, name: name, session: Session(settings: expected.settings))
        #expect(outcome.exitCode == expected.exitCode, "\(name): \(outcome.errors)")
        #expect(outcome.errors == expected.errors, "\(name)")
        #expect(outputLines(outcome) == expected.lines, "\(name)")
    }

    /// A multi-line display is split into lines before comparing, and an
    /// empty `print()` is one empty line.
    @Test func outputIsComparedLineByLine() {
        let outcome = run("print(\"a\\nb\")\nprint()\n1")
        #expect(outputLines(outcome) == ["a", "b", "", "1"])
        #expect(outputLines(run("x = 1")) == [])
        let expected = CorpusExpectation(bytes: Array("1  # expect: 1\n# expect:   two spaces\nprint()  # expect:\n".utf8))
        #expect(expected.lines == ["1", "  two spaces", ""])
    }
}

/// A run's standard output as lines: its displays and prints joined with
/// newlines (as `wiggle run` writes them), then split at each newline.
func outputLines(_ outcome: RunOutcome) -> [String] {
    if outcome.lines.isEmpty { return [] }
    return outcome.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}
