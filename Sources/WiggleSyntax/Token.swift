// Token.swift — the tokens of Wiggle.

/// One token of source text.
public struct Token: Sendable {
    /// What sort of token this is.
    public enum Kind: Sendable, Equatable {
        case number, string, identifier
        // Keywords.
        case kwParam, kwFn, kwIf, kwElse, kwFor, kwIn, kwWhile, kwReturn, kwBreak, kwContinue
        case kwAnd, kwOr, kwNot, kwTrue, kwFalse
        // Punctuation.
        case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
        case comma, semicolon, at, dotDot
        case assign, plusAssign, minusAssign, starAssign, slashAssign
        case plus, minus, star, slash, caret
        case equal, notEqual, less, lessEqual, greater, greaterEqual
        /// Input the lexer already reported as an error; the parser reports nothing more about it.
        case invalid
        case eof
    }

    /// What sort of token this is.
    public var kind: Kind
    /// Where the token is in the source.
    public var range: SourceRange
    /// True when a newline separates this token from the one before it.
    public var newlineBefore: Bool
    /// The identifier's name, or the decoded contents of a string.
    public var text: String
    /// The value of a number literal.
    public var number: Double

    /// Creates a token.
    public init(_ kind: Kind, _ range: SourceRange, newlineBefore: Bool, text: String = "", number: Double = 0) {
        self.kind = kind
        self.range = range
        self.newlineBefore = newlineBefore
        self.text = text
        self.number = number
    }

    /// Every keyword's spelling, sorted (for completion).
    public static var keywordSpellings: [String] { keywords.keys.sorted() }

    /// Keywords by spelling.
    static let keywords: [String: Kind] = [
        "param": .kwParam, "fn": .kwFn, "if": .kwIf, "else": .kwElse, "for": .kwFor,
        "in": .kwIn, "while": .kwWhile, "return": .kwReturn, "and": .kwAnd, "or": .kwOr,
        "break": .kwBreak, "continue": .kwContinue,
        "not": .kwNot, "true": .kwTrue, "false": .kwFalse,
    ]
}

extension Token.Kind: CustomStringConvertible {
    /// How the token kind is named in messages, e.g. `')'`.
    public var description: String {
        switch self {
        case .number: return "a number"
        case .string: return "a string"
        case .identifier: return "a name"
        case .kwParam: return "'param'"
        case .kwFn: return "'fn'"
        case .kwIf: return "'if'"
        case .kwElse: return "'else'"
        case .kwFor: return "'for'"
        case .kwIn: return "'in'"
        case .kwWhile: return "'while'"
        case .kwReturn: return "'return'"
        case .kwBreak: return "'break'"
        case .kwContinue: return "'continue'"
        case .kwAnd: return "'and'"
        case .kwOr: return "'or'"
        case .kwNot: return "'not'"
        case .kwTrue: return "'true'"
        case .kwFalse: return "'false'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .comma: return "','"
        case .semicolon: return "';'"
        case .at: return "'@'"
        case .dotDot: return "'..'"
        case .assign: return "'='"
        case .plusAssign: return "'+='"
        case .minusAssign: return "'-='"
        case .starAssign: return "'*='"
        case .slashAssign: return "'/='"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .caret: return "'^'"
        case .equal: return "'=='"
        case .notEqual: return "'!='"
        case .less: return "'<'"
        case .lessEqual: return "'<='"
        case .greater: return "'>'"
        case .greaterEqual: return "'>='"
        case .invalid: return "an invalid token"
        case .eof: return "end of input"
        }
    }
}
