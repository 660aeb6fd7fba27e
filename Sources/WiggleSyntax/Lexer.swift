// Lexer.swift — turns bytes into tokens.

/// Splits a ``SourceFile`` into ``Token``s.
///
/// The lexer never fails: a bad character, an unterminated string or a
/// malformed number becomes a diagnostic and lexing goes on, so that the parser
/// can report everything in one run. Newlines are not tokens; each token
/// instead records whether a newline came before it (``Token/newlineBefore``),
/// and the parser decides where that ends a statement.
public struct Lexer {
    private let file: SourceFile
    private let bytes: [UInt8]
    private var position = 0
    private var sawNewline = true
    /// Problems found so far.
    public private(set) var diagnostics: [Diagnostic] = []

    /// Creates a lexer over a file.
    public init(file: SourceFile) {
        self.file = file
        self.bytes = file.bytes
    }

    /// Lexes the whole file; the last token is always `.eof`.
    public static func tokenize(_ file: SourceFile) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(file: file)
        var tokens: [Token] = []
        while true {
            let token = lexer.next()
            tokens.append(token)
            if token.kind == .eof { break }
        }
        return (tokens, lexer.diagnostics)
    }

    private func peek(_ ahead: Int = 0) -> UInt8 {
        position + ahead < bytes.count ? bytes[position + ahead] : 0
    }

    private var atEnd: Bool { position >= bytes.count }

    private mutating func error(_ message: String, _ start: Int, _ end: Int) {
        diagnostics.append(Diagnostic(.syntax, message, in: file, at: SourceRange(start: start, end: end)))
    }

    /// Skips spaces, tabs, carriage returns, newlines and comments.
    private mutating func skipTrivia() {
        while !atEnd {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), 0x0C:
                position += 1
            case UInt8(ascii: "\n"):
                sawNewline = true
                position += 1
            case UInt8(ascii: "#"):
                // Comments run to the end of the line; their bytes are not checked.
                while !atEnd && bytes[position] != UInt8(ascii: "\n") { position += 1 }
            default:
                return
            }
        }
    }

    /// The next token.
    public mutating func next() -> Token {
        do {
            skipTrivia()
            let newline = sawNewline
            let start = position
            if atEnd {
                sawNewline = false
                return Token(.eof, .at(bytes.count), newlineBefore: newline)
            }
            sawNewline = false
            if let token = lexToken(start: start) {
                return token.with(newlineBefore: newline)
            }
            // lexToken reported an error and skipped the bad input: stand in
            // for it with a token the parser knows not to report again.
            return Token(.invalid, SourceRange(start: start, end: position), newlineBefore: newline)
        }
    }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Lexes one token starting at `start`, or reports an error and returns nil.
    private mutating func lexToken(start: Int) -> Token? {
        let byte = bytes[position]
        if Lexer.isIdentifierStart(byte) {
            while !atEnd && (Lexer.isIdentifierStart(peek()) || Lexer.isDigit(peek())) { position += 1 }
            let name = String(decoding: bytes[start..<position], as: UTF8.self)
            let kind = Token.keywords[name] ?? .identifier
            return Token(kind, SourceRange(start: start, end: position), newlineBefore: false, text: name)
        }
        if Lexer.isDigit(byte) { return lexNumber(start: start) }
        if byte == UInt8(ascii: "\"") { return lexString(start: start) }

        func single(_ kind: Token.Kind, _ length: Int = 1) -> Token {
            position += length
            return Token(kind, SourceRange(start: start, end: position), newlineBefore: false)
        }
        let next = peek(1)
        let equalsNext = next == UInt8(ascii: "=")
        switch byte {
        case UInt8(ascii: "("): return single(.leftParen)
        case UInt8(ascii: ")"): return single(.rightParen)
        case UInt8(ascii: "["): return single(.leftBracket)
        case UInt8(ascii: "]"): return single(.rightBracket)
        case UInt8(ascii: "{"): return single(.leftBrace)
        case UInt8(ascii: "}"): return single(.rightBrace)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: ";"): return single(.semicolon)
        case UInt8(ascii: "@"): return single(.at)
        case UInt8(ascii: "^"): return single(.caret)
        case UInt8(ascii: "+"): return equalsNext ? single(.plusAssign, 2) : single(.plus)
        case UInt8(ascii: "-"): return equalsNext ? single(.minusAssign, 2) : single(.minus)
        case UInt8(ascii: "*"):
            if next == UInt8(ascii: "*") {
                position += 2
                error("Wiggle writes powers with '^', not '**'", start, position)
                return Token(.caret, SourceRange(start: start, end: position), newlineBefore: false)
            }
            return equalsNext ? single(.starAssign, 2) : single(.star)
        case UInt8(ascii: "/"): return equalsNext ? single(.slashAssign, 2) : single(.slash)
        case UInt8(ascii: "="): return equalsNext ? single(.equal, 2) : single(.assign)
        case UInt8(ascii: "<"): return equalsNext ? single(.lessEqual, 2) : single(.less)
        case UInt8(ascii: ">"): return equalsNext ? single(.greaterEqual, 2) : single(.greater)
        case UInt8(ascii: "!"):
            if equalsNext { return single(.notEqual, 2) }
            position += 1
            error("unexpected '!'; write 'not' for negation", start, position)
            return nil
        case UInt8(ascii: "."):
            if next == UInt8(ascii: ".") { return single(.dotDot, 2) }
            position += 1
            if Lexer.isDigit(peek()) {
                error("a number needs a digit before '.' (write 0.5, not .5)", start, position)
            } else {
                error("unexpected '.'", start, position)
            }
            return nil
        default:
            reportUnexpectedCharacter(start: start)
            return nil
        }
    }

    /// Reports a character that cannot start a token and skips it (a whole
    /// UTF-8 sequence, or one byte of invalid UTF-8).
    private mutating func reportUnexpectedCharacter(start: Int) {
        let byte = bytes[start]
        let length = utf8SequenceLength(at: start)
        if length == 0 {
            position = start + 1
            error("invalid UTF-8 byte 0x\(hex(byte))", start, position)
            return
        }
        position = start + length
        let scalar = String(decoding: bytes[start..<position], as: UTF8.self).unicodeScalars.first
        let code = scalar.map { "U+" + hex4($0.value) } ?? "?"
        if byte < 0x20 || byte == 0x7F {
            error("unexpected control character \(code)", start, position)
        } else if let scalar, scalar.value > 0x7F {
            error("unexpected character '\(scalar)' (\(code)); names are ASCII letters, digits and '_'", start, position)
        } else {
            error("unexpected character '\(Character(UnicodeScalar(byte)))'", start, position)
        }
    }

    /// The length of a valid UTF-8 sequence at `offset`, or 0 if the bytes there are not valid UTF-8.
    private func utf8SequenceLength(at offset: Int) -> Int {
        let lead = bytes[offset]
        let length: Int
        var minimum: UInt32
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2; minimum = 0x80
        case 0xE0...0xEF: length = 3; minimum = 0x800
        case 0xF0...0xF4: length = 4; minimum = 0x10000
        default: return 0
        }
        guard offset + length <= bytes.count else { return 0 }
        var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for index in 1..<length {
            let continuation = bytes[offset + index]
            guard continuation & 0xC0 == 0x80 else { return 0 }
            value = value << 6 | UInt32(continuation & 0x3F)
        }
        if value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF) { minimum = 0; return 0 }
        return length
    }

    /// number -> digits [ '.' digits ] [ ('e'|'E') ['+'|'-'] digits ]
    private mutating func lexNumber(start: Int) -> Token? {
        while Lexer.isDigit(peek()) && !atEnd { position += 1 }
        if peek() == UInt8(ascii: ".") && Lexer.isDigit(peek(1)) && position + 1 < bytes.count {
            position += 1
            while !atEnd && Lexer.isDigit(peek()) { position += 1 }
        }
        if !atEnd && (peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E")) {
            var look = 1
            if peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-") { look = 2 }
            if position + look < bytes.count && Lexer.isDigit(peek(look)) {
                position += look
                while !atEnd && Lexer.isDigit(peek()) { position += 1 }
            } else {
                position += 1
                error("expected digits after the exponent 'e'", start, position)
                return nil
            }
        }
        // A letter or digit glued to a number (`3x`, `1.5.2`) is a typo, not two tokens.
        if !atEnd && (Lexer.isIdentifierStart(peek())
                      || (peek() == UInt8(ascii: ".") && Lexer.isDigit(peek(1)))) {
            while !atEnd && (Lexer.isIdentifierStart(peek()) || Lexer.isDigit(peek())
                             || (peek() == UInt8(ascii: ".") && peek(1) != UInt8(ascii: "."))) {
                position += 1
            }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            error("invalid number '\(text)'", start, position)
            return nil
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        let range = SourceRange(start: start, end: position)
        guard let value = Double(text) else {
            error("invalid number '\(text)'", start, position)
            return nil
        }
        if value.isInfinite {
            error("number \(text) is too large (the largest is about 1.8e308)", start, position)
            return nil
        }
        let mantissa = text.prefix { $0 != "e" && $0 != "E" }
        if value == 0 && mantissa.contains(where: { $0 >= "1" && $0 <= "9" }) {
            error("number \(text) is too small to represent (it would be 0)", start, position)
            return nil
        }
        return Token(.number, range, newlineBefore: false, number: value)
    }

    /// string -> '"' { char | '\' ( 'n' | 't' | '"' | '\' ) } '"'   (on one line)
    private mutating func lexString(start: Int) -> Token? {
        position += 1
        var content: [UInt8] = []
        var ok = true
        while true {
            if atEnd || peek() == UInt8(ascii: "\n") {
                error("unterminated string; add a closing '\"' on this line", start, position)
                return nil
            }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                break
            }
            if byte == UInt8(ascii: "\\") {
                let escapeStart = position
                position += 1
                if atEnd { continue }
                switch bytes[position] {
                case UInt8(ascii: "n"): content.append(UInt8(ascii: "\n")); position += 1
                case UInt8(ascii: "t"): content.append(UInt8(ascii: "\t")); position += 1
                case UInt8(ascii: "\""): content.append(UInt8(ascii: "\"")); position += 1
                case UInt8(ascii: "\\"): content.append(UInt8(ascii: "\\")); position += 1
                case UInt8(ascii: "\n"):
                    continue
                default:
                    let length = max(1, utf8SequenceLength(at: position))
                    position += length
                    let shown = String(decoding: bytes[escapeStart..<position], as: UTF8.self)
                    error("unknown escape '\(shown)' in a string (use \\n, \\t, \\\" or \\\\)", escapeStart, position)
                    ok = false
                }
                continue
            }
            if byte < 0x20 && byte != UInt8(ascii: "\t") || byte == 0x7F {
                error("control character U+\(hex4(UInt32(byte))) in a string; write it as an escape", position, position + 1)
                position += 1
                ok = false
                continue
            }
            let length = utf8SequenceLength(at: position)
            if length == 0 {
                error("invalid UTF-8 byte 0x\(hex(byte)) in a string", position, position + 1)
                position += 1
                ok = false
                continue
            }
            content.append(contentsOf: bytes[position..<position + length])
            position += length
        }
        guard ok else { return nil }
        return Token(.string, SourceRange(start: start, end: position), newlineBefore: false,
                     text: String(decoding: content, as: UTF8.self))
    }
}

private extension Token {
    func with(newlineBefore: Bool) -> Token {
        var copy = self
        copy.newlineBefore = newlineBefore
        return copy
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
}

private func hex4(_ value: UInt32) -> String {
    var text = String(value, radix: 16, uppercase: true)
    while text.count < 4 { text = "0" + text }
    return text
}
