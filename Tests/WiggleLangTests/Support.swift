import Testing
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
        case .display(let value, _, _): lines.lines.append(Display.plain(value))
        case .printed(let text, _): lines.lines.append(text)
        case .progress, .notice: break
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

/// Runs a program and returns the values it displayed (failing the test on an error).
func displayedValues(_ text: String, session: Session = Session()) -> [Value] {
    let values = ValueCollector()
    let result = session.run(SourceFile(name: "test.wgl", text: text)) { output in
        if case .display(let value, _, _) = output { values.values.append(value) }
    }
    if !result.diagnostics.isEmpty {
        values.values.append(.string("ERROR: \(result.diagnostics.map { "\($0.location): \($0.message)" })"))
    }
    return values.values
}

final class ValueCollector: @unchecked Sendable {
    var values: [Value] = []
}

/// The estimates of a program's displayed expectations, in order.
func expectations(_ text: String, session: Session = Session()) -> [(value: Double, stderr: Double)] {
    displayedValues(text, session: session).compactMap { value in
        if case .estimate(let estimate) = value { return (estimate.value, estimate.stderr) }
        if case .string(let message) = value { Issue.record(Comment(rawValue: message)) }
        return nil
    }
}

/// The gradients a program displayed, in order.
func gradients(_ text: String, session: Session = Session()) -> [GradientResult] {
    displayedValues(text, session: session).compactMap { value in
        if case .gradient(let result) = value { return result }
        if case .string(let message) = value { Issue.record(Comment(rawValue: message)) }
        return nil
    }
}

extension GradientResult {
    /// The estimate and standard error for a parameter.
    subscript(_ name: String) -> (value: Double, stderr: Double) {
        let entry = entries.first { $0.name == name }
        return (entry?.value ?? .nan, entry?.stderr ?? .nan)
    }
}

/// True when an estimate is within k standard errors of the exact value.
func agrees(_ estimate: (value: Double, stderr: Double), _ exact: Double, _ k: Double = 4) -> Bool {
    let ok = abs(estimate.value - exact) <= k * estimate.stderr + 1e-12
    if !ok { print("MISMATCH estimate \(estimate.value) ± \(estimate.stderr), exact \(exact)") }
    return ok
}

/// The standard normal density and distribution function.
func phi(_ x: Double) -> Double { exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
func Phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

/// E[g(Z)] for Z ~ normal(mean, sd), by the trapezoid rule over ±12 sd (the
/// integrand decays like a Gaussian, so the rule converges geometrically).
func gaussianExpectation(mean: Double, sd: Double, _ g: (Double) -> Double) -> Double {
    let points = 8_001
    let h = 24.0 / Double(points - 1)
    var total = 0.0
    for i in 0..<points {
        let z = -12 + Double(i) * h
        let weight = (i == 0 || i == points - 1) ? 0.5 : 1
        total += weight * g(mean + sd * z) * phi(z)
    }
    return total * h
}
