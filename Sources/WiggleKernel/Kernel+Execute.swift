// Kernel+Execute.swift — running a cell: prints become `stream` messages,
// displays `display_data` (the cell's last one `execute_result`), an
// optimisation's progress one display updated in place about twice a
// second, and errors `error` messages whose traceback is the usual
// diagnostic with its caret, relative to the cell.

#if Kernel  // the Jupyter kernel needs ZeroMQ (the Kernel trait, on by default)
import CSupport
import Foundation
import WiggleLang
import WiggleSyntax

extension Kernel {
    func execute(_ request: Message, on socket: Socket) {
        let code = request.content["code"] as? String ?? ""
        let silent = request.content["silent"] as? Bool ?? false
        let storeHistory = request.content["store_history"] as? Bool ?? !silent
        if storeHistory && !silent { executionCount += 1 }
        let count = executionCount
        if !silent { publish("execute_input", ["code": code, "execution_count": count], parent: request) }

        let cell = CellOutput(kernel: self, request: request, count: count, silent: silent)
        session.shouldStop = { wiggle_sigint_pending() != 0 }
        // `:set NAME VALUE` lines, as at the REPL: applied, and left blank
        // so that the cell's line numbers stay those of its source.
        var lines = code.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for index in lines.indices where lines[index].hasPrefix(":set") && (lines[index].count == 4 || lines[index].dropFirst(4).first == " ") {
            let argument = lines[index].dropFirst(4).trimmingCharacters(in: .whitespaces)
            if let shown = session.setCommand(argument), !silent {
                publish("stream", ["name": "stdout", "text": shown + "\n"], parent: request)
            }
            lines[index] = ""
        }
        let result = session.run(SourceFile(name: "In[\(count)]", text: lines.joined(separator: "\n")), output: cell.emit)
        cell.finish()
        wiggle_clear_sigint()

        let printer = DiagnosticPrinter(colored: false)
        let errors = result.diagnostics.filter { $0.severity == .error }
        let warnings = result.diagnostics.filter { $0.severity != .error }
        if !warnings.isEmpty && !silent {
            publish("stream", ["name": "stderr", "text": warnings.map(printer.render).joined()], parent: request)
        }
        guard result.status != .success, !errors.isEmpty || result.status == .interrupted else {
            reply(request, on: socket, "execute_reply", ["status": "ok", "execution_count": count,
                                                         "user_expressions": JSON(), "payload": [Any]()])
            return
        }
        let name: String
        switch result.status {
        case .syntaxError, .incomplete: name = "SyntaxError"
        case .interrupted: name = "KeyboardInterrupt"
        default: name = "RuntimeError"
        }
        let traceback = errors.flatMap { printer.render($0).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
            .filter { !$0.isEmpty }
        let error: JSON = ["ename": name, "evalue": errors.first?.message ?? "interrupted", "traceback": traceback]
        if !silent { publish("error", error, parent: request) }
        var content = error
        content["status"] = "error"
        content["execution_count"] = count
        reply(request, on: socket, "execute_reply", content)
    }
}

/// The outputs of one cell as they happen.
final class CellOutput: @unchecked Sendable {
    // @unchecked: used by the session's thread while the main thread waits.
    let kernel: Kernel
    let request: Message
    let count: Int
    let silent: Bool
    /// The latest display, held back: the cell's last becomes its result.
    var pending: (value: Value, line: Int, source: DisplaySource)?
    /// The progress display of the optimisation running, and when it was last drawn.
    var progressID: String?
    var lastProgress = 0.0

    init(kernel: Kernel, request: Message, count: Int, silent: Bool) {
        self.kernel = kernel
        self.request = request
        self.count = count
        self.silent = silent
    }

    func emit(_ output: Output) {
        guard !silent else { return }
        switch output {
        case .printed(let text, _):
            flush(asResult: false)
            kernel.publish("stream", ["name": "stdout", "text": text + "\n"], parent: request)
        case .display(let value, let line, let source):
            flush(asResult: false)
            pending = (value, line, source)
        case .progress(let progress):
            drawProgress(progress)
        case .notice(let text):
            kernel.publish("stream", ["name": "stderr", "text": "note: \(text)\n"], parent: request)
        }
    }

    /// Sends the held display: as the cell's result, or as a display.
    func flush(asResult: Bool) {
        guard let (value, line, source) = pending else { return }
        pending = nil
        let data = RichOutput.bundle(value, line: line, source: source)
        if asResult {
            kernel.publish("execute_result", ["execution_count": count, "data": data, "metadata": JSON()], parent: request)
        } else {
            kernel.publish("display_data", ["data": data, "metadata": JSON(), "transient": JSON()], parent: request)
        }
    }

    /// The optimisation's progress: one display, updated in place about
    /// twice a second and once at the end.
    func drawProgress(_ progress: OptimisationProgress) {
        let done = progress.step >= progress.steps
        // A new optimisation gets a display of its own.
        if progress.step <= 1 { progressID = nil }
        if progressID != nil && !done && progress.seconds - lastProgress < 0.5 { return }
        lastProgress = progress.seconds
        let rate = progress.seconds > 0 ? Double(progress.step) / progress.seconds : 0
        let text = String(format: "%@ %d/%d  %@  %.0f steps/s", progress.direction, progress.step, progress.steps,
                          Display.formatEstimate(progress.objective, stderr: progress.stderr), rate)
        let data: JSON = ["text/plain": text]
        // Marked, so a notebook's outputs can be compared without its timings.
        let metadata: JSON = ["wiggle": ["progress": true] as JSON]
        if let id = progressID {
            kernel.publish("update_display_data", ["data": data, "metadata": metadata, "transient": ["display_id": id]],
                           parent: request)
        } else {
            let id = "wiggle-progress-" + UUID().uuidString.lowercased()
            progressID = id
            kernel.publish("display_data", ["data": data, "metadata": metadata, "transient": ["display_id": id]],
                           parent: request)
        }
        if done { progressID = nil }
    }

    func finish() {
        flush(asResult: true)
    }
}
#endif
