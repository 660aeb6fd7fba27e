import Testing
@testable import WiggleSyntax

func parse(_ text: String) -> ParseResult {
    Parser.parse(SourceFile(name: "t.wgl", text: text))
}

/// The s-expressions of the statements of a program that must parse cleanly.
func tree(_ text: String) -> String {
    let result = parse(text)
    #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
    return result.program.statements.map(\.description).joined(separator: " ")
}

/// The first diagnostic, as "line:col: message".
func firstError(_ text: String) -> String {
    guard let first = parse(text).diagnostics.first else { return "no error" }
    return "\(first.location): \(first.message)"
}

@Suite struct ParserTests {
    @Test func precedenceAndAssociativity() {
        #expect(tree("-2^2") == "(neg (^ 2 2))")
        #expect(tree("2^3^2") == "(^ 2 (^ 3 2))")
        #expect(tree("2^-1") == "(^ 2 (neg 1))")
        #expect(tree("1 + 2 * 3 - 4 / 5") == "(- (+ 1 (* 2 3)) (/ 4 5))")
        #expect(tree("a - b - c") == "(- (- a b) c)")
        #expect(tree("not a == b and c or d") == "(or (and (not (== a b)) c) d)")
        #expect(tree("x < y + 1") == "(< x (+ y 1))")
        #expect(tree("0..n + 1") == "(.. 0 (+ n 1))")
        #expect(tree("-x^2 * 3") == "(* (neg (^ x 2)) 3)")
        #expect(tree("f(x)[0]^2") == "(^ (index (call f x) 0) 2)")
    }

    @Test func statements() {
        #expect(tree("param mu = 0.5") == "(param mu 0.5)")
        #expect(tree("param w[8] = 0.1") == "(param w[8] 0.1)")
        #expect(tree("x = 1; x += 2") == "(= x 1) (+= x 2)")
        #expect(tree("fn f(a, b) = a + b") == "(fn f (a b) (+ a b))")
        #expect(tree("fn f(a) {\n  y = a\n  return y\n}") == "(fn f (a) {(= y a) (return y)})")
        #expect(tree("if a { x = 1 } else if b { x = 2 } else { x = 3 }")
                == "(if a {(= x 1)} b {(= x 2)} else {(= x 3)})")
        #expect(tree("if a {\n x = 1\n}\nelse {\n x = 2\n}") == "(if a {(= x 1)} else {(= x 2)})")
        #expect(tree("for i in 0..3 { s = s + i }") == "(for i (.. 0 3) {(= s (+ s i))})")
        #expect(tree("for x in xs { }") == "(for x xs {})")
        #expect(tree("while x > 0 { x = x - 1 }") == "(while (> x 0) {(= x (- x 1))})")
        #expect(tree("fn f() { return }") == "(fn f () {(return)})")
    }

    @Test func expressions() {
        #expect(tree("[1, 2, 3,]") == "[1 2 3]")
        #expect(tree("[]") == "[]")
        #expect(tree("[i * i for i in 0..n]") == "[(* i i) for i in (.. 0 n)]")
        #expect(tree("[x for x in xs if x > 0]") == "[x for x in xs if (> x 0)]")
        #expect(tree("E[(x - 3)^2]") == "(E (^ (- x 3) 2))")
        #expect(tree("grad(E[loss], wrt = [mu, theta])") == "(call grad (E loss) wrt=[mu theta])")
        #expect(tree("normal(m, s) @score") == "(@score (call normal m s))")
        #expect(tree("bernoulli(p) @exact + 1") == "(+ (@exact (call bernoulli p)) 1)")
        #expect(tree("minimize(E[l], steps = 300, lr = 0.05)") == "(call minimize (E l) steps=300 lr=0.05)")
        #expect(tree("\"a\" + \"b\"") == "(+ \"a\" \"b\")")
        #expect(tree("true and false") == "(and true false)")
    }

    @Test func newlineRules() {
        // A newline inside brackets or after an operator does not end a statement.
        #expect(tree("x = (1 +\n 2)") == "(= x (+ 1 2))")
        #expect(tree("x = 1 +\n 2") == "(= x (+ 1 2))")
        #expect(tree("f(1,\n  2)") == "(call f 1 2)")
        #expect(tree("xs = [\n 1,\n 2\n]") == "(= xs [1 2])")
        #expect(tree("x = (1\n + 2)") == "(= x (+ 1 2))")
        // ...but before an operator, outside brackets, it does.
        #expect(tree("x = 1\n-2") == "(= x 1) (neg 2)")
        #expect(tree("f\n(1)") == "f 1")
        #expect(tree("a; b\nc") == "a b c")
    }

    @Test func sourceRanges() {
        let result = parse("x = 1\ny = foo(2, 3) + 4")
        let statement = result.program.statements[1]
        let file = result.program.file
        #expect(file.location(of: statement.range.start) == SourceLocation(line: 2, column: 1))
        #expect(file.text(statement.range.start..<statement.range.end) == "y = foo(2, 3) + 4")
        guard case .assign(_, _, let value) = statement.kind, case .binary(_, let call, _) = value.kind else {
            Issue.record("unexpected shape")
            return
        }
        #expect(file.text(call.range.start..<call.range.end) == "foo(2, 3)")
    }

    @Test func syntaxErrorMessages() {
        #expect(firstError("x = (1 + 2") == "1:11: expected ')' to close the '(' at line 1, found end of input")
        #expect(firstError("1 < 2 < 3") == "1:7: comparisons do not chain; write 'a < b and b < c'")
        #expect(firstError("x = ") == "1:4: expected an expression, found end of input")
        #expect(firstError("f(a = 1, 2)") == "1:10: a positional argument cannot follow a keyword argument")
        #expect(firstError("f(a = 1, a = 2)") == "1:10: argument 'a' is given twice")
        #expect(firstError("x @score") == "1:3: an estimator annotation follows a random call, as in normal(0, 1) @score")
        // Which estimators exist is the estimator table's business: given
        // its names, the parser checks an annotation against them.
        #expect(firstError("normal(0, 1) @fast") == "no error")
        let names = EstimatorNames(known: ["pathwise", "score", "exact", "mvd"], listed: ["pathwise", "score", "exact", "mvd"])
        let fast = Parser.parse(SourceFile(name: "t.wgl", text: "normal(0, 1) @fast"), estimators: names).diagnostics
        #expect(fast.map(\.message) == ["unknown estimator '@fast'; expected @pathwise, @score, @exact or @mvd"])
        let slip = Parser.parse(SourceFile(name: "t.wgl", text: "normal(0, 1) @scroe"), estimators: names).diagnostics
        #expect(slip.map(\.message) == ["unknown estimator '@scroe'; did you mean '@score'?"])
        #expect(firstError("return 1") == "1:1: 'return' outside a function")
        #expect(firstError("xs[0] = 1") == "1:7: unexpected '='; only a name can be assigned to (use '==' to compare)")
        #expect(firstError("x = 1 2") == "1:7: expected a newline or ';' after the statement, found '2'")
        #expect(firstError("fn f(a, a) = a") == "1:9: duplicate parameter 'a'")
        #expect(firstError("fn f(a) a") == "1:9: expected '=' or '{' to begin the body of 'f', found 'a'")
        #expect(firstError("if x\n{ }") == "no error")
        #expect(firstError("for 1 in xs { }") == "1:5: expected a loop variable after 'for', found '1'")
        #expect(firstError("}") == "1:1: unmatched '}'")
        #expect(firstError("E[]") == "1:3: E[...] needs an expression inside the brackets")
        #expect(firstError("+1") == "1:1: Wiggle has no unary '+'; drop it")
        #expect(firstError("0..1..2") == "1:5: a range has one '..': write a..b")
    }

    @Test func incompleteInputIsItsOwnCase() {
        for text in ["x = (1 +", "if x > 0 {", "fn f(a) {\n  return a", "xs = [1, 2,", "y = 3 *",
                     "f(1,\n", "if x { y = 1 } else", "for i in 0..3 {\n  s = s + i\n"] {
            let result = parse(text)
            #expect(result.isIncomplete, "\(text): \(result.diagnostics)")
            #expect(result.diagnostics.allSatisfy { $0.kind == .incompleteInput })
        }
        // Brackets inside strings and comments do not keep a statement open.
        for text in ["s = \"(\"", "x = 1 # {", "t = \"[{\" + \"\\\"(\""] {
            #expect(parse(text).diagnostics.isEmpty, "\(text)")
        }
        #expect(parse("f(\"a)\", # )\n").isIncomplete)
        for text in ["x = (1 + 2))", "x = )", "if x { y = 1 +* 2", "\"unterminated"] {
            #expect(!parse(text).isIncomplete, "\(text)")
            #expect(parse(text).hasErrors)
        }
    }
}
