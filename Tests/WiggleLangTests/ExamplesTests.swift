import Foundation
import Testing
import WiggleLang
import WiggleSyntax

/// The `.wgl` files in examples/.
func exampleNames() -> [String] {
    corpusFiles(in: "examples")
}

/// The ```wiggle code blocks of grammar.md.
func grammarCodeBlocks() -> [String] {
    let url = repositoryRoot.appendingPathComponent("grammar.md")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
    var blocks: [String] = []
    var current: [Substring]?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if current == nil, line.trimmingCharacters(in: .whitespaces) == "```wiggle" {
            current = []
        } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
            blocks.append((current ?? []).joined(separator: "\n"))
            current = nil
        } else {
            current?.append(line)
        }
    }
    return blocks
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

    /// Every ```wiggle block of grammar.md parses without a diagnostic.
    @Test(arguments: grammarCodeBlocks())
    func grammarCodeBlockParses(_ code: String) {
        let result = Parser.parse(SourceFile(name: "grammar.md", text: code))
        #expect(result.diagnostics.isEmpty, "\(code)\n\(result.diagnostics)")
    }
}
