import Testing
import WiggleGraph
@testable import WiggleSyntax

@Suite struct RecoveryTests {
    @Test func threeUnrelatedMistakesAreAllReported() {
        let program = """
            x = 1 +* 2
            y = 3
            fn f(a b) = a
            z = y * 2
            w = [1, 2
            v = 4
            """
        let result = parse(program)
        #expect(result.diagnostics.map { "\($0.location)" } == ["1:8", "3:8", "6:1"])
        // The statements between the mistakes still parse.
        #expect(result.program.statements.map(\.description) == ["(= y 3)", "(= z (* y 2))", "(= v 4)"])
    }

    @Test func recoveryInsideBlocks() {
        let program = """
            fn f(a) {
              b = a +
              c = ) 
              return b
            }
            if x { y = * } else { z = 1 }
            after = 1
            """
        let result = parse(program)
        #expect(result.diagnostics.map { "\($0.location)" } == ["3:5", "6:12"])
        #expect(result.program.statements.last?.description == "(= after 1)")
    }

    @Test func deepNestingIsADiagnosticNotACrash() {
        let parens = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        let result = parse("x = " + parens + "\ny = 2")
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.message.contains("nested too deeply") == true)
        #expect(result.program.statements.map(\.description) == ["(= y 2)"])

        let minus = parse("x = " + String(repeating: "-", count: 100_000) + "1")
        #expect(minus.diagnostics.first?.message.contains("nested too deeply") == true)

        let chain = parse("x = 1" + String(repeating: " + 1", count: 100_000))
        #expect(chain.diagnostics.first?.message.contains("too deeply nested") == true)

        let blocks = parse(String(repeating: "if x {\n", count: 50_000) + String(repeating: "}\n", count: 50_000))
        #expect(blocks.diagnostics.first?.message.contains("nested too deeply") == true)
    }

    @Test func aMegabyteLineIsFine() {
        let line = "xs = [" + Array(repeating: "1", count: 500_000).joined(separator: ",") + "]"
        let result = parse(line)
        #expect(result.diagnostics.isEmpty)
    }

    /// Seeded random garbage — text from the language's own characters, and
    /// raw bytes — parses without a trap, and every diagnostic has a non-empty
    /// message and points inside the source.
    @Test func garbageNeverTraps() {
        var generator = Xoshiro256(seed: 2026_12_01)
        let alphabet = Array("()[]{},;=+-*/^<>!@.\"\\#\n\t abcE019efor if else fn param while return and or not")
        var inputs: [[UInt8]] = []
        for _ in 0..<300 {
            let length = generator.below(80)
            inputs.append(Array(String((0..<length).map { _ in alphabet[generator.below(alphabet.count)] }).utf8))
        }
        for _ in 0..<40 {
            let length = generator.below(300)
            inputs.append((0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        }
        var bytes: [UInt8] = []
        for _ in 0..<2000 { bytes.append(UInt8(truncatingIfNeeded: generator.next())) }
        inputs.append(bytes)

        var diagnosticsSeen = 0
        for input in inputs {
            let file = SourceFile(name: "t", bytes: input)
            let result = Parser.parse(file)
            for diagnostic in result.diagnostics {
                diagnosticsSeen += 1
                let shown = String(decoding: input, as: UTF8.self).debugDescription
                #expect(!diagnostic.message.isEmpty, "\(shown)")
                #expect(diagnostic.kind == .syntax || diagnostic.kind == .incompleteInput, "\(shown)")
                #expect(0 <= diagnostic.range.start && diagnostic.range.start <= diagnostic.range.end
                        && diagnostic.range.end <= input.count, "\(diagnostic.range) in \(shown)")
                let location = diagnostic.location
                #expect(location.line >= 1 && location.line <= file.lineCount, "\(location) in \(shown)")
                let lineText = file.text(file.lineRange(containing: diagnostic.range.start))
                #expect(location.column >= 1 && location.column <= lineText.unicodeScalars.count + 1,
                        "\(location) in \(shown)")
            }
        }
        // The garbage is garbage: most of it must be reported.
        #expect(diagnosticsSeen >= 200)
    }

    @Test func tooManyErrorsAreCapped() {
        let result = parse(String(repeating: "x = $\n", count: 500))
        #expect(result.diagnostics.count == Parser.maxDiagnostics)
        #expect(result.diagnostics.last?.message == "too many errors; stopping here")
    }
}
