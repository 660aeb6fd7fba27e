import Foundation
import Testing
@testable import WiggleGraph

/// Builds graphs tersely in tests.
struct Builder {
    var graph = Graph()

    mutating func constant(_ value: Double) -> NodeID { graph.constant(value) }
    mutating func parameter(_ name: String, _ value: Double) -> NodeID {
        graph.parameters[graph.addParameter(name: name, value: value, at: .unknown)].node
    }
    mutating func unary(_ f: UnaryFunction, _ a: NodeID) -> NodeID { graph.append(.unary(f, a), at: .unknown) }
    mutating func binary(_ f: BinaryFunction, _ a: NodeID, _ b: NodeID) -> NodeID {
        graph.append(.binary(f, a, b), at: .unknown)
    }
    mutating func normal(_ mean: NodeID, _ sd: NodeID, _ estimator: Estimator? = nil) -> NodeID {
        graph.append(.normal(mean: mean, sd: sd), at: .unknown, estimator: estimator)
    }
    mutating func bernoulli(_ p: NodeID) -> NodeID { graph.append(.bernoulli(probability: p), at: .unknown) }
}

/// Runs a gradient of E[root] with respect to every parameter.
func gradient(_ builder: Builder, _ root: NodeID, particles: Int = 100_000, seed: UInt64 = 1,
              threads: Int = 2, estimators: [NodeID: EstimatorChoice] = [:]) throws -> EngineResult {
    let plan = Plan(graph: builder.graph, outputs: [root],
                    gradientParameters: Array(builder.graph.parameters.indices), estimators: estimators)
    var configuration = EngineConfiguration(particles: particles, seed: seed, threads: threads)
    // Wake the workers however small the run, so that tests comparing
    // thread counts compare real parallel runs.
    configuration.parallelWork = 0
    return try Runner(plan: plan).run(graph: builder.graph, configuration: configuration)
}

/// |estimate - exact| within `k` standard errors (and a hair for rounding).
func within(_ moments: Moments, _ exact: Double, _ k: Double = 4) -> Bool {
    abs(moments.mean - exact) <= k * moments.standardError + 1e-12
}

@Suite struct EngineTests {
    /// Every chunk's sweep starts from zero adjoints (a sweep zeroes each
    /// row it has used, and the next chunk only the parameters' rows):
    /// deterministic gradients come out exact, with no spread, over many
    /// chunks, a short last one and a runner re-run; the root may be a
    /// parameter itself; a parameter read twice gets both parts.
    @Test func eachChunkStartsFromZeroAdjoints() throws {
        var b = Builder()
        let mu = b.parameter("mu", 0.7)
        let nu = b.parameter("nu", -1.3)
        let both = b.binary(.add, b.binary(.multiply, mu, b.constant(3)), b.binary(.multiply, mu, nu))
        let z = b.normal(b.constant(0), b.constant(1))
        let noisy = b.binary(.multiply, b.binary(.add, mu, z), b.binary(.add, mu, z))
        for (root, exact) in [(both, [3 + -1.3, 0.7]), (mu, [1, 0])] {
            let plan = Plan(graph: b.graph, outputs: [root], gradientParameters: [0, 1])
            let runner = Runner(plan: plan)
            for _ in 0..<2 {
                let result = try runner.run(graph: b.graph, configuration: EngineConfiguration(particles: 1000, seed: 4, threads: 1))
                for (component, value) in zip(result.gradient, exact) {
                    #expect(abs(component.mean - value) < 1e-12 && component.standardError < 1e-12, "\(component.mean) ± \(component.standardError) vs \(value)")
                }
            }
        }
        // With a random node: d/dmu E[(mu + z)²] = 2 mu, every chunk alike.
        let plan = Plan(graph: b.graph, outputs: [noisy], gradientParameters: [0])
        let runner = Runner(plan: plan)
        for _ in 0..<2 {
            let result = try runner.run(graph: b.graph, configuration: EngineConfiguration(particles: 20_000, seed: 5, threads: 1))
            #expect(within(result.gradient[0], 1.4, 5))
        }
    }

    @Test func zigguratMomentsAndTails() {
        var rng = Xoshiro256(seed: 42)
        let n = 2_000_000
        var sum = 0.0, squares = 0.0, fourth = 0.0, beyond3 = 0
        for _ in 0..<n {
            let z = rng.normal()
            sum += z; squares += z * z; fourth += z * z * z * z
            if abs(z) > 3 { beyond3 += 1 }
        }
        let mean = sum / Double(n)
        #expect(abs(mean) < 4 / sqrt(Double(n)))
        #expect(abs(squares / Double(n) - 1) < 4 * sqrt(2 / Double(n)))
        #expect(abs(fourth / Double(n) - 3) < 4 * sqrt(96 / Double(n)))
        // P(|Z| > 3) = 0.0026998; binomial standard error.
        let p = 0.0026997960632601866
        #expect(abs(Double(beyond3) / Double(n) - p) < 4 * sqrt(p * (1 - p) / Double(n)))
    }

    @Test func zigguratMatchesTheNormalCDF() {
        // Kolmogorov–Smirnov against Φ on 200,000 draws.
        var rng = Xoshiro256(seed: 7)
        let n = 200_000
        var draws = (0..<n).map { _ in rng.normal() }
        draws.sort()
        var d = 0.0
        for (i, x) in draws.enumerated() {
            let cdf = 0.5 * erfc(-x / 2.0.squareRoot())
            d = max(d, abs(cdf - Double(i) / Double(n)), abs(cdf - Double(i + 1) / Double(n)))
        }
        // The 0.1% critical value is 1.95 / sqrt(n).
        #expect(d < 1.95 / sqrt(Double(n)))
    }

    @Test func oneNormalPathwise() throws {
        var b = Builder()
        let mu = b.parameter("mu", 0.5)
        let logSigma = b.parameter("log_sigma", 0.2)
        let x = b.normal(mu, b.unary(.exp, logSigma))
        let loss = b.binary(.power, b.binary(.subtract, x, b.constant(3)), b.constant(2))
        let result = try gradient(b, loss)
        let sigma2 = exp(0.4)
        #expect(within(result.outputs[0], 6.25 + sigma2))
        #expect(within(result.gradient[0], 2 * (0.5 - 3)))
        #expect(within(result.gradient[1], 2 * sigma2))
    }

    @Test func reinforceToyWithBaseline() throws {
        var b = Builder()
        let theta = b.parameter("theta", 0)
        let bit = b.bernoulli(b.unary(.sigmoid, theta))
        let loss = b.binary(.power, b.binary(.subtract, bit, b.constant(0.499)), b.constant(2))
        let result = try gradient(b, loss, particles: 200_000)
        #expect(within(result.gradient[0], 0.0005))
        #expect(within(result.outputs[0], 0.5 * 0.501 * 0.501 + 0.5 * 0.499 * 0.499))
        #expect(result.gradient[0].standardError < 0.0005 / 20)
    }

    @Test func identicalResultsForAnyThreadCount() throws {
        var b = Builder()
        let mu = b.parameter("mu", 0.3)
        var h = mu
        for _ in 0..<20 { h = b.normal(b.binary(.multiply, h, b.constant(0.9)), b.constant(0.5)) }
        let bit = b.bernoulli(b.unary(.sigmoid, h))
        let loss = b.binary(.add, b.binary(.power, h, b.constant(2)), bit)
        let one = try gradient(b, loss, particles: 30_001, threads: 1)
        let two = try gradient(b, loss, particles: 30_001, threads: 2)
        let four = try gradient(b, loss, particles: 30_001, threads: 4)
        #expect(one.outputs == two.outputs && two.outputs == four.outputs)
        #expect(one.gradient == two.gradient && two.gradient == four.gradient)
        let otherSeed = try gradient(b, loss, particles: 30_001, seed: 2, threads: 2)
        #expect(otherSeed.outputs != one.outputs)
    }

    /// Past 4.2 million particles the chunks fall into more than 64 groups
    /// (one per 65,536 particles): still the same bits for any thread count.
    @Test func identicalResultsPast64Groups() throws {
        var b = Builder()
        let mu = b.parameter("mu", 0.3)
        let x = b.normal(mu, b.constant(1))
        let loss = b.binary(.add, b.binary(.power, x, b.constant(2)), b.binary(.greater, x, b.constant(1)))
        let one = try gradient(b, loss, particles: 4_600_000, threads: 1)
        let two = try gradient(b, loss, particles: 4_600_000, threads: 2)
        #expect(one.outputs == two.outputs && one.gradient == two.gradient)
        #expect(abs(one.outputs[0].mean - (1 + 0.09 + 0.5 * erfc(0.7 / 2.0.squareRoot()))) < 5 * one.outputs[0].standardError)
    }

    @Test func invalidSigmaIsCountedPerParticle() throws {
        var b = Builder()
        let z = b.normal(b.constant(0), b.constant(1))
        let x = b.normal(b.constant(0), z)  // sd = z is negative in about half the particles
        do {
            _ = try gradient(b, x, particles: 10_000)
            Issue.record("expected an error")
        } catch let error as EngineError {
            #expect(error.node == x)
            #expect(error.message.hasPrefix("sigma must be > 0 (got -"))
            let count = Int(error.message.split(separator: " ")[8]) ?? 0
            #expect(count > 4_700 && count < 5_300, "\(error.message)")
            #expect(error.message.hasSuffix("of 10000 particles)"))
        }
    }

    @Test func probabilityOutsideTheUnitIntervalIsAnError() throws {
        var b = Builder()
        let p = b.binary(.add, b.normal(b.constant(0.5), b.constant(0.1)), b.constant(0.3))
        let bit = b.bernoulli(p)
        #expect(throws: EngineError.self) { try gradient(b, bit, particles: 5_000) }
    }

    @Test func nonFiniteValuesNameTheNode() throws {
        var b = Builder()
        let x = b.normal(b.constant(0), b.constant(1))
        let y = b.unary(.log, x)
        do {
            let root = b.binary(.add, y, b.constant(1))
            _ = try gradient(b, root, particles: 1_000)
            Issue.record("expected an error")
        } catch let error as EngineError {
            #expect(error.node == y)
            #expect(error.message.contains("not a finite number in"))
        }
    }
}

/// Each variance reduction, against the naive estimator in the same test.
@Suite struct VarianceReductionTests {
    /// Runs a gradient with chosen estimators and options.
    func run(_ b: Builder, _ root: NodeID, estimator: Estimator, options: PlanOptions = PlanOptions(),
             particles: Int = 100_000) throws -> EngineResult {
        var choices = EstimatorAnalysis.analyse(b.graph, root: root).choices
        for (node, _) in choices where b.graph[node].op.distribution?.name == "bernoulli" {
            choices[node] = EstimatorChoice(estimator, [.requested(estimator)])
        }
        let plan = Plan(graph: b.graph, outputs: [root], gradientParameters: Array(b.graph.parameters.indices),
                        estimators: choices, options: options)
        return try Runner(plan: plan).run(graph: b.graph, configuration: EngineConfiguration(particles: particles, seed: 5))
    }

    @Test func raoBlackwellisationCutsTheError() throws {
        // f = b + n, n ~ N(0, 5) independent of b: d/dθ E[f] = σ'(θ).
        var b = Builder()
        let theta = b.parameter("theta", 0.2)
        let bit = b.bernoulli(b.unary(.sigmoid, theta))
        let noise = b.normal(b.constant(0), b.constant(5))
        let f = b.binary(.add, bit, noise)
        let p = 1 / (1 + exp(-0.2))
        let rb = try run(b, f, estimator: .score)
        let naive = try run(b, f, estimator: .score, options: PlanOptions(raoBlackwellise: false))
        #expect(within(rb.gradient[0], p * (1 - p)))
        #expect(within(naive.gradient[0], p * (1 - p)))
        #expect(rb.gradient[0].standardError * 10 < naive.gradient[0].standardError)
    }

    @Test func theBaselineCutsTheError() throws {
        // f = (b - 0.499)^2 + 10: the constant makes the plain score term noisy.
        var b = Builder()
        let theta = b.parameter("theta", 0)
        let bit = b.bernoulli(b.unary(.sigmoid, theta))
        let square = b.binary(.power, b.binary(.subtract, bit, b.constant(0.499)), b.constant(2))
        let f = b.binary(.add, square, b.constant(10))
        let withBaseline = try run(b, f, estimator: .score)
        let without = try run(b, f, estimator: .score, options: PlanOptions(baseline: false))
        #expect(within(withBaseline.gradient[0], 0.0005))
        #expect(within(without.gradient[0], 0.0005))
        #expect(withBaseline.gradient[0].standardError * 100 < without.gradient[0].standardError)
    }

    @Test func theExactDerivativeCutsTheError() throws {
        var b = Builder()
        let theta = b.parameter("theta", 0.3)
        let bit = b.bernoulli(b.unary(.sigmoid, theta))
        let x = b.normal(b.binary(.multiply, bit, b.constant(2)), b.constant(1))
        let f = b.binary(.power, x, b.constant(2))
        // E[f] = p·5 + (1 - p)·1: d/dθ = 4 p (1 - p).
        let p = 1 / (1 + exp(-0.3))
        let exact = try run(b, f, estimator: .exact)
        let naive = try run(b, f, estimator: .score, options: PlanOptions(raoBlackwellise: false, baseline: false))
        #expect(within(exact.gradient[0], 4 * p * (1 - p)))
        #expect(within(naive.gradient[0], 4 * p * (1 - p)))
        #expect(exact.gradient[0].standardError * 2 < naive.gradient[0].standardError)
    }

    @Test func exactWithDownstreamBernoullis() throws {
        // b2 ~ bernoulli(b1 ? 0.9 : 0.2), f = b2: d/dθ = σ'(θ)(0.9 - 0.2), with no noise from b1.
        var b = Builder()
        let theta = b.parameter("theta", -0.4)
        let b1 = b.bernoulli(b.unary(.sigmoid, theta))
        let p2 = b.binary(.add, b.constant(0.2), b.binary(.multiply, b1, b.constant(0.7)))
        let b2 = b.bernoulli(p2)
        let p = 1 / (1 + exp(0.4))
        let exact = try run(b, b2, estimator: .exact)
        #expect(within(exact.gradient[0], p * (1 - p) * 0.7))
        // Common random numbers: b2 at b1 = 1 minus b2 at b1 = 0 is 1 or 0 with the same u.
        #expect(exact.gradient[0].standardError < 0.003)
    }
}

@Suite struct RunnerTests {
    /// A runner reused across parameter changes gives the same bits as a fresh engine each time.
    @Test func reusedRunnerMatchesFreshRuns() throws {
        var b = Builder()
        let mu = b.parameter("mu", 0.5)
        let ls = b.parameter("ls", 0.1)
        let x = b.normal(mu, b.unary(.exp, ls))
        let bit = b.bernoulli(b.unary(.sigmoid, b.binary(.multiply, ls, b.constant(3))))
        let f = b.binary(.add, b.binary(.power, b.binary(.subtract, x, b.constant(3)), b.constant(2)), bit)
        let plan = Plan(graph: b.graph, outputs: [f], gradientParameters: [0, 1],
                        estimators: EstimatorAnalysis.analyse(b.graph, root: f).choices)
        let runner = Runner(plan: plan)
        var graph = b.graph
        for step in 0..<5 {
            var configuration = EngineConfiguration(particles: 3000, seed: 2, draw: UInt64(step), threads: 2)
            configuration.parallelWork = 0
            let reused = try runner.run(graph: graph, configuration: configuration)
            let fresh = try Runner(plan: plan).run(graph: graph, configuration: configuration)
            #expect(reused.outputs == fresh.outputs)
            #expect(reused.gradient == fresh.gradient)
            graph.parameters[0].value += 0.3
            graph.parameters[1].value -= 0.2
        }
    }
}
