import Foundation
import Testing
import WiggleGraph

/// `wiggle run` on seeded garbage: a syntax error, reported in the documented shape.
@Suite(.serialized) struct GarbageCommandTests {
    /// Lines of random characters of the language (and a few that are not),
    /// ending in a line that starts with `$`, so the file never parses.
    static func garbage(seed: UInt64) -> String {
        var generator = Xoshiro256(seed: seed)
        let alphabet = Array("()[]{},;=+-*/^<>!@.\"\\#\t abcxE019 for if else fn param while return and or not π")
        var lines: [String] = []
        for _ in 0..<(1 + generator.below(4)) {
            let length = generator.below(60)
            lines.append(String((0..<length).map { _ in alphabet[generator.below(alphabet.count)] }))
        }
        lines.append("$ end")
        return lines.joined(separator: "\n") + "\n"
    }

    @Test(arguments: [UInt64(1), 2, 3, 5, 8, 13, 21, 34])
    func garbageIsASyntaxErrorWithItsSourceLineAndCaret(seed: UInt64) throws {
        let program = Self.garbage(seed: seed)
        let path = try temporaryProgram(program, name: "garbage\(seed).wgl")
        let outcome = try wiggle(["run", path])
        #expect(outcome.status == 65, "\(program.debugDescription)\n\(outcome.stderr)")
        #expect(outcome.stdout == "")

        let stderr = outcome.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(stderr.count >= 3, "\(outcome.stderr)")
        guard stderr.count >= 3 else { return }
        // FILE:LINE:COL: error: MESSAGE
        let heading = stderr[0]
        #expect(heading.hasPrefix(path + ":"), "\(heading)")
        let fields = heading.dropFirst(path.count + 1).split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        #expect(fields.count == 3, "\(heading)")
        guard fields.count == 3, let line = Int(fields[0]), let column = Int(fields[1]) else {
            Issue.record("no LINE:COL in \(heading)")
            return
        }
        #expect(fields[2].hasPrefix(" error: ") && fields[2].count > " error: ".count, "\(heading)")
        let sourceLines = program.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(line >= 1 && line <= sourceLines.count, "\(heading)")
        guard line >= 1 && line <= sourceLines.count else { return }
        // Then the source line, as written (the lines are short and printable), ...
        let sourceLine = sourceLines[line - 1]
        #expect(stderr[1] == sourceLine, "\(heading)")
        #expect(column >= 1 && column <= sourceLine.unicodeScalars.count + 1, "\(heading)")
        // ... and a caret under column COL: blanks (a tab under a tab), `^`, then `~`s.
        let caretLine = Array(stderr[2].unicodeScalars)
        #expect(caretLine.count >= column, "\(stderr[2].debugDescription)")
        guard caretLine.count >= column else { return }
        let sourceScalars = Array(sourceLine.unicodeScalars)
        for index in 0..<(column - 1) {
            #expect(caretLine[index] == (sourceScalars[index] == "\t" ? "\t" : " "), "\(stderr[2].debugDescription)")
        }
        #expect(caretLine[column - 1] == "^", "\(stderr[2].debugDescription)")
        #expect(caretLine[column...].allSatisfy { $0 == "~" }, "\(stderr[2].debugDescription)")
    }
}
