// Parser.swift — recursive descent over tokens; statements and blocks.
//
// Expressions are in Parser+Expressions.swift, error recovery in
// Parser+Recovery.swift. The grammar is written out in grammar.md; each parse
// function starts with the rule it implements.

/// What parsing a file produced: the program (with every statement that
/// parsed) and every diagnostic, in source order.
public struct ParseResult: Sendable {
    /// The statements that parsed.
    public var program: Program
    /// Every problem found, in source order.
    public var diagnostics: [Diagnostic]

    /// True when the only problems are that the input ended too early: a REPL
    /// should read another line and try again.
    public var isIncomplete: Bool {
        !diagnostics.isEmpty && diagnostics.allSatisfy { $0.kind == .incompleteInput }
    }

    /// True when there is at least one error.
    public var hasErrors: Bool { !diagnostics.isEmpty }
}

/// Thrown inside the parser to unwind to the statement being parsed.
struct ParseError: Error {
    var diagnostic: Diagnostic
    /// True when the lexer already reported the problem (an invalid token).
    var alreadyReported = false
}

/// The Wiggle parser.
public struct Parser {
    /// How deeply brackets, blocks and prefix operators may nest.
    public static let maxNesting = 256
    /// How tall an expression tree may grow (long `a + b + c + ...` chains).
    public static let maxExpressionDepth = 10_000
    /// Diagnostics past this many are summarised in one line.
    public static let maxDiagnostics = 50

    let file: SourceFile
    var tokens: [Token]
    var index = 0
    var diagnostics: [Diagnostic] = []
    /// How many `( [` we are inside: there, newlines do not end anything.
    var groupDepth = 0
    /// Current nesting of brackets, blocks and prefix operators.
    var nesting = 0
    /// How many function bodies we are inside (`return` needs one).
    var functionDepth = 0
    /// Loops around the statement being parsed (in the current function).
    var loopDepth = 0

    /// The estimators an annotation may name and the ones a message lists
    /// (nil: any name, checked later).
    var estimators: EstimatorNames?

    /// Parses a whole file. With `estimators` (the estimator table's names,
    /// which the syntax does not know), an annotation naming another is a
    /// syntax error with a "did you mean".
    public static func parse(_ file: SourceFile, estimators: EstimatorNames? = nil) -> ParseResult {
        let (tokens, lexDiagnostics) = Lexer.tokenize(file)
        var parser = Parser(file: file, tokens: tokens)
        parser.estimators = estimators
        let statements = parser.parseProgram()
        var all = (lexDiagnostics + parser.diagnostics).sorted { $0.range.start < $1.range.start }
        if all.count > maxDiagnostics {
            let last = all[maxDiagnostics - 1]
            all = Array(all.prefix(maxDiagnostics - 1))
            all.append(Diagnostic(.syntax, "too many errors; stopping here", in: file, at: last.range))
        }
        // A lexical error makes "the input ended" no longer the whole story.
        if !lexDiagnostics.isEmpty {
            all = all.map { diagnostic in
                var copy = diagnostic
                if copy.kind == .incompleteInput { copy.kind = .syntax }
                return copy
            }
        }
        return ParseResult(program: Program(statements: statements, file: file), diagnostics: all)
    }

    init(file: SourceFile, tokens: [Token]) {
        self.file = file
        self.tokens = tokens
    }

    // MARK: Token access

    var current: Token { tokens[index] }
    var previous: Token { tokens[max(0, index - 1)] }

    func peek(_ ahead: Int = 1) -> Token { tokens[min(index + ahead, tokens.count - 1)] }

    func check(_ kind: Token.Kind) -> Bool { current.kind == kind }

    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    mutating func match(_ kind: Token.Kind) -> Bool {
        guard check(kind) else { return false }
        advance()
        return true
    }

    /// Consumes a token of the given kind or throws `expected <what>, found ...`.
    @discardableResult
    mutating func expect(_ kind: Token.Kind, _ what: String? = nil) throws -> Token {
        if check(kind) { return advance() }
        throw error("expected \(what ?? kind.description), found \(describe(current))", at: current)
    }

    /// How a token is named in "found ..." messages.
    func describe(_ token: Token) -> String {
        switch token.kind {
        case .eof: return "end of input"
        case .string: return "a string"
        default: return "'\(file.text(token.range.start..<token.range.end))'"
        }
    }

    /// A parse error at a token; at the end of input it is "incomplete input".
    func error(_ message: String, at token: Token) -> ParseError {
        guard token.kind == .eof else {
            return ParseError(diagnostic: Diagnostic(.syntax, message, in: file, at: token.range),
                              alreadyReported: token.kind == .invalid)
        }
        // Point just past the last real token, not at an empty line after it.
        let end = index > 0 ? tokens[index - 1].range.end : token.range.start
        return ParseError(diagnostic: Diagnostic(.incompleteInput, message, in: file, at: .at(end)))
    }

    /// A parse error over a range.
    func error(_ message: String, at range: SourceRange) -> ParseError {
        ParseError(diagnostic: Diagnostic(.syntax, message, in: file, at: range))
    }

    /// Enters one level of nesting, refusing to go deeper than ``maxNesting``.
    mutating func enterNesting() throws {
        nesting += 1
        if nesting > Parser.maxNesting {
            // The caller's `defer` that undoes the increment is not set up yet.
            nesting -= 1
            throw error("nested too deeply (more than \(Parser.maxNesting) levels of brackets, blocks or operators)", at: current)
        }
    }

    /// The line of a token, for "to close '(' at line 3".
    func line(of token: Token) -> Int { file.line(of: token.range.start) }

    // MARK: Statements

    /// program -> { statement } EOF
    mutating func parseProgram() -> [Stmt] {
        parseStatements(until: .eof)
    }

    /// statements -> { [ ';' ] statement ( NEWLINE | ';' | before '}' ) }
    mutating func parseStatements(until terminator: Token.Kind) -> [Stmt] {
        var statements: [Stmt] = []
        while true {
            while match(.semicolon) {}
            if check(terminator) || check(.eof) { break }
            if check(.rightBrace) {
                // Only reachable at the top level: a '}' with no '{'.
                diagnostics.append(Diagnostic(.syntax, "unmatched '}'", in: file, at: current.range))
                advance()
                continue
            }
            let start = index
            do {
                let statement = try parseStatement()
                statements.append(statement)
                try expectStatementEnd(terminator)
            } catch let parseError as ParseError {
                if !parseError.alreadyReported { diagnostics.append(parseError.diagnostic) }
                synchronize(statementStart: start)
            } catch {
                // parse functions only throw ParseError
            }
        }
        return statements
    }

    /// A statement ends at a newline, a ';', the closing '}' of its block, or the end of input.
    mutating func expectStatementEnd(_ terminator: Token.Kind) throws {
        if match(.semicolon) || check(terminator) || check(.eof) || current.newlineBefore { return }
        if [.assign, .plusAssign, .minusAssign, .starAssign, .slashAssign].contains(current.kind) {
            let text = file.text(current.range.start..<current.range.end)
            throw error("unexpected '\(text)'; only a name can be assigned to" + (check(.assign) ? " (use '==' to compare)" : ""),
                        at: current)
        }
        if check(.rightParen) || check(.rightBracket) {
            throw error("unmatched \(current.kind)", at: current)
        }
        throw error("expected a newline or ';' after the statement, found \(describe(current))", at: current)
    }

    /// statement -> paramStmt | fnStmt | ifStmt | forStmt | whileStmt | returnStmt | 'break' | 'continue'
    ///              | assignment | expression
    mutating func parseStatement() throws -> Stmt {
        switch current.kind {
        case .kwParam: return try parseParam()
        case .kwFn: return try parseFunction()
        case .kwIf: return try parseIf()
        case .kwFor: return try parseFor()
        case .kwWhile: return try parseWhile()
        case .kwReturn: return try parseReturn()
        case .kwBreak, .kwContinue:
            let keyword = advance()
            guard loopDepth > 0 else { throw error("\(keyword.kind) outside a loop", at: keyword) }
            return Stmt(keyword.kind == .kwBreak ? .breakLoop : .continueLoop, keyword.range)
        case .identifier:
            let operators: [Token.Kind: BinaryOperator?] = [
                .assign: nil, .plusAssign: .add, .minusAssign: .subtract,
                .starAssign: .multiply, .slashAssign: .divide,
            ]
            if let op = operators[peek().kind] {
                let name = advance()
                advance()
                let value = try parseExpression()
                return Stmt(.assign(target: Identifier(name.text, name.range), op: op, value: value),
                            name.range.union(value.range))
            }
        default:
            break
        }
        let expression = try parseExpression()
        return Stmt(.expression(expression), expression.range)
    }

    /// paramStmt -> 'param' NAME [ '[' expression ']' [ '[' expression ']' ] ] '=' expression
    ///              { ',' ( 'lower' | 'upper' ) '=' expression }
    mutating func parseParam() throws -> Stmt {
        let keyword = advance()
        let name = try expect(.identifier, "a parameter name after 'param'")
        var sizes: [Expr] = []
        while sizes.count < 2 && check(.leftBracket) && !current.newlineBefore {
            let open = advance()
            groupDepth += 1
            defer { groupDepth -= 1 }
            sizes.append(try parseExpression())
            try expectClosing(.rightBracket, opener: open)
        }
        try expect(.assign, "'=' and an initial value after the parameter name")
        let value = try parseExpression()
        var lower: Expr?, upper: Expr?
        var end = value.range
        while check(.comma) && !current.newlineBefore {
            advance()
            let option = try expect(.identifier, "'lower = ...' or 'upper = ...' after ',' in a parameter declaration")
            guard option.text == "lower" || option.text == "upper" else {
                throw error("a parameter takes 'lower' and 'upper' bounds, not '\(option.text)'", at: option)
            }
            if (option.text == "lower" ? lower : upper) != nil {
                throw error("'\(option.text)' is given twice", at: option)
            }
            try expect(.assign, "'=' and a number after '\(option.text)'")
            let limit = try parseExpression()
            if option.text == "lower" { lower = limit } else { upper = limit }
            end = limit.range
        }
        return Stmt(.param(name: Identifier(name.text, name.range), size: sizes.first, columns: sizes.count > 1 ? sizes[1] : nil,
                           value: value, lower: lower, upper: upper),
                    keyword.range.union(end))
    }

    /// fnStmt -> 'fn' NAME '(' [ NAME { ',' NAME } ] ')' ( '=' expression | block )
    mutating func parseFunction() throws -> Stmt {
        let keyword = advance()
        let name = try expect(.identifier, "a function name after 'fn'")
        let open = try expect(.leftParen, "'(' after the function name")
        var parameters: [Identifier] = []
        groupDepth += 1
        do {
            defer { groupDepth -= 1 }
            if !check(.rightParen) {
                repeat {
                    if check(.rightParen) { break }  // trailing comma
                    let parameter = try expect(.identifier, "a parameter name")
                    if parameters.contains(where: { $0.name == parameter.text }) {
                        throw error("duplicate parameter '\(parameter.text)'", at: parameter)
                    }
                    parameters.append(Identifier(parameter.text, parameter.range))
                } while match(.comma)
            }
            try expectClosing(.rightParen, opener: open)
        }
        let decl: FunctionDecl
        let end: SourceRange
        functionDepth += 1
        // A function's body is outside any loop around the definition.
        let enclosingLoops = loopDepth
        loopDepth = 0
        defer {
            functionDepth -= 1
            loopDepth = enclosingLoops
        }
        if match(.assign) {
            let body = try parseExpression()
            decl = FunctionDecl(name: Identifier(name.text, name.range), parameters: parameters, body: .expression(body))
            end = body.range
        } else if check(.leftBrace) {
            let body = try parseBlock()
            decl = FunctionDecl(name: Identifier(name.text, name.range), parameters: parameters, body: .block(body))
            end = body.range
        } else {
            throw error("expected '=' or '{' to begin the body of '\(name.text)', found \(describe(current))", at: current)
        }
        return Stmt(.function(decl), keyword.range.union(end))
    }

    /// ifStmt -> 'if' expression block { 'else' 'if' expression block } [ 'else' block ]
    mutating func parseIf() throws -> Stmt {
        let keyword = advance()
        var branches: [ConditionalBranch] = []
        var elseBody: Block?
        let condition = try parseExpression()
        let body = try parseBlock()
        branches.append(ConditionalBranch(condition: condition, body: body))
        var end = body.range
        // 'else' may start the next line: `}` NEWLINE `else {` reads naturally.
        while check(.kwElse) {
            advance()
            if match(.kwIf) {
                let condition = try parseExpression()
                let body = try parseBlock()
                branches.append(ConditionalBranch(condition: condition, body: body))
                end = body.range
            } else {
                let body = try parseBlock()
                elseBody = body
                end = body.range
                break
            }
        }
        return Stmt(.ifChain(branches: branches, elseBody: elseBody), keyword.range.union(end))
    }

    /// forStmt -> 'for' NAME 'in' expression block
    mutating func parseFor() throws -> Stmt {
        let keyword = advance()
        let variable = try expect(.identifier, "a loop variable after 'for'")
        try expect(.kwIn, "'in' after the loop variable")
        let sequence = try parseExpression()
        loopDepth += 1
        defer { loopDepth -= 1 }
        let body = try parseBlock()
        return Stmt(.forIn(variable: Identifier(variable.text, variable.range), sequence: sequence, body: body),
                    keyword.range.union(body.range))
    }

    /// whileStmt -> 'while' expression block
    mutating func parseWhile() throws -> Stmt {
        let keyword = advance()
        let condition = try parseExpression()
        loopDepth += 1
        defer { loopDepth -= 1 }
        let body = try parseBlock()
        return Stmt(.whileLoop(condition: condition, body: body), keyword.range.union(body.range))
    }

    /// returnStmt -> 'return' [ expression ]
    mutating func parseReturn() throws -> Stmt {
        let keyword = advance()
        if functionDepth == 0 {
            throw error("'return' outside a function", at: keyword)
        }
        if check(.semicolon) || check(.rightBrace) || check(.eof) || current.newlineBefore {
            return Stmt(.returnValue(nil), keyword.range)
        }
        let value = try parseExpression()
        return Stmt(.returnValue(value), keyword.range.union(value.range))
    }

    /// block -> '{' statements '}'
    mutating func parseBlock() throws -> Block {
        guard check(.leftBrace) else {
            throw error("expected '{' to begin a block, found \(describe(current))", at: current)
        }
        let open = advance()
        try enterNesting()
        defer { nesting -= 1 }
        let savedGroup = groupDepth
        groupDepth = 0
        defer { groupDepth = savedGroup }
        let statements = parseStatements(until: .rightBrace)
        guard check(.rightBrace) else {
            throw error("expected '}' to close the '{' at line \(line(of: open))", at: current)
        }
        let close = advance()
        return Block(statements, open.range.union(close.range))
    }

    /// Consumes the closer of a bracket pair, naming the opener's line if it is missing.
    @discardableResult
    mutating func expectClosing(_ kind: Token.Kind, opener: Token) throws -> Token {
        if check(kind) { return advance() }
        let openText = file.text(opener.range.start..<opener.range.end)
        throw error("expected \(kind) to close the '\(openText)' at line \(line(of: opener)), found \(describe(current))",
                    at: current)
    }
}

/// The estimators a program may annotate a draw with.
public struct EstimatorNames: Sendable {
    /// Every name the table holds.
    public var known: Set<String>
    /// The names an error lists when it suggests none (the language's own).
    public var listed: [String]

    public init(known: Set<String>, listed: [String]) {
        self.known = known
        self.listed = listed
    }

    /// The message for an annotation naming none of them: a "did you mean",
    /// else the language's own.
    public func unknown(_ name: String) -> String {
        let message = "unknown estimator '@\(name)'"
        if let close = Spelling.closest(to: name, among: known) { return message + "; did you mean '@\(close)'?" }
        return message + "; expected " + EstimatorNames.list(listed.map { "@" + $0 })
    }

    /// The language's own estimators, when no table is given.
    public static let language = ["pathwise", "score", "exact", "mvd", "triple"]

    /// "a, b or c".
    static func list(_ words: [String]) -> String {
        words.count <= 1 ? words.joined() : words.dropLast().joined(separator: ", ") + " or " + (words.last ?? "")
    }
}
