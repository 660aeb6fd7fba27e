// Diagnostic.swift — the one error type users see, and its rendering.

/// Something wrong (or worth a warning) at a place in a source file.
///
/// Every user-facing problem — a syntax error, a runtime error, a warning —
/// is a `Diagnostic`, rendered in one place by ``DiagnosticPrinter``.
public struct Diagnostic: Error, CustomStringConvertible, Sendable {
    /// How serious it is.
    public enum Severity: String, Sendable {
        /// The program cannot go on (or did not parse).
        case error
        /// A result is shown, but may mislead (a biased gradient).
        case warning
    }

    /// What kind of problem it is; decides the exit code.
    public enum Kind: Sendable, Equatable {
        /// The program does not parse (exit 65).
        case syntax
        /// The program parses so far, but the input ended too early; a REPL
        /// asks for another line instead of reporting it.
        case incompleteInput
        /// The program failed while running (exit 70), or, as a warning,
        /// something found while running.
        case runtime
    }

    /// What kind of problem it is.
    public var kind: Kind
    /// Whether it is an error or a warning.
    public var severity: Severity
    /// What is wrong, in words.
    public var message: String
    /// The file the problem is in.
    public var file: SourceFile
    /// The text the diagnostic points at.
    public var range: SourceRange

    /// Creates a diagnostic (an error unless `severity` says otherwise).
    public init(_ kind: Kind, _ message: String, in file: SourceFile, at range: SourceRange,
                severity: Severity = .error) {
        self.kind = kind
        self.severity = severity
        self.message = message
        self.file = file
        self.range = range
    }

    /// Where the diagnostic points.
    public var location: SourceLocation { file.location(of: range.start) }

    /// `file:line:col: error: message`, without the source excerpt.
    public var description: String {
        "\(file.name):\(location): \(severity.rawValue): \(message)"
    }
}

/// Renders diagnostics as `file:line:col: error: message`, the source line and a caret.
public struct DiagnosticPrinter: Sendable {
    /// Whether to use ANSI colours (only on a terminal).
    public var colored: Bool
    /// The widest excerpt of a source line shown; longer lines are cut around the caret.
    public var maxExcerptWidth = 100

    /// Creates a printer.
    public init(colored: Bool = false) {
        self.colored = colored
    }

    /// The full rendering, ending in a newline.
    public func render(_ diagnostic: Diagnostic) -> String {
        let file = diagnostic.file
        let location = diagnostic.location
        let lineBytes = file.lineRange(containing: diagnostic.range.start)
        let severity = diagnostic.severity.rawValue
        let heading = colored
            ? "\u{1B}[1m\(file.name):\(location): \(diagnostic.severity == .error ? "\u{1B}[31m" : "\u{1B}[35m")\(severity):\u{1B}[0m\u{1B}[1m \(diagnostic.message)\u{1B}[0m"
            : "\(file.name):\(location): \(severity): \(diagnostic.message)"

        // The source line as scalars, with anything unprintable shown as U+FFFD
        // so that a NUL byte or an escape sequence cannot garble the terminal.
        let scalars = Array(file.text(lineBytes).unicodeScalars).map { scalar -> Character in
            if scalar == "\t" { return "\t" }
            if scalar.value < 0x20 || scalar.value == 0x7F { return "\u{FFFD}" }
            return Character(scalar)
        }
        let caretColumn = location.column - 1
        let endOffset = min(diagnostic.range.end, lineBytes.upperBound)
        let endColumn = diagnostic.range.end > diagnostic.range.start
            ? max(caretColumn + 1, file.location(of: endOffset).column - 1)
            : caretColumn + 1

        // Cut long lines to a window around the caret.
        var windowStart = 0
        var windowEnd = scalars.count
        if scalars.count > maxExcerptWidth {
            windowStart = max(0, min(caretColumn - maxExcerptWidth / 2, scalars.count - maxExcerptWidth))
            windowEnd = min(scalars.count, windowStart + maxExcerptWidth)
        }
        let prefix = windowStart > 0 ? "..." : ""
        let suffix = windowEnd < scalars.count ? "..." : ""
        let shown = scalars.isEmpty ? [] : Array(scalars[min(windowStart, scalars.count)..<windowEnd])
        var caretLine = String(repeating: " ", count: prefix.count)
        for index in windowStart..<max(windowStart, min(caretColumn, windowEnd)) {
            caretLine.append(scalars[index] == "\t" ? "\t" : " ")
        }
        let underline = max(0, min(endColumn, windowEnd) - caretColumn - 1)
        let mark = "^" + String(repeating: "~", count: underline)
        let caret = colored ? "\u{1B}[1;32m\(mark)\u{1B}[0m" : mark
        return heading + "\n" + prefix + String(shown) + suffix + "\n" + caretLine + caret + "\n"
    }
}
