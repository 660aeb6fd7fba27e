// JSONLines.swift — results and diagnostics as JSON Lines, one object per
// displayed result, print or diagnostic (the `--json` contract).

import Foundation
import WiggleGraph
import WiggleSyntax

extension Display {

    /// The `kind` of a displayed value in JSON Lines.
    public static func kind(of value: Value) -> String {
        switch value {
        case .number: return "number"
        case .boolean: return "boolean"
        case .string: return "string"
        case .list: return "list"
        case .function, .builtin, .distribution, .density: return "function"
        case .estimate: return "expectation"
        case .node: return "random"
        case .gradient(let result): return result.kind
        case .hessian: return "hessian"
        case .report(.cloud(let cloud)): return cloud.isHistogram ? "histogram" : "random"
        case .report(.explanation): return "explain"
        case .report(.optimisation): return "optimisation"
        case .initializer: return "initializer"
        case .none: return "none"
        }
    }

    /// One JSON Lines object for a displayed value.
    public static func jsonLine(_ value: Value, line: Int, source: DisplaySource? = nil) -> String {
        var object = JSONObject()
        object.add("line", .number(Double(line)))
        object.add("kind", .string(kind(of: value)))
        if let source {
            object.add("expr", .string(source.expr))
            if let name = source.name { object.add("name", .string(name)) }
        }
        switch value {
        case .estimate(let estimate):
            object.add("value", .number(estimate.value))
            object.add("stderr", .number(estimate.stderr))
            if estimate.assumesIndependence { object.add("independent", .boolean(true)) }
        case .gradient(let result):
            var values = JSONObject(), errors = JSONObject(), wrt = JSONObject()
            for entry in result.entries {
                values.add(entry.name, .number(entry.value))
                errors.add(entry.name, .number(entry.stderr))
                var pair = JSONObject()
                pair.add("value", .number(entry.value))
                pair.add("stderr", .number(entry.stderr))
                pair.add("biased", .boolean(entry.bias != nil))
                wrt.add(entry.name, .object(pair))
            }
            object.add("value", .object(values))
            object.add("stderr", .object(errors))
            object.add("wrt", .object(wrt))
            object.add("covariance", .boolean(!result.assumesIndependence))
            var objective = JSONObject()
            objective.add("value", .number(result.objective.value))
            objective.add("stderr", .number(result.objective.stderr))
            object.add("objective", .object(objective))
            object.add("estimators", estimatorsJSON(result.estimators))
            object.add("warnings", .array(result.warnings.map { .string($0.message) }))
        case .hessian(let result):
            var wrt = JSONObject()
            for (r, name) in result.names.enumerated() {
                var row = JSONObject()
                for (c, other) in result.names.enumerated() {
                    let entry = result.entry(r, c)
                    var pair = JSONObject()
                    pair.add("value", .number(entry.value))
                    pair.add("stderr", .number(entry.stderr))
                    pair.add("biased", .boolean(entry.bias != nil))
                    row.add(other, .object(pair))
                }
                wrt.add(name, .object(row))
            }
            object.add("wrt", .object(wrt))
            object.add("estimators", estimatorsJSON(result.estimators))
            object.add("warnings", .array(result.warnings.map { .string($0.message) }))
        case .report(.optimisation(let result)):
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
        case .report(.cloud(let cloud)):
            object.add("value", .number(cloud.mean))
            object.add("stderr", .number(cloud.stderr))
            object.add("sd", .number(cloud.sd))
            object.add("min", .number(cloud.min))
            object.add("max", .number(cloud.max))
            object.add("particles", .number(Double(cloud.particles)))
            object.add("histogram", .array(cloud.histogram.map { .number(Double($0)) }))
            if let bins = cloud.bins {
                // Bin i counts values in [start + i·width, start + (i+1)·width).
                var layout = JSONObject()
                layout.add("start", .number(bins.start))
                layout.add("width", .number(bins.width))
                layout.add("integral", .boolean(bins.isIntegral))
                object.add("bins", .object(layout))
            }
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

    /// Each random node's estimator: at both orders for a second derivative
    /// (`first_order`, `second_order`; `estimator` is the second's).
    static func estimatorsJSON(_ reports: [EstimatorReport]) -> JSONValue {
        .array(reports.map { report in
            var item = JSONObject()
            item.add("node", .string(report.node))
            item.add("line", .number(Double(report.line)))
            item.add("column", .number(Double(report.column)))
            item.add("distribution", .string(report.distribution))
            item.add("estimator", .string(report.estimator))
            if let first = report.firstOrder {
                item.add("first_order", .string(first))
                item.add("second_order", .string(report.estimator))
            }
            item.add("reason", .string(report.reason))
            // A repeating loop's template draw stands for the iterations after it too.
            if report.repeats > 1 { item.add("repeats", .number(Double(report.repeats))) }
            return .object(item)
        })
    }

    /// A value as JSON.
    public static func json(_ value: Value) -> JSONValue {
        switch value {
        case .number(let x): return .number(x)
        case .boolean(let flag): return .boolean(flag)
        case .string(let text): return .string(text)
        case .list(let items): return .array(items.map(json))
        case .function, .builtin, .distribution, .density: return .string(plain(value))
        case .estimate(let estimate):
            // In a list, an estimate keeps its error.
            var pair = JSONObject()
            pair.add("value", .number(estimate.value))
            pair.add("stderr", .number(estimate.stderr))
            return .object(pair)
        case .report(.cloud(let cloud)): return .number(cloud.mean)
        case .report(.explanation(let explanation)): return .string(explanationText(explanation))
        case .node, .gradient, .hessian, .report(.optimisation), .initializer: return .string(plain(value))
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

extension Display {
    /// The JSON Lines objects for one output of a running program: a
    /// displayed value followed by each of its warnings as its own object
    /// (so a reader cannot miss it), or a print. Progress writes nothing.
    public static func jsonLines(_ output: Output) -> [String] {
        switch output {
        case .display(let value, let line, let source):
            var warnings: [Diagnostic] = []
            if case .gradient(let result) = value { warnings = result.warnings }
            if case .report(.optimisation(let result)) = value { warnings = result.warnings }
            return [jsonLine(value, line: line, source: source)] + warnings.map(\.jsonLine)
        case .printed(let text, let line):
            var object = JSONObject()
            object.add("line", .number(Double(line)))
            object.add("kind", .string("print"))
            object.add("value", .string(text))
            object.add("stderr", .null)
            return [object.rendered]
        case .progress, .notice:
            return []
        }
    }
}

extension Diagnostic {
    /// The diagnostic as one JSON Lines object (`kind` is `error` or `warning`).
    public var jsonLine: String {
        var object = JSONObject()
        let location = self.location
        object.add("line", .number(Double(location.line)))
        object.add("column", .number(Double(location.column)))
        object.add("kind", .string(severity.rawValue))
        object.add("file", .string(file.name))
        object.add("message", .string(message))
        object.add("value", .null)
        object.add("stderr", .null)
        return object.rendered
    }
}
