// Parser+Expressions.swift — expressions, by precedence climbing.
//
// Precedence, lowest first:
//   ..                     range (non-associative)
//   or                     left
//   and                    left
//   not                    prefix
//   < <= > >= == !=        non-associative: `a < b < c` is an error
//   + -                    left
//   * /                    left
//   - (unary)              prefix
//   ^                      right associative; binds tighter than unary minus
//   call () index [] @est  postfix
//
// A newline ends an expression unless it comes inside ( ) or [ ], or right
// after an operator (where the parser is waiting for an operand anyway).

extension Parser {
    /// Builds a node, computing its depth and refusing trees that are too tall.
    func node(_ kind: Expr.Kind, _ range: SourceRange, children: [Expr]) throws -> Expr {
        let depth = 1 + (children.map(\.depth).max() ?? 0)
        if depth > Parser.maxExpressionDepth {
            throw error("expression is too deeply nested (more than \(Parser.maxExpressionDepth) levels)", at: range)
        }
        return Expr(kind, range, depth: depth)
    }

    /// True when the current token may continue the expression on the left
    /// (outside brackets, a token on a new line starts a new statement).
    var continuesLine: Bool { groupDepth > 0 || !current.newlineBefore }

    /// expression -> disjunction [ '..' disjunction ]
    mutating func parseExpression() throws -> Expr {
        try enterNesting()
        defer { nesting -= 1 }
        let left = try parseOr()
        if check(.dotDot) && continuesLine {
            advance()
            let right = try parseOr()
            if check(.dotDot) && continuesLine {
                throw error("a range has one '..': write a..b", at: current)
            }
            return try node(.range(left, right), left.range.union(right.range), children: [left, right])
        }
        return left
    }

    /// disjunction -> conjunction { 'or' conjunction }
    mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        while check(.kwOr) && continuesLine {
            advance()
            let right = try parseAnd()
            left = try node(.binary(.or, left, right), left.range.union(right.range), children: [left, right])
        }
        return left
    }

    /// conjunction -> negation { 'and' negation }
    mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        while check(.kwAnd) && continuesLine {
            advance()
            let right = try parseNot()
            left = try node(.binary(.and, left, right), left.range.union(right.range), children: [left, right])
        }
        return left
    }

    /// negation -> 'not' negation | comparison
    mutating func parseNot() throws -> Expr {
        if check(.kwNot) {
            let keyword = advance()
            try enterNesting()
            defer { nesting -= 1 }
            let operand = try parseNot()
            return try node(.unary(.not, operand), keyword.range.union(operand.range), children: [operand])
        }
        return try parseComparison()
    }

    static let comparisonOperators: [Token.Kind: BinaryOperator] = [
        .less: .less, .lessEqual: .lessEqual, .greater: .greater,
        .greaterEqual: .greaterEqual, .equal: .equal, .notEqual: .notEqual,
    ]

    /// comparison -> sum [ ( '<' | '<=' | '>' | '>=' | '==' | '!=' ) sum ]
    mutating func parseComparison() throws -> Expr {
        let left = try parseSum()
        guard let op = Parser.comparisonOperators[current.kind], continuesLine else { return left }
        advance()
        let right = try parseSum()
        if Parser.comparisonOperators[current.kind] != nil && continuesLine {
            throw error("comparisons do not chain; write 'a < b and b < c'", at: current)
        }
        return try node(.binary(op, left, right), left.range.union(right.range), children: [left, right])
    }

    /// sum -> product { ( '+' | '-' ) product }
    mutating func parseSum() throws -> Expr {
        var left = try parseProduct()
        while (check(.plus) || check(.minus)) && continuesLine {
            let op: BinaryOperator = advance().kind == .plus ? .add : .subtract
            let right = try parseProduct()
            left = try node(.binary(op, left, right), left.range.union(right.range), children: [left, right])
        }
        return left
    }

    /// product -> unary { ( '*' | '/' ) unary }
    mutating func parseProduct() throws -> Expr {
        var left = try parseUnary()
        while (check(.star) || check(.slash)) && continuesLine {
            let op: BinaryOperator = advance().kind == .star ? .multiply : .divide
            let right = try parseUnary()
            left = try node(.binary(op, left, right), left.range.union(right.range), children: [left, right])
        }
        return left
    }

    /// unary -> '-' unary | power
    mutating func parseUnary() throws -> Expr {
        if check(.minus) {
            let minus = advance()
            try enterNesting()
            defer { nesting -= 1 }
            let operand = try parseUnary()
            return try node(.unary(.negate, operand), minus.range.union(operand.range), children: [operand])
        }
        if check(.plus) {
            throw error("Wiggle has no unary '+'; drop it", at: current)
        }
        return try parsePower()
    }

    /// power -> postfix [ '^' unary ]        (right associative: 2^3^2 is 2^(3^2))
    mutating func parsePower() throws -> Expr {
        let base = try parsePostfix()
        guard check(.caret) && continuesLine else { return base }
        advance()
        try enterNesting()
        defer { nesting -= 1 }
        let exponent = try parseUnary()
        return try node(.binary(.power, base, exponent), base.range.union(exponent.range), children: [base, exponent])
    }

    /// postfix -> primary { '(' arguments ')' | '[' expression ']' | '@' NAME }
    mutating func parsePostfix() throws -> Expr {
        var expression = try parsePrimary()
        while continuesLine {
            if check(.leftParen) {
                let open = advance()
                let arguments = try parseArguments(open: open)
                let close = previous
                expression = try node(.call(callee: expression, arguments: arguments),
                                      expression.range.union(close.range),
                                      children: [expression] + arguments.map(\.value))
            } else if check(.leftBracket) {
                let open = advance()
                groupDepth += 1
                defer { groupDepth -= 1 }
                let subscriptExpr = try parseExpression()
                let close = try expectClosing(.rightBracket, opener: open)
                expression = try node(.index(expression, subscriptExpr), expression.range.union(close.range),
                                      children: [expression, subscriptExpr])
            } else if check(.at) {
                let at = advance()
                guard check(.identifier) else {
                    let names = EstimatorNames.list(estimators?.listed ?? EstimatorNames.language)
                    throw error("expected an estimator name after '@' (\(names))", at: current)
                }
                let name = advance()
                let annotation = EstimatorAnnotation(name: name.text, range: at.range.union(name.range))
                if let estimators, !estimators.known.contains(name.text) {
                    throw error(estimators.unknown(name.text), at: annotation.range)
                }
                guard case .call = expression.kind else {
                    throw error("an estimator annotation follows a random call, as in normal(0, 1) @score",
                                at: at.range.union(name.range))
                }
                expression = try node(.annotated(expression, annotation), expression.range.union(name.range),
                                      children: [expression])
            } else {
                break
            }
        }
        return expression
    }

    /// arguments -> [ argument { ',' argument } [ ',' ] ] ')'
    /// argument  -> NAME '=' expression | expression
    mutating func parseArguments(open: Token) throws -> [Argument] {
        groupDepth += 1
        defer { groupDepth -= 1 }
        var arguments: [Argument] = []
        while !check(.rightParen) {
            var label: Identifier?
            if check(.identifier) && peek().kind == .assign {
                let name = advance()
                advance()
                if arguments.contains(where: { $0.label?.name == name.text }) {
                    throw error("argument '\(name.text)' is given twice", at: name)
                }
                label = Identifier(name.text, name.range)
            } else if arguments.last?.label != nil {
                throw error("a positional argument cannot follow a keyword argument", at: current)
            }
            let value = try parseExpression()
            arguments.append(Argument(label: label, value: value))
            if !match(.comma) { break }
        }
        try expectClosing(.rightParen, opener: open)
        return arguments
    }

    /// primary -> NUMBER | STRING | 'true' | 'false' | NAME | 'E' '[' expression ']'
    ///          | '(' expression ')' | list
    mutating func parsePrimary() throws -> Expr {
        let token = current
        switch token.kind {
        case .number:
            advance()
            return Expr(.number(token.number), token.range)
        case .string:
            advance()
            return Expr(.string(token.text), token.range)
        case .kwTrue, .kwFalse:
            advance()
            return Expr(.boolean(token.kind == .kwTrue), token.range)
        case .identifier:
            advance()
            if token.text == "E" && check(.leftBracket) && !current.newlineBefore {
                let open = advance()
                groupDepth += 1
                defer { groupDepth -= 1 }
                if check(.rightBracket) {
                    throw error("E[...] needs an expression inside the brackets", at: current)
                }
                let inner = try parseExpression()
                let close = try expectClosing(.rightBracket, opener: open)
                return try node(.expectation(inner), token.range.union(close.range), children: [inner])
            }
            return Expr(.name(token.text), token.range)
        case .leftParen:
            let open = advance()
            groupDepth += 1
            defer { groupDepth -= 1 }
            if check(.rightParen) {
                throw error("expected an expression inside '()'", at: current)
            }
            var inner = try parseExpression()
            let close = try expectClosing(.rightParen, opener: open)
            inner.range = open.range.union(close.range)
            return inner
        case .leftBracket:
            return try parseList()
        default:
            throw error("expected an expression, found \(describe(token))", at: token)
        }
    }

    /// list -> '[' [ expression ( 'for' NAME 'in' expression [ 'if' expression ]
    ///                          | { ',' expression } [ ',' ] ) ] ']'
    mutating func parseList() throws -> Expr {
        let open = advance()
        groupDepth += 1
        defer { groupDepth -= 1 }
        var elements: [Expr] = []
        if check(.rightBracket) {
            let close = advance()
            return Expr(.list([]), open.range.union(close.range))
        }
        let first = try parseExpression()
        if match(.kwFor) {
            let variable = try expect(.identifier, "a loop variable after 'for'")
            try expect(.kwIn, "'in' after the loop variable")
            let sequence = try parseExpression()
            var condition: Expr?
            if match(.kwIf) { condition = try parseExpression() }
            let close = try expectClosing(.rightBracket, opener: open)
            let comprehension = Comprehension(element: first, variable: Identifier(variable.text, variable.range),
                                              sequence: sequence, condition: condition)
            return try node(.comprehension(comprehension), open.range.union(close.range),
                            children: [first, sequence] + (condition.map { [$0] } ?? []))
        }
        elements.append(first)
        while match(.comma) {
            if check(.rightBracket) { break }
            elements.append(try parseExpression())
        }
        let close = try expectClosing(.rightBracket, opener: open)
        return try node(.list(elements), open.range.union(close.range), children: elements)
    }
}
