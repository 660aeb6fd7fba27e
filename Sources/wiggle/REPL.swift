// REPL.swift — the interactive loop on a terminal, with GNU readline.
//
// Multi-line input: the parser decides. When it reports that the input ended
// too early (an unclosed bracket, a trailing operator, a block awaiting its
// `}`), the REPL reads another line; strings and comments cannot fool it.

#if Readline
import CReadline
#endif
import CSupport
import WiggleGraph
import Foundation
import WiggleLang
import WiggleSyntax

/// Reads statements at a prompt and runs them in one session.
final class REPL {
    var session: Session
    let prompt = "wiggle> "
    let continuation = "   ...> "
    let printer = OutputPrinter(json: false)
    /// Where history lives: $WIGGLE_HISTORY, else ~/.wiggle_history.
    let historyPath: String
    /// At most this many entries are kept.
    let historyLimit: Int32 = 1_000
    var entriesSinceTruncation = 0
    /// Lines so far, so that every input's diagnostics say `<repl>:LINE:COL`.
    var lineNumber = 1

    static let commands = [":help", ":quit", ":reset", ":load", ":params", ":set", ":explain"]

    init(session: Session) {
        self.session = session
        let environment = ProcessInfo.processInfo.environment
        historyPath = environment["WIGGLE_HISTORY"]
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".wiggle_history")
    }

    func run() {
        wiggle_install_sigint(0)
        wiggle_rl_setup()
        session.shouldStop = { wiggle_sigint_pending() != 0 }
        loadHistory()
        write("Wiggle \(Wiggle.version). :help for help, Ctrl-D to quit.\n")
        var pending = ""
        while true {
            updateCompletions()
            guard let line = readLine(pending.isEmpty ? prompt : continuation) else {
                // Ctrl-D on an empty line (an `if` still waiting for `else` runs first).
                if awaitingElse { submit(pending) }
                write("\n")
                return
            }
            if wiggle_rl_take_prompt_interrupt() != 0 {
                // Ctrl-C at the prompt: drop what was typed, start afresh.
                pending = ""
                awaitingElse = false
                continue
            }
            if pending.isEmpty {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                if trimmed.hasPrefix(":") {
                    remember(trimmed)
                    if !command(trimmed) { return }
                    continue
                }
            }
            if awaitingElse {
                // An `if` ended at the last line: `else` may follow on this one.
                awaitingElse = false
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("else") && !trimmed.hasPrefix("else_") {
                    pending += "\n" + line
                } else {
                    submit(pending)
                    pending = ""
                    if trimmed.isEmpty { continue }
                    if trimmed.hasPrefix(":") {
                        remember(trimmed)
                        if !command(trimmed) { return }
                        continue
                    }
                    pending = line
                }
            } else {
                pending += pending.isEmpty ? line : "\n" + line
            }
            let source = SourceFile(name: "<repl>", text: pending + "\n", firstLine: lineNumber)
            let parsed = Parser.parse(source)
            if parsed.isIncomplete { continue }
            if !parsed.hasErrors, case .ifChain(_, nil)? = parsed.program.statements.last?.kind,
               pending.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("}") {
                awaitingElse = true
                continue
            }
            submit(pending)
            pending = ""
        }
    }

    /// Whether the input so far ends with an `if` that an `else` on the next
    /// line may continue (grammar.md allows `}` NEWLINE `else`).
    var awaitingElse = false

    /// Records and runs one complete input.
    func submit(_ text: String) {
        let source = SourceFile(name: "<repl>", text: text + "\n", firstLine: lineNumber)
        remember(text)
        lineNumber += source.lineCount - 1
        evaluate(source)
    }

    /// Runs one complete input and reports its diagnostics; the session keeps
    /// everything defined before an error.
    func evaluate(_ source: SourceFile) {
        // A Ctrl-C from before the input was complete belongs to the prompt.
        wiggle_clear_sigint()
        printer.reportedStop = false
        let result = session.run(source, output: printer.emit)
        reportOutcome(result, of: source)
        wiggle_clear_sigint()
    }

    /// Reports a run's diagnostics; a stop by Ctrl-C is one line, not an
    /// error (and nothing more when an optimisation already said where it stopped).
    func reportOutcome(_ result: Session.RunResult, of source: SourceFile) {
        if result.status == .interrupted {
            if !printer.reportedStop {
                let line = result.diagnostics.first.map { "\($0.location.line)" } ?? "?"
                write("stopped by Ctrl-C at line \(line); the session keeps what was done before\n")
            }
            return
        }
        printer.report(result.diagnostics)
        StandardOutput.shared.flush()
    }

    #if Readline
    /// One line from GNU readline, or nil at Ctrl-D on an empty line.
    func readLine(_ prompt: String) -> String? {
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        return String(cString: raw)
    }

    func loadHistory() {
        stifle_history(historyLimit)
        if FileManager.default.fileExists(atPath: historyPath) {
            read_history(historyPath)
        }
    }

    /// Adds an entry to the history and to the history file at once, so that
    /// a crash loses nothing.
    func remember(_ entry: String) {
        add_history(entry)
        if !FileManager.default.fileExists(atPath: historyPath) {
            write_history(historyPath)
        } else {
            append_history(1, historyPath)
        }
        entriesSinceTruncation += 1
        if entriesSinceTruncation >= 100 {
            history_truncate_file(historyPath, historyLimit)
            entriesSinceTruncation = 0
        }
    }

    #else
    /// Without readline: a plain line from standard input. Ctrl-C at the
    /// prompt interrupts the read; that gives a fresh prompt, not an exit.
    func readLine(_ prompt: String) -> String? {
        write(prompt)
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(STDIN_FILENO, &byte, 1)
            if count == 1 {
                if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
                bytes.append(byte)
            } else if count == 0 {
                return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
            } else if errno == EINTR, wiggle_sigint_pending() != 0 {
                wiggle_clear_sigint()
                bytes.removeAll()
                write("\n" + prompt)
            } else if errno != EINTR {
                return nil
            }
        }
    }

    func loadHistory() {}

    /// Without readline there is no history file.
    func remember(_ entry: String) {}
    #endif

    func updateCompletions() {
        let words = REPL.commands + session.names
        var pointers = words.map { strdup($0) }
        pointers.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress?.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { base in
                wiggle_rl_set_completions(base, Int32(buffer.count))
            }
        }
        for pointer in pointers { free(pointer) }
        pointers.removeAll()
    }

    /// Runs a `:command`; returns false to quit.
    func command(_ text: String) -> Bool {
        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch parts[0] {
        case ":help", ":h", ":?":
            write(REPL.help)
        case ":quit", ":q", ":exit":
            return false
        case ":reset":
            let settings = session.settings
            // Release the old session on a large stack (its values may nest deeply).
            Session.dispose(session)
            session = Session(settings: settings)
            session.shouldStop = { wiggle_sigint_pending() != 0 }
            write("session reset: bindings, functions and parameters are gone; settings kept: \(settings.summary)\n")
        case ":load":
            guard !argument.isEmpty else {
                write("usage: :load FILE\n")
                break
            }
            let path = (argument as NSString).expandingTildeInPath
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            guard attributes?[.type] as? FileAttributeType == .typeRegular,
                  (attributes?[.size] as? Int ?? 0) <= maxSourceBytes,
                  let data = FileManager.default.contents(atPath: path) else {
                write("cannot read '\(argument)'\n")
                break
            }
            let source = SourceFile(name: argument, bytes: Array(data))
            printer.reportedStop = false
            let result = session.run(source, output: printer.emit)
            reportOutcome(result, of: source)
            wiggle_clear_sigint()
        case ":params":
            let parameters = session.parameterDetails
            if parameters.isEmpty { write("no parameters\n") }
            for (name, value, bounds) in parameters {
                let limits = bounds.isBounded ? "   in \(bounds.description)" : ""
                write("\(name) = \(Display.plain(.number(value)))\(limits)\n")
            }
        case ":set":
            if let shown = session.setCommand(argument) { write("\(shown)\n") }
        case ":explain":
            guard !argument.isEmpty else {
                write("usage: :explain EXPR\n")
                break
            }
            let source = SourceFile(name: "<repl>", text: "explain(\(argument))\n", firstLine: lineNumber)
            evaluate(source)
        default:
            write("unknown command \(parts[0]); :help lists them\n")
        }
        StandardOutput.shared.flush()
        return true
    }

    func write(_ text: String) {
        StandardOutput.shared.write(text)
        StandardOutput.shared.flush()
    }

    static let help = """
        Type Wiggle statements; every expression shows its value. A statement
        can span lines: the prompt changes to ...> until it is complete.

          :help              this text
          :quit              leave (or Ctrl-D on an empty line)
          :reset             forget every binding, function and parameter
                             (the settings are kept)
          :load FILE         run a file into this session
          :params            the parameters and their current values
          :set particles N   particles per estimate (also: seed S, threads T, loop_limit L,
                             sampling iid|antithetic|rqmc);
                             :set alone shows the settings
          :explain EXPR      the traced graph of EXPR, with each node's estimator

        Ctrl-C clears the line at the prompt, and stops a long computation
        (E[...], minimize) at a safe point, keeping the session.
        History is kept in $WIGGLE_HISTORY or ~/.wiggle_history.

        """
}
