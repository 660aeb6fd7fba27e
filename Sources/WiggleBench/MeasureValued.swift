// MeasureValued.swift — `wiggle-bench --mvd`: the standard error of a
// derivative at a jump, score function against measure-valued derivative,
// at equal particles and at equal time, beside the best a hand-written
// likelihood-ratio estimator (NumPy, JAX, PyTorch's log_prob · f) gives:
// its variance from the published formula where there is one (the digital
// option, the threshold model; Broadie & Glasserman 1996), else simulated
// here with the same formula (the barrier option).

import Foundation
import WiggleGraph
import WiggleLang

/// One model: a program whose objective is `f`, with ESTIMATOR where the
/// annotation of the draw that reaches the jump goes, and the exact
/// derivative with respect to its first parameter.
struct JumpModel {
    var name: String
    var program: String
    var exact: Double
    /// The likelihood-ratio estimator's standard deviation per particle,
    /// with the best constant baseline (from its formula, or simulated).
    var likelihoodRatioSD: () -> Double
}

func standardNormalDensity(_ x: Double) -> Double { exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
func standardNormalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

/// The likelihood-ratio estimator of d/dθ P(θ + sW > c), W ~ N(0, 1), scaled
/// by `scale`: scale · (1{W > a} − b) W / s with a = (c − θ)/s and the best
/// constant b. E[1{W > a} W²] = m = 1 − Φ(a) + aφ(a), b* = m, so the
/// variance is scale²(m − m²)/s² − (its mean)².
func likelihoodRatioSD(threshold a: Double, s: Double, scale: Double) -> Double {
    let m = 1 - standardNormalCDF(a) + a * standardNormalDensity(a)
    let mean = scale * standardNormalDensity(a) / s
    return (scale * scale * (m - m * m) / (s * s) - mean * mean).squareRoot()
}

/// The standard deviation per path of the likelihood-ratio estimator
/// (f − b) g with the best constant baseline, b = E[f g²]/E[g²] (the b that
/// minimises Var[(f − b) g]), from simulated payoffs f and scores g.
func baselinedLikelihoodRatioSD(payoffs f: [Double], scores g: [Double]) -> Double {
    var fg2 = 0.0, g2 = 0.0
    for i in f.indices { fg2 += f[i] * g[i] * g[i]; g2 += g[i] * g[i] }
    let b = fg2 / g2
    var sum = 0.0, squares = 0.0
    for i in f.indices {
        let x = (f[i] - b) * g[i]
        sum += x
        squares += x * x
    }
    let mean = sum / Double(f.count)
    return (squares / Double(f.count) - mean * mean).squareRoot()
}

/// The barrier option's likelihood-ratio delta, payoff · Z₁/(S0 σ √Δt) less
/// the best constant baseline times Z₁/(S0 σ √Δt), simulated on `n` paths.
func barrierLikelihoodRatioSD(n: Int) -> Double {
    var rng = Xoshiro256(seed: 99)
    let s0 = 100.0, strike = 100.0, barrier = 90.0, vol = 0.2, r = 0.05, days = 20, dt = 1.0 / 250
    let drift = (r - vol * vol / 2) * dt, step = vol * dt.squareRoot()
    var payoffs = [Double](repeating: 0, count: n), scores = payoffs
    for path in 0..<n {
        var logS = log(s0)
        var alive = 1.0
        var first = 0.0
        for day in 0..<days {
            let z = rng.normal()
            if day == 0 { first = z }
            logS += drift + step * z
            if logS <= log(barrier) { alive = 0 }
        }
        payoffs[path] = exp(-r * Double(days) * dt) * alive * max(exp(logS) - strike, 0)
        scores[path] = first / (s0 * step)
    }
    return baselinedLikelihoodRatioSD(payoffs: payoffs, scores: scores)
}

func measureValuedModels() -> [JumpModel] {
    let d2 = 0.15, digitalScale = exp(-0.05) / 100
    let digital = JumpModel(name: "digital option delta", program: """
        param S0 = 100
        K = 100; r = 0.05; vol = 0.2; T = 1
        logS = normal(log(S0) + (r - vol^2 / 2) * T, vol * sqrt(T)) ESTIMATOR
        f = exp(-r * T) * (logS > log(K))
        """, exact: digitalScale * standardNormalDensity(d2) / 0.2,
        // d/dS0 = (1/S0) d/dμ with μ = log S0 + …: a = −d2, s = 0.2.
        likelihoodRatioSD: { likelihoodRatioSD(threshold: -d2, s: 0.2, scale: digitalScale) })
    // P(first + Σ of 9 more > 2), first ~ N(θ, 1), the others N(0.1, 1):
    // the total is N(θ + 0.9, 10), so d/dθ = φ((θ + 0.9 − 2)/√10)/√10. Only
    // the first draw's mean carries θ, and what lies downstream of it is
    // the sum and the step. Its likelihood ratio is simulated below.
    let a = (0.1 + 0.9 - 2) / 10.0.squareRoot()
    let threshold = JumpModel(name: "threshold of a sum", program: """
        param theta = 0.1
        first = normal(theta, 1) ESTIMATOR
        rest = [normal(0.1, 1) for i in 0..9]
        f = (first + sum(rest) > 2)
        """, exact: standardNormalDensity(a) / 10.0.squareRoot(),
        likelihoodRatioSD: { thresholdLikelihoodRatioSD(n: 2_000_000) })
    let barrier = JumpModel(name: "barrier option delta", program: """
        param S0 = 100
        K = 100; B = 90; r = 0.05; vol = 0.2; dt = 1 / 250
        logS = normal(log(S0) + (r - vol^2 / 2) * dt, vol * sqrt(dt)) ESTIMATOR
        alive = logS > log(B)
        for day in 1..20 {
          logS = logS + normal((r - vol^2 / 2) * dt, vol * sqrt(dt))
          alive = alive * (logS > log(B))
        }
        f = exp(-r * 20 * dt) * alive * max(exp(logS) - K, 0)
        """, exact: .nan, likelihoodRatioSD: { barrierLikelihoodRatioSD(n: 2_000_000) })
    return [digital, threshold, barrier]
}

/// The first draw's likelihood ratio in the threshold model, simulated.
func thresholdLikelihoodRatioSD(n: Int) -> Double {
    var rng = Xoshiro256(seed: 98)
    var f = [Double](repeating: 0, count: n), g = f
    for i in 0..<n {
        let first = 0.1 + rng.normal()
        var total = first
        for _ in 0..<9 { total += 0.1 + rng.normal() }
        f[i] = total > 2 ? 1 : 0
        g[i] = first - 0.1
    }
    return baselinedLikelihoodRatioSD(payoffs: f, scores: g)
}

func runMeasureValuedBenchmark(particles n: Int, budget: Double) {
    print("derivatives at a jump, \(n) particles, 1 thread: standard error at equal particles, median time, the standard")
    print("error at the score function's time (se · √(time / score's time)), and the variance reduction at equal time;")
    print("the hand-written likelihood ratio (log_prob · f with the best constant baseline) costs at least the score function's time")
    let widths = [22, 17, 11, 9, 10, 18, 12]
    func row(_ cells: [String]) -> String {
        zip(cells, widths).map { cell, width in
            cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count)
        }.joined()
    }
    print(row(["model", "estimator", "estimate", "se", "time", "se at equal time", "variance ÷"]))
    for model in measureValuedModels() {
        var scoreSE = Double.nan, scoreTime = Double.nan
        for estimator in ["@score", "@mvd"] {
            let session = Session()
            _ = session.run(model.program.replacingOccurrences(of: "ESTIMATOR", with: estimator)) { _ in }
            guard let (graph, objective) = session.traced("f") else {
                print("  \(model.name): did not trace")
                continue
            }
            let choices = EstimatorAnalysis.analyse(graph, root: objective, parameters: [0]).choices
            let plan = Plan(graph: graph, outputs: [objective], gradientParameters: [0], estimators: choices)
            let runner = Runner(plan: plan)
            let configuration = EngineConfiguration(particles: n, seed: 1, draw: 1, threads: 1)
            guard let result = try? runner.run(graph: graph, configuration: configuration) else {
                print("  \(model.name): the run failed")
                continue
            }
            let time = medianTimes(budget: budget, [{ _ = try? runner.run(graph: graph, configuration: configuration) }])[0]
            let se = result.gradient[0].standardError
            if estimator == "@score" { (scoreSE, scoreTime) = (se, time) }
            let atScoreTime = se * (time / scoreTime).squareRoot()
            print(row([model.name, estimator == "@score" ? "score" : "measure-valued",
                       String(format: "%.6g", result.gradient[0].mean), String(format: "%.2g", se), seconds(time),
                       String(format: "%.2g", atScoreTime), String(format: "%.0f", pow(scoreSE / atScoreTime, 2))]))
        }
        let lrSE = model.likelihoodRatioSD() / Double(n).squareRoot()
        print(row([model.name, "hand-written LR", "—", String(format: "%.2g", lrSE), "—", String(format: "%.2g", lrSE),
                   String(format: "%.1f", pow(scoreSE / lrSE, 2))]))
        if !model.exact.isNaN { print(row([model.name, "exact", String(format: "%.6g", model.exact)])) }
    }
}
