import Foundation
import Testing
import WiggleGraph
import WiggleLang

/// A distribution defined here, in the test target, and nowhere in Sources/:
/// the Laplace distribution with location `mu` and scale `b`, with the
/// pathwise and score-function estimators. It writes its sampler, its
/// reparametrisation and its log-density; the score function and
/// `laplace_lpdf` come from the log-density. Registering it is all it takes
/// for programs to sample, differentiate, explain it and use its density.
struct Laplace: Distribution {
    var name: String { "laplace" }
    var parameterNames: [String] { ["mu", "b"] }
    var support: Support { .realLine }
    var estimators: [Estimator] { [.pathwise, .score] }

    static let invalidScale = ParameterProblem("b", "must be > 0")

    func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        if index == 0 { return value.isFinite ? nil : ParameterProblem("mu", "must be a finite number") }
        return value > 0 && value < .infinity ? nil : Laplace.invalidScale
    }

    /// x = mu − b · sign(u) · log(1 − 2|u|), u uniform on (−½, ½).
    func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? {
        let mu = call.parameter(0), b = call.parameter(1), x = call.output
        var bad = 0
        var example = 0.0
        for l in 0..<call.count {
            if !(b[l] > 0 && b[l] < .infinity) {
                if bad == 0 { example = b[l] }
                bad += 1
            }
            var rng = streams.generator(l)
            let u = rng.uniformOpen() - 0.5
            x[l] = mu[l] - b[l] * (u < 0 ? -1 : 1) * log(1 - 2 * abs(u))
        }
        return bad > 0 ? SampleFailure(Laplace.invalidScale, value: example, count: bad) : nil
    }

    /// −log 2b − |x − mu|/b: the one definition the number, `laplace_lpdf`
    /// and the score function come from.
    func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S {
        try S(0) - (S(2) * p[1]).log() - (x - p[0]).abs() / p[1]
    }

    /// dx/dmu = 1, dx/db = (x − mu)/b.
    func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>) {
        let mu = call.parameter(0), b = call.parameter(1), x = call.output
        if let gMu = call.adjoint(0) { for l in 0..<call.count { gMu[l] += g[l] } }
        if let gB = call.adjoint(1) { for l in 0..<call.count { gB[l] += g[l] * (x[l] - mu[l]) / b[l] } }
    }

}

@Suite struct PluginDistributionTests {
    init() { DistributionRegistry.register(Laplace()) }

    @Test func registeringMakesItCallable() {
        #expect(DistributionRegistry.id(named: "laplace") != nil)
        #expect(DistributionRegistry.register(Laplace()) == DistributionRegistry.id(named: "laplace"))
        #expect(Session().names.contains("laplace"))
    }

    /// Moments and both pathwise gradients against closed forms:
    /// E[x] = m, E[x²] = m² + 2b², and d/dm, d/db of E[(x − 1)²] = (m − 1)² + 2b².
    @Test func pathwiseAgainstClosedForms() {
        let program = """
            set(seed = 3, particles = 200000)
            param m = 0.5
            param b = 1.5
            x = laplace(m, b)
            E[x]
            E[x^2]
            grad(E[(x - 1)^2])
            """
        let estimates = expectations(program)
        #expect(estimates.count == 2)
        if estimates.count == 2 {
            #expect(agrees(estimates[0], 0.5, 5))
            #expect(agrees(estimates[1], 0.25 + 2 * 2.25, 5))
        }
        let g = gradients(program)[0]
        #expect(agrees(g["m"], 2 * (0.5 - 1), 5))
        #expect(agrees(g["b"], 4 * 1.5, 5))
        #expect(g.estimators.map(\.estimator) == ["pathwise"])
        #expect(g.estimators.map(\.distribution) == ["laplace"])
    }

    /// A step makes the analysis choose the distribution's score function:
    /// P(x > 1) = ½ e^{−(1 − m)/b} for m < 1, so d/dm = P/b and d/db = P(1 − m)/b².
    @Test func scoreAtAJumpAgainstClosedForm() {
        let g = gradients("""
            set(seed = 4, particles = 400000)
            param m = 0.5
            param b = 1.5
            x = laplace(m, b)
            grad(E[x > 1])
            """)[0]
        let p = 0.5 * exp(-(1 - 0.5) / 1.5)
        #expect(agrees(g["m"], p / 1.5, 5))
        #expect(agrees(g["b"], p * 0.5 / (1.5 * 1.5), 5))
        #expect(g.estimators.map(\.estimator) == ["score"])
        #expect(g.estimators.first?.reason == "reaches `>` at line 5")
    }

    @Test func checksAnnotationsAndExplainGoThroughTheRegistry() {
        #expect(run("x = laplace(0, -1)").errors == ["1:16: b must be > 0 (got -1)"])
        #expect(run("param s = -1\nx = laplace(0, s)\nE[x]").errors
            == ["2:5: b must be > 0 (got -1 in 10000 of 10000 particles)"])
        #expect(run("x = laplace(0, 1) @exact").errors
            == ["1:5: @exact applies to bernoulli and categorical; a laplace takes @pathwise or @score"])
        let explained = run("param m = 0\nx = laplace(m, 1)\nexplain(x)").text
        #expect(explained.contains("x = laplace[pathwise] m 1"))
    }

    /// `laplace_lpdf` exists because the distribution is registered: on
    /// numbers, −log 2b − |x − m|/b; on a parameter, its gradient flows —
    /// d/dm Σᵢ log p(yᵢ) = Σ sign(yᵢ − m)/b, d/db = Σ (−1/b + |yᵢ − m|/b²) —
    /// and a list x is the sum of its elements' terms.
    @Test func densityFunctionComesFromTheRegistry() {
        #expect(run("laplace_lpdf(1.5, 0.5, 2)").lines == [formatNumber(-log(4.0) - 0.5)])
        #expect(run("laplace_lpdf(1, 0, -1)").errors == ["1:20: b must be > 0 (got -1)"])
        #expect(run("laplace_lpmf(1, 0, 1)").errors.first?.contains("unknown name 'laplace_lpmf'; did you mean 'laplace_lpdf'?") == true)
        let ys = [0.3, -1.2, 2.5, 0.9]
        let g = gradients("""
            param m = 0.4
            param b = 1.5
            grad(E[laplace_lpdf([0.3, -1.2, 2.5, 0.9], m, b)])
            """)[0]
        let dm = ys.reduce(0) { $0 + ($1 > 0.4 ? 1 : -1) / 1.5 }
        let db = ys.reduce(0) { $0 - 1 / 1.5 + abs($1 - 0.4) / (1.5 * 1.5) }
        #expect(abs(g["m"].value - dm) < 1e-12)
        #expect(abs(g["b"].value - db) < 1e-12)
        #expect(Session().names.contains("laplace_lpdf"))
        #expect(Help.entry(for: "laplace_lpdf")?.signature == "laplace_lpdf(x, mu, b)")
    }
}
