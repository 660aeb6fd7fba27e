// TextOutput.swift — how values and results look as plain text, for people.
// Charts are in Charts.swift, JSON Lines in JSONLines.swift; the CLI, the REPL
// and the notebook all render through these.

import Foundation
import WiggleGraph
import WiggleSyntax

/// Renders values and results as text (and, in JSONLines.swift, as JSON).
public enum Display {
    /// The longest list shown in full in plain text.
    public static let maxListItems = 100

    /// A value as a notebook shows it (strings quoted).
    public static func plain(_ value: Value) -> String {
        switch value {
        case .number(let x): return formatNumber(x)
        case .boolean(let flag): return flag ? "true" : "false"
        case .string(let text): return quoted(text)
        case .list(let items):
            var parts = items.prefix(maxListItems).map(plain)
            if items.count > maxListItems { parts.append("... (\(items.count - maxListItems) more)") }
            return "[" + parts.joined(separator: ", ") + "]"
        case .function(let closure):
            return "<fn \(closure.name)(\(closure.declaration.parameters.map(\.name).joined(separator: ", ")))>"
        case .builtin(let builtin): return "<builtin \(builtin.rawValue)>"
        case .distribution(let id): return "<builtin \(DistributionRegistry[id].name)>"
        case .density(let id): return "<builtin \(DensityFunctions.name(of: DistributionRegistry[id]))>"
        case .estimate(let estimate):
            return formatEstimate(estimate.value, stderr: estimate.stderr)
                + (estimate.assumesIndependence ? " (taking the gradient's components as independent)" : "")
        case .node: return "<traced value>"
        case .gradient(let result): return gradientText(result)
        case .hessian(let result): return hessianText(result)
        case .report(.cloud(let cloud)): return cloud.isHistogram ? histogramText(cloud) : cloudText(cloud)
        case .report(.explanation(let explanation)): return explanationText(explanation)
        case .report(.optimisation(let result)): return optimisationText(result)
        case .initializer(let mean, let sd): return "normal_init(\(formatNumber(mean)), \(formatNumber(sd)))"
        case .none: return "none"
        }
    }

    /// The final objective, a loss curve, and the parameters reached.
    static func optimisationText(_ result: OptimisationResult) -> String {
        var lines = ["\(formatEstimate(result.objective.value, stderr: result.objective.stderr))  \(result.direction): \(result.steps) steps (\(result.optimizer), lr \(formatNumber(result.learningRate)))"]
        if result.interrupted {
            lines.append("  stopped by Ctrl-C at step \(result.steps) of \(result.requestedSteps); the parameters keep the values reached")
        }
        lines += lossCurve(result.trajectory, rows: 4, width: 60, band: result.objective)
        for warning in result.warnings { lines.append(warningLine(warning)) }
        let parameters = result.parameters.map { "\($0.name) = \(formatNumber($0.value))" }
        var row = "  "
        for parameter in parameters {
            if row.count + parameter.count > 78, row.count > 2 {
                lines.append(row)
                row = "  "
            }
            row += (row.count > 2 ? "   " : "") + parameter
        }
        if row.count > 2 { lines.append(row) }
        return lines.joined(separator: "\n")
    }

    /// `mu: -5.00 ± 0.02   log_sigma: 2.00 ± 0.06`, then a line per random node.
    static func gradientText(_ result: GradientResult) -> String {
        var text = result.entries.isEmpty
            ? "no parameter reaches this expectation"
            : result.entries.map { entry in
                // A biased component shows no standard error: it would claim a precision it does not have.
                if let bias = entry.bias { return "\(entry.name): \(formatNumber(entry.value)) (biased: \(bias))" }
                return "\(entry.name): \(formatEstimate(entry.value, stderr: entry.stderr))"
            }.joined(separator: "   ")
        text += estimatorLines(result.estimators)
        if result.assumesIndependence {
            text += "\n  (over \(EngineResult.maxCovarianceParameters) components: arithmetic on them treats their errors as independent)"
        }
        for warning in result.warnings { text += "\n" + warningLine(warning) }
        return text
    }

    /// A line per random node (or group of a loop's draws): its name,
    /// distribution, estimator (at each order, for a second derivative) and why.
    static func estimatorLines(_ reports: [EstimatorReport]) -> String {
        let groups = grouped(reports)
        let names = groups.map { $0.count > 1 ? "\($0.report.node) ×\($0.count)" : $0.report.node }
        let width = names.map(\.count).max() ?? 0
        let distributionWidth = max(9, groups.map(\.report.distribution.count).max() ?? 0)
        var text = ""
        for (name, group) in zip(names, groups) {
            let report = group.report
            let orders = report.orders
            text += "\n  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(report.distribution.padding(toLength: distributionWidth, withPad: " ", startingAt: 0)) \(orders + String(repeating: " ", count: max(0, 8 - orders.count)))  (\(report.brief))"
        }
        return text
    }

    /// A Hessian as a small table, rows and columns in `wrt`'s order (a
    /// biased entry shows no standard error), then each draw's estimator at
    /// both orders.
    static func hessianText(_ result: HessianResult) -> String {
        guard !result.names.isEmpty else { return "no parameter reaches this expectation" }
        let cells = result.names.indices.map { r in
            result.names.indices.map { c -> String in
                let entry = result.entry(r, c)
                if entry.bias != nil { return "\(formatNumber(entry.value)) (biased)" }
                return formatEstimate(entry.value, stderr: entry.stderr)
            }
        }
        let nameWidth = result.names.map(\.count).max() ?? 0
        let widths = result.names.indices.map { c in max(result.names[c].count, cells.map { $0[c].count }.max() ?? 0) }
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        var lines = [(pad("", nameWidth) + "   " + zip(result.names, widths).map { pad($0, $1) }.joined(separator: "   "))
            .trimmingTrailingSpaces()]
        for (r, row) in cells.enumerated() {
            lines.append((pad(result.names[r], nameWidth) + "   " + zip(row, widths).map { pad($0, $1) }.joined(separator: "   "))
                .trimmingTrailingSpaces())
        }
        var text = lines.joined(separator: "\n") + estimatorLines(result.estimators)
        var biased: [String] = []
        for r in result.names.indices {
            for c in r..<result.names.count {
                if let bias = result.entry(r, c).bias { biased.append("  [\(result.names[r])][\(result.names[c])] is biased: \(bias)") }
            }
        }
        if !biased.isEmpty { text += "\n" + biased.joined(separator: "\n") }
        for warning in result.warnings { text += "\n" + warningLine(warning) }
        return text
    }

    /// Nodes with the same name, distribution, estimator and reason (a
    /// loop's draws) share one line with a count; JSON lists every node.
    static func grouped(_ reports: [EstimatorReport]) -> [(report: EstimatorReport, count: Int)] {
        var groups: [(report: EstimatorReport, count: Int)] = []
        var index: [String: Int] = [:]
        for report in reports {
            let key = [report.node, report.distribution, report.estimator, report.reason].joined(separator: "\u{1}")
            if let existing = index[key] {
                groups[existing].count += report.repeats
            } else {
                index[key] = groups.count
                groups.append((report, report.repeats))
            }
        }
        return groups
    }

    /// The graph, then a line per random node (or group of a loop's draws) and per warning.
    static func explanationText(_ explanation: Explanation) -> String {
        var text = explanation.graph
        for (report, count) in grouped(explanation.estimators) {
            let name = count > 1 ? "\(report.node) ×\(count)" : report.node
            text += "\n  \(name)  \(report.distribution)  \(report.orders)  (\(report.method): \(report.reason))"
        }
        if let sampling = explanation.sampling { text += "\n  sampling: " + sampling }
        for warning in explanation.warnings { text += "\n" + warningLine(warning) }
        return text
    }

    /// `~ 0.499 ± 0.010  sd 1.000  ▁▂▄▆█▆▄▂▁  [-3.81, 4.12]`
    static func cloudText(_ cloud: CloudSummary) -> String {
        "~ \(formatEstimate(cloud.mean, stderr: cloud.stderr))  sd \(formatNumber(cloud.sd))  \(sparkline(cloud.histogram))  [\(formatNumber(cloud.min)), \(formatNumber(cloud.max))]"
    }

    /// A warning inside a result's text: `  warning: line 7: ...`.
    static func warningLine(_ warning: Diagnostic) -> String {
        "  warning: line \(warning.location.line): \(warning.message)"
    }

    /// A value as `print` shows it (strings as they are).
    public static func printed(_ value: Value) -> String {
        if case .string(let text) = value { return text }
        return plain(value)
    }

    /// `value ± stderr`, the value rounded to the precision its error supports.
    public static func formatEstimate(_ estimate: Double, stderr: Double) -> String {
        // An error at the level of rounding (an exact estimator's) shows as 0.
        let stderr = stderr <= 1e-12 * Swift.abs(estimate) ? 0 : stderr
        guard stderr > 0, stderr.isFinite, estimate.isFinite else {
            return "\(formatNumber(estimate)) ± \(formatNumber(stderr))"
        }
        // One rule everywhere: two significant digits of the standard error
        // set the last digit shown, and the value is rounded to that digit —
        // so a value far below its error shows as the 0 it is (0 ± 1.7e-19).
        let exponent = Int(log10Floor(stderr))
        let decimals = 1 - exponent
        if decimals >= 0 && decimals <= 12 {
            return "\(unsigned(fixed(estimate, decimals))) ± \(fixed(stderr, decimals))"
        }
        let quantum = pow(10.0, Double(exponent - 1))
        if decimals < 0 && Swift.abs(estimate) < 1e15 && stderr < 1e15 {
            // Errors of 100 and more: whole numbers, rounded to the error's second digit.
            let value = (estimate / quantum).rounded() * quantum, error = (stderr / quantum).rounded() * quantum
            return "\(unsigned(fixed(value, 0))) ± \(fixed(error, 0))"
        }
        // Tiny or huge errors: the same rounding, in scientific notation.
        let digits = (estimate / quantum).rounded()
        let error = String(format: "%.1e", stderr)
        guard digits != 0 else { return "0 ± \(error)" }
        let significant = Int(log10Floor(Swift.abs(digits))) + 1
        return "\(String(format: "%.\(max(0, significant - 1))e", digits * quantum)) ± \(error)"
    }

    /// A fixed-point number without the sign of a negative zero ("-0.00").
    static func unsigned(_ text: String) -> String {
        guard text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) else { return text }
        return String(text.dropFirst())
    }

    static func log10Floor(_ x: Double) -> Double {
        var exponent = 0.0
        var scaled = x
        while scaled >= 10 { scaled /= 10; exponent += 1 }
        while scaled < 1 { scaled *= 10; exponent -= 1 }
        return exponent
    }

    static func fixed(_ x: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", x)
    }

    /// A string literal with Wiggle's escapes (the JSON writer adds \\r and \\uXXXX).
    public static func quoted(_ text: String) -> String {
        JSONValue.escape(text, json: false)
    }
}

extension String {
    /// The string without the spaces at its end.
    func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
