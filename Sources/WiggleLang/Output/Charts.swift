// Charts.swift — pictures drawn with text: the loss curve of an
// optimisation, a cloud's sparkline and a histogram's bars.

import Foundation
import WiggleGraph

extension Display {
    /// How a loss curve maps values to heights.
    enum CurveScale {
        case linear
        /// Every value positive, spanning more than two decades.
        case log
        /// Every value negative, spanning more than two decades (a
        /// log-likelihood climbing to 0): −log10(−v).
        case negativeLog
        /// Values of both signs, most of the span from a few steps:
        /// sign(v) · log10(1 + |v| / c), linear near 0 and logarithmic far off.
        case symmetricLog(Double)

        func apply(_ v: Double) -> Double {
            switch self {
            case .linear: return v
            case .log: return Foundation.log10(v)
            case .negativeLog: return -Foundation.log10(-v)
            case .symmetricLog(let c): return (v < 0 ? -1 : 1) * Foundation.log10(1 + Swift.abs(v) / c)
            }
        }

        func invert(_ y: Double) -> Double {
            switch self {
            case .linear: return y
            case .log: return Foundation.pow(10, y)
            case .negativeLog: return -Foundation.pow(10, -y)
            case .symmetricLog(let c): return (y < 0 ? -1 : 1) * c * (Foundation.pow(10, Swift.abs(y)) - 1)
            }
        }

        /// The scale for a trajectory.
        init(for values: [Double]) {
            guard let low = values.min(), let high = values.max() else { self = .linear; return }
            if low > 0 && high / low > 100 { self = .log; return }
            if high < 0 && low / high > 100 { self = .negativeLog; return }
            if low < 0 && high > 0 {
                let late = values.suffix(max(1, values.count / 2)).map { Swift.abs($0) }.sorted()
                let typical = late[late.count / 2]
                let largest = Swift.max(-low, high)
                if typical > 0 ? largest / typical > 100 : largest > 0 {
                    self = .symmetricLog(typical > 0 ? typical : largest * 1e-3)
                    return
                }
            }
            self = .linear
        }
    }

    /// A block chart of a trajectory: columns average buckets of steps, on
    /// a log scale when the values span more than two decades (a symmetric
    /// one when they change sign), with three labelled heights and, at the
    /// right, the ± se band of the last estimate (`band`).
    static func lossCurve(_ values: [Double], rows: Int, width: Int,
                          band: (value: Double, stderr: Double)? = nil) -> [String] {
        let finite = values.filter(\.isFinite)
        guard finite.count >= 2, let rawLow = finite.min(), let rawHigh = finite.max() else { return [] }
        let scale = CurveScale(for: finite)
        let columns = min(width, finite.count)
        var averages: [Double] = []
        for column in 0..<columns {
            let start = column * finite.count / columns
            let end = max(start + 1, (column + 1) * finite.count / columns)
            // x/n summed, so that values near the largest double cannot overflow.
            let count = Double(end - start)
            averages.append(scale.apply(finite[start..<end].reduce(0) { $0 + $1 / count }))
        }
        let low = scale.apply(rawLow), high = scale.apply(rawHigh)
        let eighths: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let top = rows * 8 - 1
        // Halved, so that high - low cannot overflow either.
        let span = high / 2 - low / 2
        func level(_ y: Double) -> Int {
            let fraction = span > 0 ? (y / 2 - low / 2) / span : 0
            let level = fraction.isFinite ? fraction * Double(top) : 0
            return Int(max(0, min(Double(top), level)).rounded())
        }
        let levels = averages.map { level($0) + 1 }
        // Labels: the top, the bottom and a row between, each at the middle
        // of the heights its row draws.
        let middle = rows / 2
        func rowValue(_ row: Int) -> Double {
            if row == rows - 1 { return rawHigh }
            if row == 0 { return rawLow }
            return scale.invert(low + (Double(row * 8) + 3.5) / Double(top) * 2 * span)
        }
        // Four significant digits, or as many more as the labels need to differ.
        var labels = [Int: String]()
        let labelled = Set([0, middle, rows - 1])
        for digits in 4...12 {
            for row in labelled { labels[row] = String(format: "%.\(digits)g", rowValue(row)) }
            if Set(labels.values).count == labels.count || rawHigh == rawLow { break }
        }
        let labelWidth = labels.values.map(\.count).max() ?? 0
        // The band's rows, and the row of the last estimate.
        var bandRows = Set<Int>(), bandRow = -1
        if let band, band.value.isFinite, band.stderr.isFinite {
            func row(_ v: Double) -> Int? {
                let y = scale.apply(v)
                guard y.isFinite else { return nil }
                return min(rows - 1, level(min(max(y, low), high)) / 8)
            }
            if let lowest = row(band.value - band.stderr) ?? row(band.value),
               let highest = row(band.value + band.stderr), lowest <= highest {
                bandRows = Set(lowest...highest)
            }
            bandRow = row(band.value) ?? -1
            bandRows.insert(bandRow)
        }
        var lines: [String] = []
        for row in stride(from: rows - 1, through: 0, by: -1) {
            var cells = String(levels.map { level -> Character in eighths[max(0, min(8, level - row * 8))] })
            if let band, bandRows.contains(row) {
                cells += " ┃"
                if row == bandRow { cells += " last \(formatEstimate(band.value, stderr: band.stderr))" }
            }
            let label = labels[row] ?? ""
            let axis = labels[row] != nil ? "┤" : "│"
            let line = "  " + String(repeating: " ", count: labelWidth - label.count) + label + " " + axis + cells
            lines.append(String(line.reversed().drop(while: { $0 == " " }).reversed()))
        }
        var footer = "step 1 … \(values.count)"
        switch scale {
        case .linear: break
        case .log, .negativeLog: footer += "  (log scale)"
        case .symmetricLog: footer += "  (symmetric log scale)"
        }
        lines.append("  " + String(repeating: " ", count: labelWidth + 2) + footer)
        return lines
    }

    static let sparks: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// Counts as a one-line sparkline, one character per bin.
    static func sparkline(_ counts: [Int]) -> String {
        let highest = max(1, counts.max() ?? 1)
        return String(counts.map { count -> Character in
            count == 0 ? " " : sparks[max(1, Int((Double(count) / Double(highest) * 8).rounded(.up)))]
        })
    }

    /// A histogram with one bar per bin.
    static func histogramText(_ cloud: CloudSummary) -> String {
        let bins = cloud.histogram.count
        let layout = cloud.bins ?? HistogramBins(low: cloud.min, high: cloud.max, target: bins, integral: false)
        let highest = max(1, cloud.histogram.max() ?? 1)
        // Each bar is labelled by its first value: a whole number for
        // whole-number bins of width 1, else its lower edge, rounded to the
        // places the width needs.
        let edges = (0..<bins).map { index -> String in
            let label = layout.label(index)
            guard layout.isIntegral, layout.width > 1 else { return label }
            let last = layout.start + Double(index + 1) * layout.width - 1
            return "\(label)–\(abs(last) >= 1e15 ? formatNumber(last) : String(format: "%.0f", last))"
        }
        let edgeWidth = edges.map(\.count).max() ?? 1
        var lines = ["mean \(formatEstimate(cloud.mean, stderr: cloud.stderr))  sd \(formatNumber(cloud.sd))  (\(cloud.particles) \(cloud.isData ? "values" : "particles"))"]
        let eighths: [String] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        for (index, count) in cloud.histogram.enumerated() {
            let length = Double(count) / Double(highest) * 40
            let full = Int(length)
            let bar = String(repeating: "█", count: full) + eighths[min(7, Int((length - Double(full)) * 8))]
            let low = String(repeating: " ", count: edgeWidth - edges[index].count) + edges[index]
            lines.append("  \(low) │\(bar.padding(toLength: 41, withPad: " ", startingAt: 0)) \(count)")
        }
        return lines.joined(separator: "\n")
    }
}
