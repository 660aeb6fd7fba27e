// RichOutput.swift — a displayed value as a notebook's MIME bundle: always
// `text/plain` (what the terminal shows) and the object `--json` writes under
// a vendor type, `application/vnd.wiggle.result+json` (never plain
// `application/json`: JupyterLab ranks its JSON tree viewer above pictures,
// HTML and LaTeX, and would show that instead); a chart (hist, minimize)
// also as `image/svg+xml`, an estimate as `text/latex`, an explanation as an
// HTML table of its nodes and estimators.

import Foundation
import WiggleLang

enum RichOutput {
    /// The MIME type of the machine-readable object: no front end renders
    /// it, so each shows the picture, table or formula beside it.
    static let resultType = "application/vnd.wiggle.result+json"

    /// The MIME bundle for one display.
    static func bundle(_ value: Value, line: Int, source: DisplaySource) -> JSON {
        var data: JSON = ["text/plain": Display.plain(value)]
        let json = Display.jsonLine(value, line: line, source: source)
        if let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) {
            data[resultType] = object
        }
        if let svg = Display.svg(value) { data["image/svg+xml"] = svg }
        switch value {
        case .estimate(let estimate):
            data["text/latex"] = latex(estimate.value, estimate.stderr)
        case .report(.explanation(let explanation)):
            data["text/html"] = html(explanation)
        default:
            break
        }
        return data
    }

    /// `\(0.0188 \pm 0.00003\)`, with the digits the terminal shows.
    static func latex(_ value: Double, _ stderr: Double) -> String {
        let text = Display.formatEstimate(value, stderr: stderr)
            .replacingOccurrences(of: "±", with: "\\pm")
            .replacingOccurrences(of: "inf", with: "\\infty")
        return "\\(\(text)\\)"
    }

    /// The graph as preformatted text, then a table of the random nodes.
    static func html(_ explanation: Explanation) -> String {
        var rows = ""
        for report in explanation.estimators {
            rows += "<tr><td><code>\(escape(report.node))</code></td><td>\(report.line):\(report.column)</td>"
                + "<td>\(escape(report.distribution))</td><td><b>\(escape(report.estimator))</b></td>"
                + "<td>\(escape(report.reason))</td></tr>\n"
        }
        var warnings = ""
        for warning in explanation.warnings {
            warnings += "<p style=\"color:#b00\">warning: line \(warning.location.line): \(escape(warning.message))</p>\n"
        }
        return """
            <pre>\(escape(explanation.graph))</pre>
            <table>
            <thead><tr><th>node</th><th>at</th><th>distribution</th><th>estimator</th><th>why</th></tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            \(warnings)
            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
