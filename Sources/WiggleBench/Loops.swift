// Loops.swift — `wiggle-bench --loops`, first part: loops of random length
// as whole programs (tracing, analysis and run, one thread) beside
// hand-written C loops of the same estimators, with the peak memory of each
// program; and, for the loops that repeat, the same program unrolled to
// its limit as before (`Session.repeatsLoops = false`), which gives the
// same bits. The walk's pathwise gradient is carried forward, and, in a row
// of its own, swept back from checkpoints (`Session.forwardGradients = false`).

import CReference
import Foundation
import WiggleLang

/// The corridor of examples/episode.wgl with fixed policy weights, as the
/// loop benchmarks trace it (the objective is `f`).
let corridorProgram = """
    param w[4] = [0.5, 0.2, -0.1, 0.3]
    pos = 0
    t = 0
    while pos < 4 and bernoulli(0.9) == 1 {
      right = bernoulli(sigmoid(w[pos]))
      pos = max(pos + 2 * right - 1, 0)
      t = t + 1
    }
    f = (pos == 4) - 0.05 * t
    """

/// Prints a row per loop program: seconds repeating, seconds unrolled, C,
/// repeating ÷ C, and the peak memory of each Wiggle run.
func runLoopsAsLoopsBenchmark(rounds: Int) {
    let geometric = "param t = 6.2\nn = 0\nwhile bernoulli(sigmoid(t)) { n = n + 1 }\n"
    let walk = "param mu = 0.01\nx = 0\nwhile bernoulli(0.999) { x = x + normal(mu, 1) }\n"
    struct Row {
        var name: String
        var particles: Int
        var limit: Int
        var program: String
        var reference: () -> Void
        var unrolled = true
        /// False: pathwise gradients swept back from checkpoints, never carried forward.
        var forward = true
    }
    let rows: [Row] = [
        Row(name: "geometric count, E (mean 493)", particles: 10_000, limit: 20_000, program: geometric + "E[n]",
            reference: { var out = [ref_estimate](repeating: ref_estimate(), count: 2); ref_geometric(10_000, 1, 6.2, 0, &out) }),
        Row(name: "geometric count, grad in t", particles: 10_000, limit: 20_000, program: geometric + "grad(E[n])",
            reference: { var out = [ref_estimate](repeating: ref_estimate(), count: 2); ref_geometric(10_000, 1, 6.2, 1, &out) }),
        Row(name: "corridor episode, limit 1,000", particles: 10_000, limit: 1_000, program: corridorProgram + "\ngrad(E[f])",
            reference: { var out = [ref_estimate](repeating: ref_estimate(), count: 5); ref_corridor(10_000, 1, [0.5, 0.2, -0.1, 0.3], &out) }),
        Row(name: "corridor episode, limit 10,000", particles: 10_000, limit: 10_000, program: corridorProgram + "\ngrad(E[f])",
            reference: { var out = [ref_estimate](repeating: ref_estimate(), count: 5); ref_corridor(10_000, 1, [0.5, 0.2, -0.1, 0.3], &out) }),
        Row(name: "Gaussian walk (mean 999), pathwise", particles: 10_000, limit: 20_000, program: walk + "grad(E[x^2])",
            reference: { var out = [ref_estimate](repeating: ref_estimate(), count: 2); ref_walk(10_000, 1, 0.01, 0.999, &out) }),
        Row(name: "the walk, swept back (checkpoints)", particles: 10_000, limit: 20_000, program: walk + "grad(E[x^2])",
            reference: { var out = [ref_estimate](repeating: ref_estimate(), count: 2); ref_walk(10_000, 1, 0.01, 0.999, &out) },
            forward: false),
    ]
    print("loops of random length as whole programs, one thread: repeating (traced until two iterations have one shape),")
    print("unrolled to the limit (as before; the same bits), and a hand-written C loop; median of \(rounds) rounds")
    print(row(["program", "N", "limit", "repeating", "unrolled", "C", "repeating/C", "MiB repeating", "MiB unrolled"]))
    for entry in rows {
        let text = "set(seed = 1, particles = \(entry.particles), threads = 1, loop_limit = \(entry.limit))\n\(entry.program)\n"
        func wiggle(repeating: Bool) -> (seconds: Double, ok: Bool) {
            let session = Session()
            session.repeatsLoops = repeating
            session.forwardGradients = entry.forward
            let start = now()
            let result = session.run(text) { _ in }
            return (now() - start, result.diagnostics.isEmpty)
        }
        var repeating: [Double] = [], unrolled: [Double] = [], reference: [Double] = []
        var failed = false
        for _ in 0..<rounds {
            let fast = wiggle(repeating: true)
            repeating.append(fast.seconds)
            failed = failed || !fast.ok
            let start = now()
            entry.reference()
            reference.append(now() - start)
        }
        // The unrolled run is slow: once is enough, after the others (its
        // large blocks leave the allocator's heap other than it was).
        unrolled.append(wiggle(repeating: false).seconds)
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        let (r, u, c) = (median(repeating), median(unrolled), median(reference))
        print(row([entry.name + (failed ? " (error)" : ""), "\(entry.particles)", "\(entry.limit)", seconds(r), seconds(u), seconds(c),
                   String(format: "%.2f", r / c), separatePeakMiB(text, forward: entry.forward).map { String(format: "%.0f", $0) } ?? "n/a",
                   separatePeakMiB(text, repeating: false, forward: entry.forward).map { String(format: "%.0f", $0) } ?? "n/a"]))
    }
    let empty = separatePeakMiB("print(1)\n").map { String(format: "%.0f MiB", $0) } ?? "n/a"
    print("MiB: the peak resident memory of a process of its own running the program once (print(1): \(empty))")
    print("")
}
