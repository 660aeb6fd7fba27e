import Foundation
import WiggleLang
import WiggleSyntax

/// What running a program produced.
struct RunOutcome {
    var lines: [String]
    var diagnostics: [Diagnostic]
    var status: Session.Status

    var exitCode: Int32 { status.exitCode }
    var text: String { lines.joined(separator: "\n") }
    /// "line:col: message" of each diagnostic.
    var errors: [String] { diagnostics.map { "\($0.location): \($0.message)" } }
}

/// Runs a program in a fresh session and collects its plain output.
func run(_ text: String, name: String = "test.wgl", session: Session = Session()) -> RunOutcome {
    runBytes(Array(text.utf8), name: name, session: session)
}

/// Runs raw bytes (for NUL bytes and invalid UTF-8).
func runBytes(_ bytes: [UInt8], name: String = "test.wgl", session: Session = Session()) -> RunOutcome {
    let lines = LineCollector()
    let result = session.run(SourceFile(name: name, bytes: bytes)) { output in
        switch output {
        case .display(let value, _): lines.lines.append(Display.plain(value))
        case .printed(let text, _): lines.lines.append(text)
        }
    }
    return RunOutcome(lines: lines.lines, diagnostics: result.diagnostics, status: result.status)
}

final class LineCollector: @unchecked Sendable {
    var lines: [String] = []
}

/// The repository's root folder.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
