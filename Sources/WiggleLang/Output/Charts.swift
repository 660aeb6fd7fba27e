// Charts.swift — pictures drawn with text: the loss curve of an
// optimisation, a cloud's sparkline and a histogram's bars.

import Foundation
import WiggleGraph

extension Display {
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
}
