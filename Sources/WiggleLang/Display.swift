// Display.swift — how values look: plain text for people, JSON for programs.

import Foundation
import WiggleGraph
import WiggleSyntax

/// Renders values as text and as JSON.
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
        case .expectation(let estimate, let stderr): return formatEstimate(estimate, stderr: stderr)
        case .node: return "<traced value>"
        case .gradient(let result): return gradientText(result)
        case .cloud(let cloud): return cloud.isHistogram ? histogramText(cloud) : cloudText(cloud)
        case .text(let text, _): return text
        case .optimisation(let result): return optimisationText(result)
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
        lines += lossCurve(result.trajectory, rows: 4, width: 60)
        for warning in result.warnings { lines.append("  warning: line \(warning.line): \(warning.message)") }
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

    /// A block chart of a trajectory: columns average buckets of steps.
    static func lossCurve(_ values: [Double], rows: Int, width: Int) -> [String] {
        let finite = values.filter(\.isFinite)
        guard finite.count >= 2, let low = finite.min(), let high = finite.max() else { return [] }
        let columns = min(width, finite.count)
        var averages: [Double] = []
        for column in 0..<columns {
            let start = column * finite.count / columns
            let end = max(start + 1, (column + 1) * finite.count / columns)
            // x/n summed, so that values near the largest double cannot overflow.
            let count = Double(end - start)
            averages.append(finite[start..<end].reduce(0) { $0 + $1 / count })
        }
        let eighths: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        // Halved, so that high - low cannot overflow either.
        let span = high / 2 - low / 2
        let levels = averages.map { value -> Int in
            let fraction = span > 0 ? (value / 2 - low / 2) / span : 0
            let level = fraction.isFinite ? fraction * Double(rows * 8 - 1) : 0
            return Int(max(0, min(Double(rows * 8 - 1), level)).rounded()) + 1
        }
        let top = String(format: "%.4g", high), bottom = String(format: "%.4g", low)
        let labelWidth = max(top.count, bottom.count)
        var lines: [String] = []
        for row in stride(from: rows - 1, through: 0, by: -1) {
            let cells = String(levels.map { level -> Character in eighths[max(0, min(8, level - row * 8))] })
            let label = row == rows - 1 ? top : (row == 0 ? bottom : "")
            let axis = row == rows - 1 || row == 0 ? "┤" : "│"
            let line = "  " + String(repeating: " ", count: labelWidth - label.count) + label + " " + axis + cells
            lines.append(String(line.reversed().drop(while: { $0 == " " }).reversed()))
        }
        lines.append("  " + String(repeating: " ", count: labelWidth + 2) + "step 1 … \(values.count)")
        return lines
    }

    /// `mu: -5.00 ± 0.02   log_sigma: 2.00 ± 0.06`, then a line per random node.
    static func gradientText(_ result: GradientResult) -> String {
        var text = result.entries.isEmpty
            ? "no parameter reaches this expectation"
            : result.entries.map { "\($0.name): \(formatEstimate($0.value, stderr: $0.stderr))" }.joined(separator: "   ")
        // Nodes with the same name, distribution, estimator and reason (a loop's
        // draws) share one line with a count; JSON lists every node.
        var groups: [(report: EstimatorReport, count: Int)] = []
        for report in result.estimators {
            if let index = groups.firstIndex(where: { $0.report.node == report.node && $0.report.distribution == report.distribution
                                                        && $0.report.estimator == report.estimator && $0.report.reason == report.reason }) {
                groups[index].count += 1
            } else {
                groups.append((report, 1))
            }
        }
        let names = groups.map { $0.count > 1 ? "\($0.report.node) ×\($0.count)" : $0.report.node }
        let width = names.map(\.count).max() ?? 0
        for (name, group) in zip(names, groups) {
            let report = group.report
            text += "\n  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(report.distribution.padding(toLength: 9, withPad: " ", startingAt: 0)) \(report.estimator.padding(toLength: 8, withPad: " ", startingAt: 0))  (\(report.reason))"
        }
        for warning in result.warnings { text += "\n  warning: line \(warning.line): \(warning.message)" }
        return text
    }

    static let sparks: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// `~ 0.499 ± 0.010  sd 1.000  ▁▂▄▆█▆▄▂▁  [-3.81, 4.12]`
    static func cloudText(_ cloud: CloudSummary) -> String {
        let highest = max(1, cloud.histogram.max() ?? 1)
        let spark = String(cloud.histogram.map { count -> Character in
            count == 0 ? " " : sparks[max(1, Int((Double(count) / Double(highest) * 8).rounded(.up)))]
        })
        return "~ \(formatEstimate(cloud.mean, stderr: cloud.stderr))  sd \(formatNumber(cloud.sd))  \(spark)  [\(formatNumber(cloud.min)), \(formatNumber(cloud.max))]"
    }

    /// A histogram with one bar per bin.
    static func histogramText(_ cloud: CloudSummary) -> String {
        let bins = cloud.histogram.count
        let width = (cloud.max - cloud.min) / Double(max(1, bins))
        let highest = max(1, cloud.histogram.max() ?? 1)
        let edges = (0...bins).map { formatNumber(cloud.min + Double($0) * width) }
        let edgeWidth = edges.map(\.count).max() ?? 1
        var lines = ["mean \(formatEstimate(cloud.mean, stderr: cloud.stderr))  sd \(formatNumber(cloud.sd))  (\(cloud.particles) particles)"]
        let eighths: [String] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        for (index, count) in cloud.histogram.enumerated() {
            let length = Double(count) / Double(highest) * 40
            let full = Int(length)
            let bar = String(repeating: "█", count: full) + eighths[min(7, Int((length - Double(full)) * 8))]
            let low = edges[index].padding(toLength: edgeWidth, withPad: " ", startingAt: 0)
            lines.append("  \(low) │\(bar.padding(toLength: 41, withPad: " ", startingAt: 0)) \(count)")
        }
        return lines.joined(separator: "\n")
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
        // Two significant digits of the standard error set the decimals shown.
        let exponent = Int((log10Floor(stderr)))
        let decimals = max(0, 1 - exponent)
        if decimals > 12 { return "\(formatNumber(estimate)) ± \(formatNumber(stderr))" }
        return "\(fixed(estimate, decimals)) ± \(fixed(stderr, decimals))"
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

    // MARK: JSON

    /// The `kind` of a displayed value in JSON Lines.
    public static func kind(of value: Value) -> String {
        switch value {
        case .number: return "number"
        case .boolean: return "boolean"
        case .string: return "string"
        case .list: return "list"
        case .function, .builtin: return "function"
        case .expectation: return "expectation"
        case .node: return "random"
        case .gradient: return "gradient"
        case .cloud(let cloud): return cloud.isHistogram ? "histogram" : "random"
        case .text(_, let kind): return kind
        case .optimisation: return "optimisation"
        case .initializer: return "initializer"
        case .none: return "none"
        }
    }

    /// One JSON Lines object for a displayed value.
    public static func jsonLine(_ value: Value, line: Int) -> String {
        var object = JSONObject()
        object.add("line", .number(Double(line)))
        object.add("kind", .string(kind(of: value)))
        switch value {
        case .expectation(let estimate, let stderr):
            object.add("value", .number(estimate))
            object.add("stderr", .number(stderr))
        case .gradient(let result):
            var values = JSONObject(), errors = JSONObject(), wrt = JSONObject()
            for entry in result.entries {
                values.add(entry.name, .number(entry.value))
                errors.add(entry.name, .number(entry.stderr))
                var pair = JSONObject()
                pair.add("value", .number(entry.value))
                pair.add("stderr", .number(entry.stderr))
                wrt.add(entry.name, .object(pair))
            }
            object.add("value", .object(values))
            object.add("stderr", .object(errors))
            object.add("wrt", .object(wrt))
            var objective = JSONObject()
            objective.add("value", .number(result.objective.value))
            objective.add("stderr", .number(result.objective.stderr))
            object.add("objective", .object(objective))
            object.add("estimators", .array(result.estimators.map { report in
                var item = JSONObject()
                item.add("node", .string(report.node))
                item.add("line", .number(Double(report.line)))
                item.add("column", .number(Double(report.column)))
                item.add("distribution", .string(report.distribution))
                item.add("estimator", .string(report.estimator))
                item.add("reason", .string(report.reason))
                return .object(item)
            }))
            object.add("warnings", .array(result.warnings.map { .string($0.message) }))
        case .optimisation(let result):
            object.add("value", .number(result.objective.value))
            object.add("stderr", .number(result.objective.stderr))
            object.add("direction", .string(result.direction))
            object.add("optimizer", .string(result.optimizer))
            object.add("lr", .number(result.learningRate))
            var parameters = JSONObject()
            for parameter in result.parameters { parameters.add(parameter.name, .number(parameter.value)) }
            object.add("parameters", .object(parameters))
            object.add("steps", .number(Double(result.steps)))
            object.add("requested_steps", .number(Double(result.requestedSteps)))
            object.add("interrupted", .boolean(result.interrupted))
            object.add("seconds", .number(result.seconds))
            object.add("warnings", .array(result.warnings.map { .string($0.message) }))
            // At most about 100 points: every k-th step, and the last.
            let stride = max(1, (result.trajectory.count + 99) / 100)
            var points: [JSONValue] = []
            for (index, value) in result.trajectory.enumerated() where index % stride == 0 || index == result.trajectory.count - 1 {
                points.append(.array([.number(Double(index + 1)), .number(value)]))
            }
            object.add("trajectory", .array(points))
        case .cloud(let cloud):
            object.add("value", .number(cloud.mean))
            object.add("stderr", .number(cloud.stderr))
            object.add("sd", .number(cloud.sd))
            object.add("min", .number(cloud.min))
            object.add("max", .number(cloud.max))
            object.add("particles", .number(Double(cloud.particles)))
            object.add("histogram", .array(cloud.histogram.map { .number(Double($0)) }))
        case .number, .boolean:
            // Exact values: their standard error is 0.
            object.add("value", json(value))
            object.add("stderr", .number(0))
        default:
            object.add("value", json(value))
            object.add("stderr", .null)
        }
        return object.rendered
    }

    /// A value as JSON.
    public static func json(_ value: Value) -> JSONValue {
        switch value {
        case .number(let x): return .number(x)
        case .boolean(let flag): return .boolean(flag)
        case .string(let text): return .string(text)
        case .list(let items): return .array(items.map(json))
        case .function, .builtin: return .string(plain(value))
        case .expectation(let estimate, _): return .number(estimate)
        case .cloud(let cloud): return .number(cloud.mean)
        case .text(let text, _): return .string(text)
        case .node, .gradient, .optimisation, .initializer: return .string(plain(value))
        case .none: return .null
        }
    }
}

/// A JSON value, written without Foundation's encoder so that key order is fixed.
public indirect enum JSONValue: Sendable {
    case number(Double)
    case string(String)
    case boolean(Bool)
    case array([JSONValue])
    case object(JSONObject)
    case null

    /// Compact JSON text.
    public var rendered: String {
        switch self {
        case .number(let x):
            // JSON has no nan or inf; strict parsers reject 1e999 too.
            if !x.isFinite { return "null" }
            if x == x.rounded() && Swift.abs(x) < 9.007e15 { return String(Int64(x)) }
            return "\(x)"
        case .string(let text): return JSONValue.escape(text)
        case .boolean(let flag): return flag ? "true" : "false"
        case .array(let items): return "[" + items.map(\.rendered).joined(separator: ",") + "]"
        case .object(let object): return object.rendered
        case .null: return "null"
        }
    }

    static func escape(_ text: String, json: Bool = true) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r" where json: result += "\\r"
            case "\t": result += "\\t"
            default:
                if json && (scalar.value < 0x20 || scalar.value == 0x7F) {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

/// A JSON object whose keys keep the order they were added in.
public struct JSONObject: Sendable {
    private var members: [(String, JSONValue)] = []

    public init() {}

    /// Adds a member.
    public mutating func add(_ key: String, _ value: JSONValue) {
        members.append((key, value))
    }

    /// Compact JSON text.
    public var rendered: String {
        "{" + members.map { JSONValue.escape($0.0) + ":" + $0.1.rendered }.joined(separator: ",") + "}"
    }
}

extension Diagnostic {
    /// The diagnostic as one JSON Lines object (`kind` is `error` or `warning`).
    public var jsonLine: String {
        var object = JSONObject()
        let location = self.location
        object.add("line", .number(Double(location.line)))
        object.add("column", .number(Double(location.column)))
        object.add("kind", .string(severity == .warning ? "warning" : "error"))
        object.add("file", .string(file.name))
        object.add("message", .string(message))
        object.add("value", .null)
        object.add("stderr", .null)
        return object.rendered
    }
}
