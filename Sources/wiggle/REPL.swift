// REPL.swift — the interactive loop on a terminal, with GNU readline.

import CReadline
import Foundation
import WiggleLang
import WiggleSyntax

/// Reads statements at a prompt and runs them in one session.
struct REPL {
    let session: Session
    let prompt = "wiggle> "
    let continuation = "   ...> "

    func run() {
        let printer = OutputPrinter(json: false)
        var lineNumber = 1
        var pending = ""
        StandardOutput.shared.write("Wiggle \(Wiggle.version). Ctrl-D to quit.\n")
        while true {
            guard let raw = readline(pending.isEmpty ? prompt : continuation) else {
                StandardOutput.shared.write("\n")
                StandardOutput.shared.flush()
                return
            }
            let line = String(cString: raw)
            free(raw)
            pending += pending.isEmpty ? line : "\n" + line
            if pending.allSatisfy(\.isWhitespace) {
                pending = ""
                continue
            }
            let source = SourceFile(name: "<repl>", text: pending + "\n", firstLine: lineNumber)
            let result = session.run(source, output: printer.emit)
            StandardOutput.shared.flush()
            if result.status == .incomplete { continue }
            add_history(pending)
            lineNumber += source.lineCount - 1
            pending = ""
            printer.report(result.diagnostics)
        }
    }
}
