import Foundation
import Testing
import WiggleLang

/// Where a node could take the exact derivative or the score function, a
/// pilot run keeps the one with the lower gradient variance × work. Each
/// choice is checked against the exact value and against both fixed rules.
@Suite struct PilotTests {
    func estimators(_ g: GradientResult) -> [String] { g.estimators.map(\.estimator) }

    /// d/dθ P(Σ of 300 Bernoulli(σ(θ)) > 155) at θ = 0:
    /// σ'(0) · 300 · C(299, 155) / 2²⁹⁹.
    static let thresholdExact: Double = {
        let logChoose = lgamma(300.0) - lgamma(156.0) - lgamma(145.0)
        return 0.25 * 300 * exp(logChoose - 299 * log(2.0))
    }()

    /// 300 bernoullis summed and compared to a threshold: every exact term is
    /// small but they move together, so the exact derivative has several
    /// times the variance of the score function. The pilot picks the score
    /// function; the old fixed rule (@exact) is measurably worse.
    @Test func manyBernoullisAtAThresholdTakeTheScoreFunction() {
        let g = gradients("""
            set(seed = 21, particles = 40000)
            param th = 0
            bs = [bernoulli(sigmoid(th)) for i in 0..300]
            grad(E[sum(bs) > 155])
            cs = [bernoulli(sigmoid(th)) @exact for i in 0..300]
            grad(E[sum(cs) > 155])
            ds = [bernoulli(sigmoid(th)) @score for i in 0..300]
            grad(E[sum(ds) > 155])
            """)
        #expect(Set(estimators(g[0])) == ["score"])
        #expect(g[0].estimators[0].reason.contains("lower gradient variance than the exact 2-point derivative on a pilot of "))
        for result in g { #expect(agrees(result["th"], Self.thresholdExact, 5)) }
        #expect(g[0]["th"].stderr <= 1.1 * g[2]["th"].stderr)
        #expect(g[0]["th"].stderr * 1.5 < g[1]["th"].stderr)
    }

    /// A digital option with a linear hedge: the hedge is smooth and the
    /// payoff jumps, so the normal could be split by term. With the score
    /// function the hedge is a control variate for the jump's term, and the
    /// split loses to the score function for both terms; the measure-valued
    /// derivative for the jump needs no control variate, and the pilot finds
    /// pathwise for the hedge and the Weibull pair for the payoff better
    /// than either (2.8× lower standard error than the score function here). logS ~ N(log S0 + 0.03, 0.2); the hedge has mean zero for
    /// every S0, so d/dS0 = e^-0.05 φ(d) / (0.2 S0) with d = 0.15 at S0 = 100.
    @Test func aHedgedDigitalTakesTheMeasureValuedDerivativeForThePayoff() {
        let g = gradients("""
            set(seed = 23, particles = 200000)
            param S0 = 100
            logS = normal(log(S0) + 0.03, 0.2)
            grad(E[exp(-0.05) * (logS > log(100)) - 0.01 * (exp(logS) - S0 * exp(0.05))])
            hedged = normal(log(S0) + 0.03, 0.2) @score
            grad(E[exp(-0.05) * (hedged > log(100)) - 0.01 * (exp(hedged) - S0 * exp(0.05))])
            """)
        let exact = exp(-0.05) * phi(0.15) / (0.2 * 100)
        #expect(estimators(g[0]) == ["pathwise+mvd"])
        #expect(g[0].estimators[0].reason.contains("× lower gradient variance than pathwise and score by term on a pilot of "))
        #expect(agrees(g[0]["S0"], exact, 5))
        #expect(agrees(g[1]["S0"], exact, 5))
        #expect(g[0]["S0"].stderr * 2.5 <= g[1]["S0"].stderr)
    }

    /// A bernoulli whose exact term has no variance keeps it.
    @Test func aBernoulliWithAnExactTermWithoutVarianceStaysExact() {
        let g = gradients("""
            set(seed = 22)
            param theta = 0
            b = bernoulli(sigmoid(theta))
            grad(E[(b - 0.499)^2])
            """)[0]
        #expect(estimators(g) == ["exact"])
        #expect(g.estimators[0].reason.hasPrefix("no gradient variance, unlike the score function, on a pilot of 256"))
        #expect(g["theta"].stderr == 0)
        #expect(abs(g["theta"].value - 0.25 * (0.501 * 0.501 - 0.499 * 0.499)) < 1e-12)
    }

    /// b·θ + θ²: the score function's term moves against the pathwise term
    /// b, so it has the lower variance than the exact derivative; the
    /// pilot, weighing stochastic triples first against the analysis's
    /// choice (the exact derivative), finds them lower still (their flip
    /// changes f by θ alone). d/dθ = σ'(θ)θ + σ(θ) + 2θ.
    @Test func theScoreFunctionCanBeatTheExactDerivative() {
        let g = gradients("""
            set(seed = 23, particles = 200000)
            param theta = 0.7
            b = bernoulli(sigmoid(theta))
            grad(E[b * theta + theta^2])
            c = bernoulli(sigmoid(theta)) @exact
            grad(E[c * theta + theta^2])
            d = bernoulli(sigmoid(theta)) @score
            grad(E[d * theta + theta^2])
            """)
        let p = 1 / (1 + exp(-0.7))
        let exact = p * (1 - p) * 0.7 + p + 1.4
        #expect(estimators(g[0]) == ["triple"])
        #expect(g[0].estimators[0].reason.contains("lower gradient variance than the exact 2-point derivative"), "\(g[0].estimators[0].reason)")
        for result in g { #expect(agrees(result["theta"], exact, 5)) }
        #expect(g[2]["theta"].stderr < g[1]["theta"].stderr)
        #expect(g[0]["theta"].stderr < g[2]["theta"].stderr)
    }

    /// The pilot's streams are fixed: the choice and the numbers are the same
    /// for any thread count.
    @Test func identicalAcrossThreads() {
        func run(_ threads: Int) -> GradientResult {
            gradients("""
                set(seed = 24, particles = 20000, threads = \(threads))
                param w[6] = [0.1, -0.2, 0.3, 0, 0.5, -0.4]
                pos = 0
                for t in 0..6 { pos = pos + bernoulli(sigmoid(w[t])) }
                grad(E[(pos - 2)^2 + (pos > 3)])
                """)[0]
        }
        let one = run(1), two = run(2)
        #expect(one.estimators.map(\.reason) == two.estimators.map(\.reason))
        #expect(one.entries.map(\.value) == two.entries.map(\.value))
        #expect(one.entries.map(\.stderr) == two.entries.map(\.stderr))
    }

    /// An annotation is never second-guessed.
    @Test func annotationsOverrideThePilot() {
        let g = gradients("""
            set(seed = 25, particles = 2000)
            param th = 0
            cs = [bernoulli(sigmoid(th)) @exact for i in 0..50]
            grad(E[sum(cs) > 25])
            """)[0]
        #expect(Set(estimators(g)) == ["exact"])
        #expect(g.estimators.allSatisfy { $0.reason.hasPrefix("requested by @exact") })
    }
}
