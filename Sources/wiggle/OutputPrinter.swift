// OutputPrinter.swift — writes results and diagnostics, as text or JSON Lines.

import CSupport
import Foundation
import WiggleLang
import WiggleSyntax

/// Writes a session's outputs to standard output and its diagnostics to
/// standard error (and, under `--json`, also as JSON objects on standard output).
final class OutputPrinter: @unchecked Sendable {
    // @unchecked: used from one thread at a time (the session's, while it runs).
    let json: Bool
    /// Colour diagnostics only on a terminal, and never when NO_COLOR is set.
    let colored: Bool = isatty(STDERR_FILENO) != 0
        && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    init(json: Bool) {
        self.json = json
    }

    /// Progress bars go to a terminal only, never to a pipe or under --json.
    let drawsProgress = isatty(STDERR_FILENO) != 0
    private var progressVisible = false
    private var lastDraw = 0.0

    /// True once an optimisation has said it was stopped by Ctrl-C (the
    /// REPL then adds nothing).
    var reportedStop = false

    /// Where `--plots` writes each chart as an SVG file (plot-001.svg, …).
    var plots: URL?
    private var plotCount = 0

    /// Writes a displayed chart's SVG picture into the plots folder.
    func writePlot(_ value: Value) {
        guard let plots, let svg = Display.svg(value) else { return }
        plotCount += 1
        let file = plots.appendingPathComponent(String(format: "plot-%03d.svg", plotCount))
        do {
            try Data(svg.utf8).write(to: file)
        } catch {
            standardError("wiggle: cannot write \(file.path): \(error.localizedDescription)\n")
        }
    }

    /// Writes one output of a running program.
    func emit(_ output: Output) {
        if case .progress(let progress) = output {
            drawProgress(progress)
            return
        }
        clearProgress()
        if case .notice(let text) = output {
            standardError("note: \(text)\n")
            return
        }
        if case .display(.report(.optimisation(let result)), _, _) = output, result.interrupted { reportedStop = true }
        if case .display(let value, _, _) = output { writePlot(value) }
        if json {
            for line in Display.jsonLines(output) { writeLine(line) }
            return
        }
        switch output {
        case .display(let value, _, _): writeLine(Display.plain(value))
        case .printed(let text, _): writeLine(text)
        case .progress, .notice: break
        }
    }

    /// Redraws the progress line in place, about ten times a second.
    func drawProgress(_ progress: OptimisationProgress) {
        guard drawsProgress, !json else { return }
        let done = progress.step == progress.steps
        guard done || progress.seconds - lastDraw >= 0.1 || !progressVisible else { return }
        lastDraw = progress.seconds
        let rate = progress.seconds > 0 ? Double(progress.step) / progress.seconds : 0
        if done {
            clearProgress()
            standardError(String(format: "%@: %d steps in %.2f s (%.0f steps/s)\n", progress.direction, progress.step,
                                 progress.seconds, rate))
            return
        }
        let fraction = Double(progress.step) / Double(max(1, progress.steps))
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: " ", count: width - filled)
        let left = rate > 0 ? Double(progress.steps - progress.step) / rate : 0
        var text = String(format: "%@ %d/%d ▕%@▏ %3.0f%%  %@  %.0f steps/s  %.0f s left",
                          progress.direction, progress.step, progress.steps, bar, fraction * 100,
                          Display.formatEstimate(progress.objective, stderr: progress.stderr), rate, left)
        // One line that fits, or "\r" could not take it back.
        let columns = Int(wiggle_terminal_columns(STDERR_FILENO)) - 1
        if text.count > columns { text = String(text.prefix(max(0, columns))) }
        standardError("\r\u{1B}[K" + text)
        progressVisible = true
    }

    /// Erases a progress line before anything else is written.
    func clearProgress() {
        guard progressVisible else { return }
        standardError("\r\u{1B}[K")
        progressVisible = false
    }

    /// Writes diagnostics: rendered with source and caret on standard error,
    /// and as JSON objects on standard output under `--json`.
    func report(_ diagnostics: [Diagnostic]) {
        clearProgress()
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
