// Triples.swift — `wiggle-bench --triples`: StochasticAD's random walk
// (x from 0, n steps of ±1, up with probability exp(−x/p)), the gradient of
// E[x²] in p by stochastic triples and by the score function, beside E[x²]
// alone; whole programs on one thread (tracing, analysis, pilot, run), and
// each estimator's spread per particle against the exact derivative.

import Foundation
import WiggleLang

/// d E[x²] / dp by the law of x, carried step by step with its derivative;
/// with a `level`, a walker stops where it first reaches it.
func exactWalkDerivative(steps: Int, p: Double, level: Int? = nil) -> Double {
    var law = [Double](repeating: 0, count: steps + 2), slope = law
    law[0] = 1
    var stopped = 0.0
    for _ in 0..<steps {
        if let level, level <= steps {
            stopped += slope[level] * Double(level * level)
            law[level] = 0
            slope[level] = 0
        }
        var next = [Double](repeating: 0, count: steps + 2), nextSlope = next
        for x in 0...steps where law[x] != 0 || slope[x] != 0 {
            let q = exp(-Double(x) / p), dq = q * Double(x) / (p * p)
            next[x + 1] += law[x] * q
            nextSlope[x + 1] += slope[x] * q + law[x] * dq
            if x > 0 {
                next[x - 1] += law[x] * (1 - q)
                nextSlope[x - 1] += slope[x] * (1 - q) - law[x] * dq
            }
        }
        (law, slope) = (next, nextSlope)
    }
    return stopped + (0...steps).reduce(0) { $0 + Double($1 * $1) * slope[$1] }
}

/// Prints a row per walk length: the seconds of E[x²], of its gradient by
/// the pilot's choice (triples), by `@triple` and by `@score`, and the
/// spreads per particle.
func runTriplesBenchmark(rounds: Int) {
    print("StochasticAD's random walk, d E[x²] / dp: whole programs on one thread, median of \(rounds) rounds;")
    print("sd: the gradient's spread per particle (standard error × √N)")
    let widths = [11, 9, 10, 11, 11, 11, 9, 9, 9, 10, 10, 10, 10]
    func line(_ cells: [String]) -> String {
        zip(cells, widths).map { cell, width in
            cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count)
        }.joined()
    }
    print(line(["steps", "N", "E[x²]", "pilot's", "@triple", "@score", "pilot's÷E", "triple÷E", "score÷E", "sd triple", "sd score",
                "exact", "pilot took"]))
    // The `while` row stops a walker where it first reaches the level (about
    // half of them before the last step): the alternative paths run their
    // own numbers of iterations.
    for (steps, p, level) in [(100, 200.0, nil), (1_000, 2_000.0, nil), (100, 200.0, 68 as Int?)] {
        let particles = 10_000
        func program(_ annotation: String, gradient: Bool) -> String {
            let loop = level.map { "i = 0\nwhile x < \($0) and i < \(steps) {\n  i = i + 1" } ?? "for i in 0..\(steps) {"
            return """
            set(seed = 1, particles = \(particles), threads = 1)
            param p = \(p)
            x = 0
            \(loop)
              up = bernoulli(exp(-x / p)) \(annotation)
              x = x + 2 * up - 1
            }
            \(gradient ? "grad(E[x^2])" : "E[x^2]")
            """
        }
        func timed(_ text: String) -> (seconds: Double, spread: Double?, chosen: String?) {
            var times: [Double] = []
            var spread: Double?
            var chosen: String?
            for _ in 0..<rounds {
                let session = Session()
                let start = now()
                let collector = SpreadCollector()
                _ = session.run(text) { output in
                    if case .display(.gradient(let g), _, _) = output, let entry = g.entries.first {
                        collector.spread = entry.stderr * Double(particles).squareRoot()
                        collector.chosen = Set(g.estimators.map(\.estimator)).sorted().joined(separator: "+")
                    }
                }
                times.append(now() - start)
                spread = collector.spread
                chosen = collector.chosen
            }
            return (times.sorted()[times.count / 2], spread, chosen)
        }
        let plain = timed(program("", gradient: false))
        let chosen = timed(program("", gradient: true))
        let triple = timed(program("@triple", gradient: true))
        let score = timed(program("@score", gradient: true))
        print(line([level.map { "\(steps) to \($0)" } ?? "\(steps)", "\(particles)", seconds(plain.seconds), seconds(chosen.seconds), seconds(triple.seconds),
                    seconds(score.seconds), String(format: "%.2f", chosen.seconds / plain.seconds),
                    String(format: "%.2f", triple.seconds / plain.seconds),
                    String(format: "%.2f", score.seconds / plain.seconds),
                    triple.spread.map { String(format: "%.1f", $0) } ?? "n/a",
                    score.spread.map { String(format: "%.1f", $0) } ?? "n/a",
                    String(format: "%.4f", exactWalkDerivative(steps: steps, p: p, level: level)), chosen.chosen ?? "n/a"]))
    }
    print("")
}

final class SpreadCollector: @unchecked Sendable {
    var spread: Double?
    var chosen: String?
}
