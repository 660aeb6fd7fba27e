import Foundation
import Testing
@testable import WiggleGraph

/// Antithetic sampling in the engine: the normal quantile it inverts with,
/// pairs that mirror each other, standard errors from the pairs' means, and
/// a score-function baseline that leaves the pair out.
@Suite struct AntitheticTests {
    /// Φ⁻¹(u) to a few units in the last place out to u = 1e-300: one step
    /// of Halley's method on Φ(x) − u (with erfc, from the nearer tail) moves
    /// it by no more; known quantiles.
    @Test func normalQuantileInvertsPhi() {
        var us: [Double] = [1e-300, 1e-100, 1e-20, 1e-10, 1e-5, 0.001, 0.02424, 0.02426, 0.1, 0.3, 0.5, 0.7, 0.9,
                            0.97574, 0.97576, 0.999, 1 - 1e-10, 1 - 1e-15]
        for i in 1..<1000 { us.append(Double(i) / 1000) }
        for u in us {
            let x = normalQuantile(u)
            // e = Φ(x) − u, each side from its own tail so that it keeps its digits.
            let e = x < 0 ? 0.5 * erfc(-x / 2.0.squareRoot()) - u : (1 - u) - 0.5 * erfc(x / 2.0.squareRoot())
            let t = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
            let refined = x - t / (1 + x * t / 2)
            #expect(abs(refined - x) <= 8e-16 * max(1, abs(x)), "u = \(u): x = \(x), refined \(refined)")
        }
        #expect(abs(normalQuantile(0.975) - 1.959963984540054) < 1e-14)
        #expect(abs(normalQuantile(0.5)) < 1e-16)
        #expect(normalQuantile(0) == -.infinity && normalQuantile(1) == .infinity && normalQuantile(1.5).isNaN)
    }

    static func configuration(particles: Int, seed: UInt64, draw: UInt64 = 0, threads: Int = 1) -> EngineConfiguration {
        var configuration = EngineConfiguration(particles: particles, seed: seed, draw: draw, threads: threads)
        configuration.sampling = .antithetic
        configuration.parallelWork = 0
        return configuration
    }

    /// E[x] of a normal is its mean in every pair: the estimate is exact.
    /// The same run on one and two threads gives the same bits.
    @Test func pairsMirrorEachOther() throws {
        var b = Builder()
        let mu = b.parameter("mu", 0.7)
        let x = b.normal(mu, b.constant(2))
        let y = b.binary(.add, x, b.unary(.exp, b.binary(.multiply, b.constant(0.3), x)))
        let plan = Plan(graph: b.graph, outputs: [x, y], gradientParameters: [0], estimators: [:])
        let one = try Runner(plan: plan).run(graph: b.graph, configuration: Self.configuration(particles: 10_000, seed: 3))
        #expect(abs(one.outputs[0].mean - 0.7) < 1e-9 && one.outputs[0].standardError < 1e-9)
        // E[x + e^{0.3x}] = μ + e^{0.3μ + 0.18}.
        #expect(within(one.outputs[1], 0.7 + exp(0.21 + 0.18), 5))
        let two = try Runner(plan: plan).run(graph: b.graph, configuration: Self.configuration(particles: 10_000, seed: 3, threads: 2))
        #expect(one.outputs[1].mean.bitPattern == two.outputs[1].mean.bitPattern)
        #expect(one.gradient[0].mean.bitPattern == two.gradient[0].mean.bitPattern)
        #expect(one.gradient[0].standardError.bitPattern == two.gradient[0].standardError.bitPattern)
    }

    /// The score function with a baseline, at 8 particles (4 pairs) over
    /// 20,000 runs: unbiased because the baseline leaves the particle's pair
    /// out. (A leave-one-out baseline would include the pair's other half,
    /// which mirrors this one: a bias near 0.11 here, thirty standard errors.)
    @Test func theBaselineLeavesThePairOut() throws {
        var b = Builder()
        let theta = b.parameter("theta", 0)
        let coin = b.graph.append(.bernoulli(probability: b.unary(.sigmoid, theta)), at: .unknown, estimator: .score)
        let f = b.binary(.power, b.binary(.add, coin, b.constant(1)), b.constant(2))
        let plan = Plan(graph: b.graph, outputs: [f], gradientParameters: [0], estimators: [:])
        let runner = Runner(plan: plan)
        var sum = 0.0, squares = 0.0
        let runs = 20_000
        for draw in 0..<runs {
            let result = try runner.run(graph: b.graph, configuration: Self.configuration(particles: 8, seed: 5, draw: UInt64(draw)))
            sum += result.gradient[0].mean
            squares += result.gradient[0].mean * result.gradient[0].mean
        }
        let mean = sum / Double(runs)
        let stderr = ((squares / Double(runs) - mean * mean) / Double(runs - 1)).squareRoot()
        // d/dθ E[(b + 1)²] = 3 s(1 − s) = 0.75 at θ = 0.
        #expect(abs(mean - 0.75) <= 5 * stderr, "\(mean) ± \(stderr)")
    }
}
