// Parser+Recovery.swift — getting back on track after a syntax error.

extension Parser {
    /// Skips to where the next statement plausibly begins, so that one run
    /// reports every independent mistake (as clox's panic mode does).
    ///
    /// A statement begins after a ';' or at a token on a new line, outside any
    /// braces opened while skipping. A '}' that closes the enclosing block is
    /// left for the block to consume.
    mutating func synchronize(statementStart: Int) {
        groupDepth = 0
        // If the error is at the first token of a line (a bracket left open on
        // the line before), the next statement starts right here.
        if index > statementStart && current.newlineBefore && !check(.eof) { return }
        var braces = 0
        let skipStart = index
        while !check(.eof) {
            let token = current
            if braces == 0 && index > skipStart && token.newlineBefore { return }
            switch token.kind {
            case .semicolon where braces == 0:
                advance()
                return
            case .rightBrace:
                if braces == 0 {
                    // Belongs to the enclosing block; make progress at the top level.
                    if index == statementStart { advance() }
                    return
                }
                braces -= 1
            case .leftBrace:
                braces += 1
            default:
                break
            }
            advance()
        }
    }
}
