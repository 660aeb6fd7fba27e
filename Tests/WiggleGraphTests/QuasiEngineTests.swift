import Foundation
import Testing
@testable import WiggleGraph

/// Randomised QMC in the engine and the executor: dimensions by a fixed
/// rule, replicates combined, the same bits on any thread count, and a
/// score function that stays unbiased with no baseline inside a net.
@Suite struct QuasiEngineTests {
    static func executor(replicates: Int = 16, particles: Int, seed: UInt64 = 3, threads: Int = 1) -> Executor {
        var options = Executor.Options(particles: particles, seed: seed, threads: threads, maxWorkspaceBytes: 1 << 30)
        options.sampling = .rqmc
        options.replicates = replicates
        return Executor(options: options)
    }

    /// Draws sampled by inversion get dimensions in program order, loop
    /// draws after the others; rejection samplers none.
    @Test func dimensionsFollowAFixedRule() {
        var b = Builder()
        let one = b.constant(1)
        let x = b.normal(b.constant(0), one)
        let gamma = DistributionRegistry.id(named: "gamma") ?? .normal
        let g = b.graph.append(.random(gamma, [one, one]), at: .unknown)
        let y = b.normal(x, one)
        let f = b.binary(.add, b.binary(.add, x, g), y)
        let plan = Plan(graph: b.graph, outputs: [f], estimators: [:])
        let dimensions = plan.randomCalls.map { $0.quasiDimension }
        #expect(dimensions == [0, -1, 1])
        #expect(plan.quasiDimensionCounts.quasi == 2 && plan.quasiDimensionCounts.pseudo == 1)
    }

    /// E[e^{x/2}] over 16 replicates of 1024 points: the estimate agrees
    /// with e^{1/8}, its error is the replicates' spread, and one and two
    /// threads give the same bits.
    @Test func replicatesCombine() throws {
        var b = Builder()
        let mu = b.parameter("mu", 0)
        let x = b.normal(mu, b.constant(1))
        let f = b.unary(.exp, b.binary(.multiply, b.constant(0.5), x))
        var results: [EngineResult] = []
        for threads in [1, 2] {
            let executor = Self.executor(particles: 16_384, threads: threads)
            let (runner, _) = executor.runner(for: f, gradient: [0], in: b.graph)
            var configuration = executor.nextConfiguration()
            configuration.parallelWork = 0
            results.append(try executor.run(runner, graph: b.graph, configuration: configuration))
        }
        #expect(results[0].replicates?.count == 16 && results[0].replicates?.points == 1024)
        #expect(results[0].outputs[0].count == 16)
        #expect(abs(results[0].outputs[0].mean - exp(0.125)) <= 5 * results[0].outputs[0].standardError)
        // d/dμ = ½ e^{1/8}.
        #expect(abs(results[0].gradient[0].mean - 0.5 * exp(0.125)) <= 5 * results[0].gradient[0].standardError)
        #expect(results[0].outputs[0].mean.bitPattern == results[1].outputs[0].mean.bitPattern)
        #expect(results[0].gradient[0].standardError.bitPattern == results[1].gradient[0].standardError.bitPattern)
        // The particles' own spread is kept apart from the replicates' (sd of e^{x/2}).
        // Var e^{x/2} = E[e^x] − E[e^{x/2}]² = e^{1/2} − e^{1/4}.
        let sd = (exp(0.5) - exp(0.25)).squareRoot()
        #expect(abs((results[0].particleMoments?[0].standardDeviation ?? 0) - sd) < 0.01)
    }

    /// The score function with no baseline: 4 replicates of 8 points,
    /// 5,000 evaluations, unbiased for d/dθ E[(b + 1)²] = 0.75 at θ = 0.
    @Test func theScoreFunctionStaysUnbiased() throws {
        var b = Builder()
        let theta = b.parameter("theta", 0)
        let coin = b.graph.append(.bernoulli(probability: b.unary(.sigmoid, theta)), at: .unknown, estimator: .score)
        let f = b.binary(.power, b.binary(.add, coin, b.constant(1)), b.constant(2))
        let executor = Self.executor(replicates: 4, particles: 32)
        let (runner, _) = executor.runner(for: f, gradient: [0], in: b.graph)
        var sum = 0.0, squares = 0.0
        let runs = 5_000
        for _ in 0..<runs {
            let result = try executor.run(runner, graph: b.graph, configuration: executor.nextConfiguration())
            sum += result.gradient[0].mean
            squares += result.gradient[0].mean * result.gradient[0].mean
        }
        let mean = sum / Double(runs)
        let stderr = ((squares / Double(runs) - mean * mean) / Double(runs - 1)).squareRoot()
        #expect(abs(mean - 0.75) <= 5 * stderr, "\(mean) ± \(stderr)")
    }
}
