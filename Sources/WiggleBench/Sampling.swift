// Sampling.swift — `wiggle-bench --sampling`: the root-mean-square error
// against exact values over 20 seeds, at 2^10 … 2^18 particles, for
// independent, antithetic and randomised quasi-Monte Carlo sampling (16
// replicates), with the log-log slope of each and the time per particle.
// Whole programs in a session, one thread.

import Foundation
import WiggleLang

/// The standard normal distribution function.
private func Phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

/// Prints a table per model: RMSE per particle count and sampling, the slopes,
/// the share of estimates within 3 reported standard errors, and seconds per 10⁶ particles.
func runSamplingBenchmark(quick: Bool) {
    let (s0, k, r, sigma, t) = (100.0, 105.0, 0.02, 0.2, 1.0)
    let d1 = (log(s0 / k) + (r + sigma * sigma / 2) * t) / (sigma * t.squareRoot())
    let call = s0 * Phi(d1) - k * exp(-r * t) * Phi(d1 - sigma * t.squareRoot())
    // The geometric average over 16 dates is lognormal.
    let n = 16.0
    let meanLog = log(s0) + (r - sigma * sigma / 2) * t * (n + 1) / (2 * n)
    let sdLog = sigma * (t * (n + 1) * (2 * n + 1) / (6 * n * n)).squareRoot()
    let a1 = (meanLog - log(k) + sdLog * sdLog) / sdLog
    let asian = exp(-r * t) * (exp(meanLog + sdLog * sdLog / 2) * Phi(a1) - k * Phi(a1 - sdLog))
    let market = "param S0 = 100\nK = 105\nr = 0.02\nvol = 0.2\n"
    let models: [(name: String, program: String, exact: Double)] = [
        ("call price", market + "z = normal(0, 1)\nST = S0 * exp(r - vol^2 / 2 + vol * z)\nE[exp(-r) * max(ST - K, 0)]", call),
        ("call delta (pathwise)", market + "z = normal(0, 1)\nST = S0 * exp(r - vol^2 / 2 + vol * z)\ngrad(E[exp(-r) * max(ST - K, 0)])[\"S0\"]",
         Phi(d1)),
        ("16-date geometric Asian", market + """
            S = S0
            logs = 0
            for i in 0..16 {
              S = S * exp((r - vol^2 / 2) / 16 + vol * sqrt(1 / 16) * normal(0, 1))
              logs = logs + log(S)
            }
            E[exp(-r) * max(exp(logs / 16) - K, 0)]
            """, asian),
        ("smooth, 4 dimensions: exp of a mean", "E[exp((normal(0, 1) + normal(0, 1) + normal(0, 1) + normal(0, 1)) / 4)]", exp(0.125)),
        ("smooth, 4 dimensions: Π cos", "E[cos(normal(0, 1)) * cos(normal(0, 1)) * cos(normal(0, 1)) * cos(normal(0, 1))]", exp(-2)),
        ("bernoulli and normal", "b = bernoulli(0.3)\nx = normal(1, 1)\nE[b * x + x^2]", 2.3),
    ]
    let exponents = quick ? [10, 12, 14] : [10, 12, 14, 16, 18]
    let seeds = quick ? 8 : 20
    print("sampling: RMSE against the exact value over \(seeds) seeds, one thread; slope of log RMSE against log N;")
    print("the share of estimates within 3 reported standard errors; seconds per 10⁶ particles at the largest N")
    for model in models {
        print("  \(model.name)")
        for sampling in ["iid", "antithetic", "rqmc"] {
            var rmse: [Double] = []
            var inside = 0, total = 0
            var seconds = 0.0
            for exponent in exponents {
                var squares = 0.0
                for seed in 0..<seeds {
                    let text = "set(seed = \(seed), particles = \(1 << exponent), threads = 1, sampling = \"\(sampling)\")\n" + model.program
                    var estimate: (Double, Double)?
                    let start = now()
                    _ = Session().run(text) { output in
                        if case .display(.estimate(let e), _, _) = output { estimate = (e.value, e.stderr) }
                    }
                    if exponent == exponents.last { seconds += now() - start }
                    guard let (value, stderr) = estimate else { continue }
                    squares += (value - model.exact) * (value - model.exact)
                    total += 1
                    if abs(value - model.exact) <= 3 * stderr { inside += 1 }
                }
                rmse.append((squares / Double(seeds)).squareRoot())
            }
            let span = Double(exponents.last! - exponents.first!) * log(2.0)
            let slope = log(rmse.last! / rmse.first!) / span
            let perMillion = seconds / Double(seeds) / Double(1 << exponents.last!) * 1e6
            let cells = zip(exponents, rmse).map { String(format: "2^%d %.2e", $0, $1) }.joined(separator: "  ")
            print("    " + sampling.padding(toLength: 11, withPad: " ", startingAt: 0) + cells
                + String(format: "   slope %.2f   within 3 se %3.0f%%   %.3f s/10⁶", slope, 100 * Double(inside) / Double(max(1, total)), perMillion))
        }
    }
}
