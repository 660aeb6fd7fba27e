import Foundation
import Testing
@testable import WiggleGraph
import WiggleLang

/// Issue 31: stochastic triples through loops of random length, where the
/// alternative path runs more iterations than the particle's own, or
/// fewer (the replay of StochasticTriples+Loops.swift), against exact
/// derivatives.
@Suite struct StochasticTripleLoopTests {
    /// The walk of StochasticTripleTests as a `while` loop that stops when
    /// x first reaches `level`, or after `steps` steps.
    static func walk(level: Int, steps: Int, particles: Int, annotation: String, seed: Int = 12, threads: Int = 1) -> String {
        """
        set(seed = \(seed), particles = \(particles), threads = \(threads))
        param p = \(2 * steps)
        x = 0
        i = 0
        while x < \(level) and i < \(steps) {
          up = bernoulli(exp(-x / p)) \(annotation)
          x = x + 2 * up - 1
          i = i + 1
        }
        grad(E[x^2])
        explain(x)
        """
    }

    typealias Entry = (name: String, value: Double, stderr: Double, bias: String?)

    /// The program's first gradient, its first entry, and all it printed.
    static func gradient(_ text: String) -> (entry: Entry, gradient: GradientResult, text: String)? {
        guard let gradient = StochasticTripleTests.gradients(text).first, let entry = gradient.entries.first else {
            Issue.record("no gradient")
            return nil
        }
        return (entry, gradient, run(text).text)
    }

    /// A geometric count whose loop condition is the flipping draw: a flip
    /// to 1 goes on where the particle stopped, a flip to 0 stops where it
    /// went on. E[n] = q / (1 − q), q = σ(t): d/dt = e^t.
    @Test func aLoopConditionFlipsToGoOnOrToStop() {
        let program = """
            set(seed = 3, particles = 20000)
            param t = 0.5
            n = 0
            while bernoulli(sigmoid(t)) @triple { n = n + 1 }
            grad(E[n])
            """
        guard let (entry, gradient, _) = Self.gradient(program) else { return }
        #expect(abs(entry.value - exp(0.5)) < 5 * entry.stderr, "\(entry.value) ± \(entry.stderr)")
        #expect(gradient.estimators.allSatisfy { $0.estimator == "triple" }, "\(gradient.estimators.map(\.estimator))")
        // The score function's spread is several times larger.
        guard let score = Self.gradient(program.replacingOccurrences(of: "@triple", with: "@score")) else { return }
        #expect(abs(score.entry.value - exp(0.5)) < 5 * score.entry.stderr)
        #expect(score.entry.stderr > 3 * entry.stderr, "score \(score.entry.stderr) vs triples \(entry.stderr)")
    }

    /// The issue's `while` walk: about half the walkers reach the level
    /// before the last step, so an alternative path often runs iterations
    /// its particle does not, or stops before it. Requested, the triples
    /// are exact within 5 se; unrequested, the pilot weighs them against
    /// the score function, is exact too, and explain says what it found.
    @Test func theWhileWalkIsExactAndThePilotDecides() {
        let (level, steps, particles) = (68, 100, 40_000)
        // The law of the walkers still going, carried step by step with
        // its derivative; a walker at the level stops there.
        let exact = StochasticTripleTests.exactWalkDerivative(steps: steps, p: Double(2 * steps), level: level)
        #expect(abs(exact - 8.6499) < 1e-4)
        for annotation in ["@triple", "@score", ""] {
            guard let (entry, gradient, text) = Self.gradient(Self.walk(level: level, steps: steps, particles: particles,
                                                                       annotation: annotation)) else { return }
            #expect(abs(entry.value - exact) < 5 * entry.stderr, "\(annotation): \(entry.value) ± \(entry.stderr) vs \(exact)")
            #expect(entry.bias == nil && gradient.warnings.isEmpty)
            if annotation == "@triple" {
                #expect(gradient.estimators.allSatisfy { $0.estimator == "triple" })
            }
            if annotation.isEmpty {
                #expect(text.contains("stochastic triples on a pilot of"), "\(text)")
            }
        }
    }

    /// A flip before the loop: a Poisson count of uniforms summed. The
    /// alternative count runs one iteration more or one fewer. E[T²] =
    /// λ/12 + (λ + λ²)/4, so d/dλ = 1/12 + (1 + 2λ)/4.
    @Test func aCountBeforeTheLoopFlipsItsLength() {
        let lambda = 2.5
        let exact = 1.0 / 12 + (1 + 2 * lambda) / 4
        for annotation in ["@triple", ""] {
            guard let (entry, gradient, _) = Self.gradient("""
                set(seed = 6, particles = 40000)
                param lam = \(lambda)
                m = poisson(lam) \(annotation)
                total = 0
                i = 0
                while i < m {
                  total = total + uniform(0, 1)
                  i = i + 1
                }
                grad(E[total^2])
                """) else { return }
            #expect(abs(entry.value - exact) < 5 * entry.stderr, "\(annotation): \(entry.value) ± \(entry.stderr) vs \(exact)")
            #expect(gradient.estimators.first?.estimator == "triple", "\(gradient.estimators.map(\.estimator))")
        }
    }

    /// Categorical steps inside the loop, up to a level: E[c], the steps
    /// taken, by its recursion E_s = (1 + p₁E_{s+1} + p₂E_{s+2}) / (1 − p₀),
    /// differentiated by central differences.
    @Test func categoricalStepsInsideTheLoop() {
        func expectedSteps(_ a: Double) -> Double {
            let total = a + 2
            let (p0, p1, p2) = (a / total, 1 / total, 1 / total)
            var e = [Double](repeating: 0, count: 8)
            for s in stride(from: 4, through: 0, by: -1) {
                e[s] = (1 + p1 * e[s + 1] + p2 * e[s + 2]) / (1 - p0)
            }
            return e[0]
        }
        let (a, h) = (1.5, 1e-5)
        let exact = (expectedSteps(a + h) - expectedSteps(a - h)) / (2 * h)
        guard let (entry, gradient, _) = Self.gradient("""
            set(seed = 7, particles = 40000)
            param a = \(a)
            s = 0
            c = 0
            while s < 5 {
              s = s + categorical([a / (a + 2), 1 / (a + 2), 1 / (a + 2)]) @triple
              c = c + 1
            }
            grad(E[c])
            """) else { return }
        #expect(abs(entry.value - exact) < 5 * entry.stderr, "\(entry.value) ± \(entry.stderr) vs \(exact)")
        #expect(gradient.estimators.allSatisfy { $0.estimator == "triple" })
    }

    /// Beside a draw that takes the score function: its term is
    /// (f − b)·∂log p with b a constant, E[f] on the pilot's own streams
    /// (independent of the estimate's, so unbiased). Exact: for x ~ N(μ, 1)
    /// at the jump x > 0 and b ~ Bernoulli(σ(μ)), E[(x > 0) + b·x] =
    /// Φ(μ) + σ(μ)μ, so d/dμ = φ(μ) + σ(μ)(1 − σ(μ))μ + σ(μ).
    @Test func besideTheScoreFunction() {
        let mu = 0.2
        let s = 1 / (1 + exp(-mu))
        let exact = exp(-mu * mu / 2) / (2 * Double.pi).squareRoot() + s * (1 - s) * mu + s
        guard let (entry, gradient, _) = Self.gradient("""
            set(seed = 4, particles = 100000)
            param mu = \(mu)
            x = normal(mu, 1) @score
            b = bernoulli(sigmoid(mu)) @triple
            f = (x > 0) + b * x
            grad(E[f])
            """) else { return }
        #expect(abs(entry.value - exact) < 5 * entry.stderr, "\(entry.value) ± \(entry.stderr) vs \(exact)")
        #expect(gradient.estimators.map(\.estimator) == ["score", "triple"])
    }

    /// The same inside a loop of random length: N iterations, P(N = n) =
    /// 0.75ⁿ·0.25 (E[N] = 3, E[N²] = 21), each adding a normal(μ, 1) to s
    /// by the score function and a Bernoulli(q) to c by triples.
    /// E[s + c²] = 3μ + 3q(1 − q) + 21q²: d/dμ = 3, d/dq = 3(1 − 2q) + 42q.
    @Test func besideTheScoreFunctionInsideALoop() {
        let q = 0.4
        let exact = [3, 3 * (1 - 2 * q) + 42 * q]
        guard let gradient = StochasticTripleTests.gradients("""
            set(seed = 4, particles = 100000)
            param mu = 0.3
            param q = \(q)
            s = 0
            c = 0
            while bernoulli(0.75) == 1 {
              s = s + normal(mu, 1) @score
              c = c + bernoulli(q) @triple
            }
            grad(E[s + c^2])
            """).first else { Issue.record("no gradient"); return }
        #expect(gradient.entries.count == 2)
        for (entry, truth) in zip(gradient.entries, exact) {
            #expect(abs(entry.value - truth) < 5 * entry.stderr, "\(entry.name): \(entry.value) ± \(entry.stderr) vs \(truth)")
        }
        #expect(gradient.estimators.contains { $0.estimator == "triple" })
    }

    /// The same bits on one thread and two, through the replay.
    @Test func theSameBitsOnOneThreadAndTwo() {
        func bits(_ threads: Int) -> [UInt64] {
            StochasticTripleTests.gradients(Self.walk(level: 12, steps: 30, particles: 5000, annotation: "@triple", threads: threads))
                .flatMap { $0.entries.flatMap { [$0.value.bitPattern, $0.stderr.bitPattern] } }
        }
        let one = bits(1)
        #expect(one.count == 2 && one == bits(2))
    }
}
