import Foundation
import Testing
import WiggleLang
import WiggleSyntax

/// The `.wgl` files in examples/.
func exampleNames() -> [String] {
    corpusFiles(in: "examples")
}

/// A code block of grammar.md or README.md: ```wiggle (parsed and run) or
/// ```wiggle-syntax (parsed only).
struct GrammarBlock: Sendable, CustomTestStringConvertible {
    /// The block's code.
    var code: String
    /// The line of the document its first line of code is on.
    var firstLine: Int
    /// False for a ```wiggle-syntax block, which is not meant to run.
    var runs: Bool
    /// The document.
    var file = "grammar.md"

    var testDescription: String { "\(file):\(firstLine)" }
}

/// The ```wiggle and ```wiggle-syntax code blocks of grammar.md (or another
/// document of the repository).
func grammarBlocks(in file: String = "grammar.md") -> [GrammarBlock] {
    let url = repositoryRoot.appendingPathComponent(file)
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
    var blocks: [GrammarBlock] = []
    var current: (lines: [Substring], firstLine: Int, runs: Bool)?
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let fence = line.trimmingCharacters(in: .whitespaces)
        if current == nil, fence == "```wiggle" || fence == "```wiggle-syntax" {
            current = ([], index + 2, fence == "```wiggle")
        } else if let block = current, fence == "```" {
            blocks.append(GrammarBlock(code: block.lines.joined(separator: "\n"), firstLine: block.firstLine, runs: block.runs,
                                       file: file))
            current = nil
        } else {
            current?.lines.append(line)
        }
    }
    return blocks
}

/// The code of every ```wiggle and ```wiggle-syntax block of grammar.md.
func grammarCodeBlocks() -> [String] {
    grammarBlocks().map(\.code)
}

/// The expected-value comments of a block: a comment after code on the same
/// line, as in `-2^2   # -4`, states what that line displays. Returns the
/// line within the block (from 1) and the comment's text without its `#` and
/// the spaces around it. A comment on a line of its own is prose and is
/// skipped; a `#` inside a string literal is not a comment.
func expectedValueComments(_ code: String) -> [(line: Int, text: String)] {
    var comments: [(line: Int, text: String)] = []
    for (index, line) in code.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        var inString = false, escaped = false
        for position in line.indices {
            let character = line[position]
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
            } else if character == "\"" {
                inString = true
            } else if character == "#" {
                let before = line[..<position].trimmingCharacters(in: .whitespaces)
                let after = line[line.index(after: position)...].trimmingCharacters(in: .whitespaces)
                if !before.isEmpty { comments.append((index + 1, after)) }
                break
            }
        }
    }
    return comments
}

final class LineOutputCollector: @unchecked Sendable {
    /// Each display or print: the line of its statement and its plain text.
    var outputs: [(line: Int, text: String)] = []
}

@Suite struct ExamplesTests {
    @Test func thereAreExamples() {
        #expect(exampleNames().count >= 5)
        #expect(exampleNames().contains("tour.wgl"))
    }

    /// Each example runs cleanly and prints exactly its golden `.out` file.
    @Test(arguments: exampleNames())
    func exampleMatchesGoldenOutput(_ name: String) throws {
        let folder = repositoryRoot.appendingPathComponent("examples")
        let program = try Data(contentsOf: folder.appendingPathComponent(name))
        let golden = try String(contentsOf: folder.appendingPathComponent(name.replacingOccurrences(of: ".wgl", with: ".out")),
                                encoding: .utf8)
        let outcome = runBytes(Array(program), name: "examples/" + name)
        #expect(outcome.errors == [], "\(name)")
        #expect(outcome.status == .success)
        #expect(outcome.text + "\n" == golden, "\(name)")
    }

    @Test func grammarHasCodeBlocks() {
        #expect(grammarCodeBlocks().count >= 5)
    }

    /// Every ```wiggle and ```wiggle-syntax block of grammar.md parses without a diagnostic.
    @Test(arguments: grammarCodeBlocks())
    func grammarCodeBlockParses(_ code: String) {
        let result = Parser.parse(SourceFile(name: "grammar.md", text: code))
        #expect(result.diagnostics.isEmpty, "\(code)\n\(result.diagnostics)")
    }

    /// The rule for expected-value comments finds the comments grammar.md has
    /// (so the check below cannot pass by finding none) and reads them right.
    @Test func grammarHasExpectedValueComments() {
        let count = grammarBlocks().filter(\.runs).map { expectedValueComments($0.code).count }.reduce(0, +)
        #expect(count >= 10)
        let comments = expectedValueComments("# prose\n-2^2   # -4\nprint(\"a # b\")  #  a # b \ns = \"#\"\n")
        #expect(comments.map(\.line) == [2, 3])
        #expect(comments.map(\.text) == ["-4", "a # b"])
    }

    /// Every ```wiggle block of grammar.md runs without a diagnostic (with the
    /// settings `wiggle run` has by default), and each line with a comment
    /// after its code displays what the comment says: the first line of the
    /// plain output of the statements starting on that line, exactly.
    @Test(arguments: grammarBlocks().filter(\.runs) + grammarBlocks(in: "README.md").filter(\.runs))
    func grammarCodeBlockShowsItsComments(_ block: GrammarBlock) {
        let collector = LineOutputCollector()
        let result = Session().run(SourceFile(name: "grammar.md", text: block.code)) { output in
            switch output {
            case .display(let value, let line, _): collector.outputs.append((line, Display.plain(value)))
            case .printed(let text, let line): collector.outputs.append((line, text))
            case .progress, .notice: break
            }
        }
        #expect(result.diagnostics.isEmpty, "\(block.testDescription): \(result.diagnostics)")
        #expect(result.status == .success, "\(block.testDescription)")
        for comment in expectedValueComments(block.code) {
            let shown = collector.outputs.filter { $0.line == comment.line }.map(\.text).joined(separator: "\n")
            let firstLine = shown.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
            let place = "\(block.file):\(block.firstLine + comment.line - 1)"
            if collector.outputs.contains(where: { $0.line == comment.line }) {
                #expect(firstLine == comment.text, "\(place): the comment says \(comment.text), the line displays \(shown)")
            } else {
                Issue.record("\(place): the comment says \(comment.text), but the line displays nothing")
            }
        }
    }
}

/// README.md's examples: a block that shows `$ cat examples/X.wgl` and then
/// `$ wiggle run examples/X.wgl` must show the file as it is and its output
/// as the golden `examples/X.out` has it (which the test above pins to what
/// the program prints), so the README cannot go stale.
@Suite struct ReadmeTests {
    /// A README block that shows an example and its output.
    struct Transcript: Sendable, CustomTestStringConvertible {
        var file: String
        var shownSource: String
        var shownOutput: String
        var line: Int
        var testDescription: String { "README.md:\(line) (\(file))" }
    }

    static func transcripts() -> [Transcript] {
        let url = repositoryRoot.appendingPathComponent("README.md")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var found: [Transcript] = []
        var index = 0
        while index < lines.count {
            guard lines[index].hasPrefix("$ cat examples/") else { index += 1; continue }
            let file = String(lines[index].dropFirst("$ cat ".count))
            let start = index
            var source: [String] = [], output: [String] = []
            index += 1
            while index < lines.count, lines[index] != "$ wiggle run \(file)", lines[index] != "```" {
                source.append(lines[index]); index += 1
            }
            guard index < lines.count, lines[index] == "$ wiggle run \(file)" else { continue }
            index += 1
            while index < lines.count, lines[index] != "```", !lines[index].hasPrefix("$ ") {
                output.append(lines[index]); index += 1
            }
            found.append(Transcript(file: file, shownSource: source.joined(separator: "\n"),
                                    shownOutput: output.joined(separator: "\n"), line: start + 1))
        }
        return found
    }

    @Test func theReadmeShowsTheTour() {
        #expect(Self.transcripts().contains { $0.file == "examples/tour.wgl" })
        #expect(grammarBlocks(in: "README.md").filter(\.runs).count >= 1)
    }

    @Test(arguments: transcripts())
    func aTranscriptIsWhatTheExamplePrints(_ transcript: Transcript) throws {
        let source = try String(contentsOf: repositoryRoot.appendingPathComponent(transcript.file), encoding: .utf8)
        #expect(transcript.shownSource + "\n" == source, "\(transcript.testDescription): the file differs from what the README shows")
        let golden = try String(contentsOf: repositoryRoot.appendingPathComponent(
            transcript.file.replacingOccurrences(of: ".wgl", with: ".out")), encoding: .utf8)
        #expect(transcript.shownOutput + "\n" == golden, "\(transcript.testDescription): the output differs from the example's")
    }
}
