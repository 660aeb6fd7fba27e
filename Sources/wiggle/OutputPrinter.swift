// OutputPrinter.swift — writes results and diagnostics, as text or JSON Lines.

import Foundation
import WiggleLang
import WiggleSyntax

/// Writes a session's outputs to standard output and its diagnostics to
/// standard error (and, under `--json`, also as JSON objects on standard output).
struct OutputPrinter {
    var json: Bool
    /// Colour diagnostics only on a terminal, and never when NO_COLOR is set.
    var colored: Bool = isatty(STDERR_FILENO) != 0
        && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    init(json: Bool) {
        self.json = json
    }

    /// Writes one output of a running program.
    func emit(_ output: Output) {
        switch output {
        case .display(let value, let line):
            writeLine(json ? Display.jsonLine(value, line: line) : Display.plain(value))
            if json, case .gradient(let result) = value {
                // Each warning is also its own object, so a reader cannot miss it.
                for warning in result.warnings {
                    var object = JSONObject()
                    object.add("line", .number(Double(warning.line)))
                    object.add("column", .number(Double(warning.column)))
                    object.add("kind", .string("warning"))
                    object.add("message", .string(warning.message))
                    object.add("value", .null)
                    writeLine(object.rendered)
                }
            }
        case .printed(let text, let line):
            if json {
                var object = JSONObject()
                object.add("line", .number(Double(line)))
                object.add("kind", .string("print"))
                object.add("value", .string(text))
                writeLine(object.rendered)
            } else {
                writeLine(text)
            }
        }
    }

    /// Writes diagnostics: rendered with source and caret on standard error,
    /// and as JSON objects on standard output under `--json`.
    func report(_ diagnostics: [Diagnostic]) {
        let printer = DiagnosticPrinter(colored: colored)
        for diagnostic in diagnostics {
            if json { writeLine(diagnostic.jsonLine) }
            standardError(printer.render(diagnostic))
        }
        StandardOutput.shared.flush()
    }

    func writeLine(_ text: String) {
        StandardOutput.shared.write(text + "\n")
    }
}

/// Buffered standard output: flushed per line on a terminal, in blocks on a pipe.
final class StandardOutput: @unchecked Sendable {
    /// The one standard output (used from one thread at a time: the session
    /// thread while a program runs, the main thread otherwise).
    static let shared = StandardOutput()

    private var buffer: [UInt8] = []
    private let isTerminal = isatty(STDOUT_FILENO) != 0

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if isTerminal || buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { Foundation.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written <= 0 {
                if written < 0 && errno == EINTR { continue }
                break  // a closed pipe: drop the rest quietly
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
