import Testing
@testable import WiggleSyntax

@Suite struct DiagnosticPrinterTests {
    @Test func rendersFileLineColumnSourceAndCaret() {
        let file = SourceFile(name: "tour.wgl", text: "x = 1\ny = foo + 2\n")
        let diagnostic = Diagnostic(.runtime, "unknown name 'foo'", in: file, at: SourceRange(start: 10, end: 13))
        #expect(DiagnosticPrinter().render(diagnostic) == """
            tour.wgl:2:5: error: unknown name 'foo'
            y = foo + 2
                ^~~

            """)
    }

    @Test func tabsAreKeptSoTheCaretLinesUp() {
        let file = SourceFile(name: "t", text: "\tx = $")
        let diagnostic = Lexer.tokenize(file).diagnostics[0]
        #expect(DiagnosticPrinter().render(diagnostic).hasSuffix("\tx = $\n\t    ^\n"))
    }

    @Test func longLinesAreCutAroundTheCaret() {
        let text = String(repeating: "a + ", count: 100_000) + "$"
        let file = SourceFile(name: "t", text: text)
        let diagnostic = Lexer.tokenize(file).diagnostics[0]
        let lines = DiagnosticPrinter().render(diagnostic).split(separator: "\n")
        #expect(lines[1].count <= 110)
        #expect(lines[1].hasPrefix("..."))
        #expect(lines[1].hasSuffix("$"))
        #expect(lines[2].hasSuffix("^"))
        #expect(lines[2].count == lines[1].count)
    }

    @Test func controlCharactersAreNotEchoed() {
        let file = SourceFile(name: "t", bytes: Array("x = \u{1B}[31m".utf8))
        let diagnostic = Lexer.tokenize(file).diagnostics[0]
        #expect(!DiagnosticPrinter().render(diagnostic).contains("\u{1B}"))
    }

    @Test func colourOnlyWhenAsked() {
        let file = SourceFile(name: "t", text: "$")
        let diagnostic = Lexer.tokenize(file).diagnostics[0]
        #expect(DiagnosticPrinter(colored: true).render(diagnostic).contains("\u{1B}[31m"))
        #expect(!DiagnosticPrinter(colored: false).render(diagnostic).contains("\u{1B}"))
    }
}
