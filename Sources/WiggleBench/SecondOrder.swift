// SecondOrder.swift — `wiggle-bench --second-order`: what a Hessian-vector
// product and a full Hessian cost beside a gradient of the same objective.
// Each is a whole program run in a session (tracing, the analysis and its
// pilot, the baseline's run for the score rule, and the estimate), one
// thread, medians of rounds measured in alternation.

import Foundation
import WiggleLang

/// Prints, per model: the seconds of grad, hvp and hessian, hvp ÷ grad and
/// hessian ÷ (n · hvp).
func runSecondOrderBenchmark(particles: Int, rounds: Int) {
    let models: [(name: String, declarations: String, objective: String, parameters: Int)] = [
        ("one normal, cos", "param mu = 0.5\nparam sigma = 1\nx = normal(mu, sigma)", "cos(2 * x)", 2),
        ("call, S0 outside", """
            param S0 = 100
            param vol = 0.2
            z = normal(0, 1)
            ST = S0 * exp((0.02 - 0.5 * vol^2) + vol * z)
            """, "exp(-0.02) * max(ST - 105, 0)", 2),
        ("normal and bernoulli", """
            param mu = 0.3
            param theta = 0.4
            x = normal(mu, 1)
            b = bernoulli(sigmoid(theta))
            """, "x * b + x^2", 2),
        ("8 normals, a sum of cos", """
            param w[8] = normal_init(0.5)
            xs = [normal(w[i], 1) for i in 0..8]
            """, "sum([cos(x) for x in xs])", 8),
    ]
    print("second derivatives: one thread, \(particles) particles, whole programs (trace, analysis, pilot, runs),")
    print("median of \(rounds) rounds; hvp ÷ grad and hessian ÷ (n · hvp)")
    for model in models {
        let direction = "[" + (0..<model.parameters).map { $0 % 2 == 0 ? "1" : "-0.5" }.joined(separator: ", ") + "]"
        func program(_ call: String) -> String {
            "set(seed = 1, particles = \(particles), threads = 1)\n\(model.declarations)\n\(call)\n"
        }
        let calls = ["grad(E[\(model.objective)])", "hvp(E[\(model.objective)], \(direction))", "hessian(E[\(model.objective)])"]
        var times: [[Double]] = [[], [], []]
        for _ in 0..<rounds {
            for (index, call) in calls.enumerated() {
                let text = program(call)
                let start = now()
                let result = Session().run(text) { _ in }
                times[index].append(result.diagnostics.isEmpty ? now() - start : .nan)
            }
        }
        let median = times.map { $0.sorted()[$0.count / 2] }
        print("  " + model.name.padding(toLength: 24, withPad: " ", startingAt: 0)
            + String(format: "grad %6.3f s   hvp %6.3f s   hessian %6.3f s   hvp/grad %5.2f   hessian/(n·hvp) %5.2f",
                     median[0], median[1], median[2], median[1] / median[0], median[2] / (Double(model.parameters) * median[1])))
    }
}
