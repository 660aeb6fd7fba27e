import Foundation
import Testing
import WiggleGraph
import WiggleLang

/// A distribution defined here, in the test target, and nowhere in Sources/:
/// the Laplace distribution with location `mu` and scale `b`, with the
/// pathwise and score-function estimators. Registering it is all it takes for
/// programs to sample, differentiate and explain it.
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

    func logDensity(_ x: Double, parameters: [Double]) -> Double {
        -log(2 * parameters[1]) - abs(x - parameters[0]) / parameters[1]
    }

    /// dx/dmu = 1, dx/db = (x − mu)/b.
    func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>) {
        let mu = call.parameter(0), b = call.parameter(1), x = call.output
        if let gMu = call.adjoint(0) { for l in 0..<call.count { gMu[l] += g[l] } }
        if let gB = call.adjoint(1) { for l in 0..<call.count { gB[l] += g[l] * (x[l] - mu[l]) / b[l] } }
    }

    /// d log p/dmu = sign(x − mu)/b, d log p/db = −1/b + |x − mu|/b².
    func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>) {
        let mu = call.parameter(0), b = call.parameter(1), x = call.output
        for l in 0..<call.count {
            let d = x[l] - mu[l]
            if let gMu = call.adjoint(0) { gMu[l] += w[l] * (d > 0 ? 1 : (d < 0 ? -1 : 0)) / b[l] }
            if let gB = call.adjoint(1) { gB[l] += w[l] * (-1 / b[l] + abs(d) / (b[l] * b[l])) }
        }
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
}
