// SVG.swift — the charts as pictures: a histogram's bars and an
// optimisation's loss curve with its ± se band, as standalone SVG with
// axes, ticks and labels. The notebook shows them as image/svg+xml; `wiggle
// run FILE --plots DIR` writes one file per chart.

import Foundation
import WiggleGraph

extension Display {
    /// The SVG picture of a displayed value, for the values that are charts
    /// (`hist(...)` and `minimize`/`maximize`); nil for the others.
    public static func svg(_ value: Value) -> String? {
        switch value {
        case .report(.cloud(let cloud)) where cloud.isHistogram: return SVGChart.histogram(cloud)
        case .report(.optimisation(let result)) where !result.trajectory.isEmpty: return SVGChart.lossCurve(result)
        default: return nil
        }
    }
}

/// Draws charts into a fixed frame: 560 × 320, the plot inside margins.
enum SVGChart {
    static let width = 560.0, height = 320.0
    static let left = 70.0, right = 20.0, top = 34.0, bottom = 46.0
    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }

    /// About `target` round ticks over `low...high`: 1, 2 or 5 times a power of ten apart.
    static func ticks(_ low: Double, _ high: Double, target: Int = 5) -> [Double] {
        guard low.isFinite, high.isFinite, high > low else { return low.isFinite ? [low] : [] }
        let raw = (high - low) / Double(target)
        let power = pow(10, log10(raw).rounded(.down))
        let step = ([1.0, 2, 5, 10].first { $0 * power >= raw } ?? 10) * power
        var ticks: [Double] = []
        var tick = (low / step).rounded(.up) * step
        while tick <= high + step * 1e-9 && ticks.count < 50 {
            ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
            tick += step
        }
        return ticks
    }

    /// A tick's label: as few digits as tell the ticks apart.
    static func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        if abs(value) >= 1e5 || abs(value) < 1e-3 { return String(format: "%.2g", value) }
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func number(_ x: Double) -> String { String(format: "%.2f", x) }

    /// The frame: background, title, axes with ticks, labels and grid lines.
    static func frame(title: String, xLabel: String, yLabel: String, xTicks: [(Double, String)],
                      yTicks: [(Double, String)], body: String) -> String {
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text class="title" x="\(number(left + plotWidth / 2))" y="20" text-anchor="middle" font-size="14">\(escape(title))</text>

            """
        svg += "<g class=\"grid\" stroke=\"#e4e4e4\">\n"
        for (y, _) in yTicks {
            svg += "<line x1=\"\(number(left))\" y1=\"\(number(y))\" x2=\"\(number(left + plotWidth))\" y2=\"\(number(y))\"/>\n"
        }
        svg += "</g>\n" + body
        svg += "<g class=\"axes\" stroke=\"#333\" fill=\"none\">\n"
        svg += "<line x1=\"\(number(left))\" y1=\"\(number(top + plotHeight))\" x2=\"\(number(left + plotWidth))\" y2=\"\(number(top + plotHeight))\"/>\n"
        svg += "<line x1=\"\(number(left))\" y1=\"\(number(top))\" x2=\"\(number(left))\" y2=\"\(number(top + plotHeight))\"/>\n"
        for (x, _) in xTicks {
            svg += "<line x1=\"\(number(x))\" y1=\"\(number(top + plotHeight))\" x2=\"\(number(x))\" y2=\"\(number(top + plotHeight + 5))\"/>\n"
        }
        for (y, _) in yTicks {
            svg += "<line x1=\"\(number(left - 5))\" y1=\"\(number(y))\" x2=\"\(number(left))\" y2=\"\(number(y))\"/>\n"
        }
        svg += "</g>\n<g class=\"tick-labels\" fill=\"#333\">\n"
        for (x, text) in xTicks {
            svg += "<text x=\"\(number(x))\" y=\"\(number(top + plotHeight + 18))\" text-anchor=\"middle\">\(escape(text))</text>\n"
        }
        for (y, text) in yTicks {
            svg += "<text x=\"\(number(left - 8))\" y=\"\(number(y + 4))\" text-anchor=\"end\">\(escape(text))</text>\n"
        }
        svg += "</g>\n"
        svg += "<text class=\"x-label\" x=\"\(number(left + plotWidth / 2))\" y=\"\(number(height - 8))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text class=\"y-label\" transform=\"translate(16 \(number(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        return svg + "</svg>\n"
    }

    /// Bars of a histogram; whole-number values get one labelled bar per value.
    static func histogram(_ cloud: CloudSummary) -> String {
        let counts = cloud.histogram
        let layout = cloud.bins ?? HistogramBins(low: cloud.min, high: cloud.max, target: max(1, counts.count), integral: false)
        let total = max(1, counts.reduce(0, +))
        let highest = Double(max(1, counts.max() ?? 1)) / Double(total)
        let yTicks = ticks(0, highest)
        let yMax = max(highest, yTicks.last ?? highest)
        func x(_ value: Double) -> Double { left + (value - layout.start) / (layout.end - layout.start) * plotWidth }
        func y(_ share: Double) -> Double { top + plotHeight - share / yMax * plotHeight }
        var body = "<g class=\"bars\" fill=\"#4c72b0\" stroke=\"white\" stroke-width=\"0.5\">\n"
        for (index, count) in counts.enumerated() {
            let share = Double(count) / Double(total)
            let x0 = x(layout.start + Double(index) * layout.width), x1 = x(layout.start + Double(index + 1) * layout.width)
            body += "<rect x=\"\(number(x0))\" y=\"\(number(y(share)))\" width=\"\(number(max(0.5, x1 - x0)))\" height=\"\(number(y(0) - y(share)))\"><title>\(layout.label(index)): \(count)</title></rect>\n"
        }
        body += "</g>\n"
        var xTicks: [(Double, String)]
        if layout.isIntegral && layout.width == 1 && counts.count <= 30 {
            // One label per whole number, under the middle of its bar.
            xTicks = (0..<counts.count).map { (x(layout.start + (Double($0) + 0.5) * layout.width), layout.label($0)) }
        } else {
            xTicks = ticks(layout.start, layout.end).map { (x($0), label($0)) }
        }
        if xTicks.count > 12 { xTicks = stride(from: 0, to: xTicks.count, by: (xTicks.count + 11) / 12).map { xTicks[$0] } }
        let what = cloud.isData ? "values" : "particles"
        let title = "mean \(Display.formatEstimate(cloud.mean, stderr: cloud.stderr)), sd \(formatNumber(cloud.sd)) (\(cloud.particles) \(what))"
        return frame(title: title, xLabel: "value", yLabel: "share of \(what)",
                     xTicks: xTicks, yTicks: yTicks.map { (y($0), label($0)) }, body: body)
    }

    /// The objective at every step (averaged into at most 400 points), with
    /// the band of ± one standard error around it.
    static func lossCurve(_ result: OptimisationResult) -> String {
        let values = result.trajectory
        let errors = result.trajectoryStderr.count == values.count ? result.trajectoryStderr : [Double](repeating: 0, count: values.count)
        let points = min(values.count, 400)
        var steps: [Double] = [], means: [Double] = [], bands: [Double] = []
        for bucket in 0..<points {
            let first = bucket * values.count / points, last = max(first + 1, (bucket + 1) * values.count / points)
            let slice = first..<last
            let count = Double(slice.count)
            steps.append(Double(first + last + 1) / 2)
            means.append(values[slice].reduce(0, +) / count)
            bands.append(errors[slice].reduce(0, +) / count)
        }
        // Positive values spanning more than two decades (a loss falling to
        // near 0) go on a log scale, as the terminal's chart does.
        let logarithmic = means.allSatisfy { $0 > 0 }
            && (means.max() ?? 1) / max(means.min() ?? 1, .leastNormalMagnitude) > 100
        func scaled(_ v: Double) -> Double { logarithmic ? log10(max(v, (means.min() ?? 1) / 10)) : v }
        let finite = zip(means, bands).filter { $0.0.isFinite && $0.1.isFinite }
        var low = finite.map { scaled($0.0 - $0.1) }.min() ?? 0, high = finite.map { scaled($0.0 + $0.1) }.max() ?? 1
        if high <= low { low -= 0.5; high += 0.5 }
        // A positive loss is read against 0.
        if !logarithmic && low > 0 && low < (high - low) / 4 { low = 0 }
        var yTicks: [(Double, String)]
        if logarithmic {
            yTicks = Array(Int(low.rounded(.up))...max(Int(low.rounded(.up)), Int(high.rounded(.down)))).map {
                (Double($0), label(pow(10, Double($0))))
            }
        } else {
            yTicks = ticks(low, high).map { ($0, label($0)) }
        }
        let firstStep = 1.0, lastStep = Double(max(2, values.count))
        func x(_ step: Double) -> Double { left + (step - firstStep) / (lastStep - firstStep) * plotWidth }
        func y(_ position: Double) -> Double { top + plotHeight - (position - low) / (high - low) * plotHeight }
        func clampY(_ value: Double) -> Double { min(top + plotHeight, max(top, y(value.isFinite ? scaled(value) : low))) }
        var upper = "", lower = "", line = ""
        for index in 0..<points {
            upper += "\(number(x(steps[index]))),\(number(clampY(means[index] + bands[index]))) "
            lower = "\(number(x(steps[index]))),\(number(clampY(means[index] - bands[index]))) " + lower
            line += "\(number(x(steps[index]))),\(number(clampY(means[index]))) "
        }
        var body = ""
        if bands.contains(where: { $0 > 0 }) {
            body += "<polygon class=\"band\" points=\"\(upper)\(lower)\" fill=\"#4c72b0\" fill-opacity=\"0.2\" stroke=\"none\"><title>± 1 standard error</title></polygon>\n"
        }
        body += "<polyline class=\"loss\" points=\"\(line)\" fill=\"none\" stroke=\"#4c72b0\" stroke-width=\"1.5\"/>\n"
        let xTicks = ticks(firstStep, lastStep).map { (x($0), label($0)) }
        let title = "\(result.direction) \(Display.formatEstimate(result.objective.value, stderr: result.objective.stderr))"
            + (result.interrupted ? " (interrupted at step \(result.steps))" : " after \(result.steps) steps")
        return frame(title: title, xLabel: "step", yLabel: logarithmic ? "objective (log scale)" : "objective",
                     xTicks: xTicks, yTicks: yTicks.map { (y($0.0), $0.1) }, body: body)
    }
}
