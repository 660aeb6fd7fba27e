import Testing
@testable import WiggleSyntax

/// Lexes a string and returns the tokens (without eof) and the diagnostics' messages.
func lex(_ text: String) -> ([Token], [String]) {
    let (tokens, diagnostics) = Lexer.tokenize(SourceFile(name: "t", text: text))
    return (Array(tokens.dropLast()), diagnostics.map(\.message))
}

func lexBytes(_ bytes: [UInt8]) -> [Diagnostic] {
    Lexer.tokenize(SourceFile(name: "t", bytes: bytes)).diagnostics
}

@Suite struct LexerTests {
    @Test func numbers() {
        let (tokens, errors) = lex("3 0.5 1e-3 2.5E+2 10")
        #expect(errors.isEmpty)
        #expect(tokens.map(\.number) == [3, 0.5, 0.001, 250, 10])
    }

    @Test func rangeAfterNumberIsNotADecimalPoint() {
        let (tokens, errors) = lex("0..10")
        #expect(errors.isEmpty)
        #expect(tokens.map(\.kind) == [.number, .dotDot, .number])
    }

    @Test func malformedNumbers() {
        #expect(lex("1e").1 == ["expected digits after the exponent 'e'"])
        #expect(lex("3x").1 == ["invalid number '3x'"])
        #expect(lex("1.5.2").1 == ["invalid number '1.5.2'"])
        #expect(lex("1e999").1.first?.contains("too large") == true)
        #expect(lex("1e-999").1.first?.contains("too small") == true)
        #expect(lex(".5").1.first?.contains("digit before '.'") == true)
        #expect(lex("0e-999").1.isEmpty)
    }

    @Test func stringsAndEscapes() {
        let (tokens, errors) = lex(#""a\nb\t\"q\" \\ π""#)
        #expect(errors.isEmpty)
        #expect(tokens.first?.text == "a\nb\t\"q\" \\ π")
    }

    @Test func stringErrors() {
        #expect(lex("\"abc").1.first?.contains("unterminated string") == true)
        #expect(lex("\"ab\ncd\"").1.first?.contains("unterminated string") == true)
        #expect(lex(#""a\qb""#).1.first?.contains(#"unknown escape '\q'"#) == true)
    }

    @Test func keywordsIdentifiersAndOperators() {
        let (tokens, errors) = lex("param fn if else for in while return and or not true false x_1 E")
        #expect(errors.isEmpty)
        #expect(tokens.map(\.kind) == [.kwParam, .kwFn, .kwIf, .kwElse, .kwFor, .kwIn, .kwWhile, .kwReturn,
                                       .kwAnd, .kwOr, .kwNot, .kwTrue, .kwFalse, .identifier, .identifier])
        let ops = lex("( ) [ ] { } , ; @ .. = += -= *= /= + - * / ^ == != < <= > >=").0.map(\.kind)
        #expect(ops == [.leftParen, .rightParen, .leftBracket, .rightBracket, .leftBrace, .rightBrace, .comma,
                        .semicolon, .at, .dotDot, .assign, .plusAssign, .minusAssign, .starAssign, .slashAssign,
                        .plus, .minus, .star, .slash, .caret, .equal, .notEqual, .less, .lessEqual, .greater,
                        .greaterEqual])
    }

    @Test func commentsAndNewlines() {
        let (tokens, errors) = lex("a # comment with ünïcode and \u{1} junk\nb")
        #expect(errors.isEmpty)
        #expect(tokens.map(\.text) == ["a", "b"])
        #expect(tokens.map(\.newlineBefore) == [true, true])
        #expect(lex("a b").0.map(\.newlineBefore) == [true, false])
    }

    @Test func badBytesAreReportedOneByOne() {
        let diagnostics = lexBytes(Array("x = 1".utf8) + [0] + Array("\ny = ".utf8) + [0xFF, 0xC3] + Array(" 2\n".utf8))
        #expect(diagnostics.map(\.message) == ["unexpected control character U+0000", "invalid UTF-8 byte 0xFF",
                                               "invalid UTF-8 byte 0xC3"])
        #expect(diagnostics.map { $0.location.description } == ["1:6", "2:5", "2:6"])
    }

    @Test func unexpectedCharacters() {
        #expect(lex("a $ b").1 == ["unexpected character '$'"])
        #expect(lex("π").1.first?.contains("U+03C0") == true)
        #expect(lex("!x").1.first?.contains("write 'not'") == true)
        #expect(lex("2 ** 3").1.first?.contains("'^'") == true)
    }

    @Test func columnsCountCharactersNotBytes() {
        let file = SourceFile(name: "t", text: "\"ππ\" $")
        let diagnostics = Lexer.tokenize(file).diagnostics
        #expect(diagnostics.first?.location == SourceLocation(line: 1, column: 6))
    }
}
