import Foundation
import Testing
import WiggleLang

/// A node that reaches some terms of the objective smoothly and others
/// through a jump is pathwise for the first and the score function (or the
/// measure-valued derivative, when the pilot finds it better) for the
/// second: unbiased term by term, with less noise than one estimator for
/// everything. Each against its exact value.
@Suite struct TermSplitTests {
    func estimators(_ g: GradientResult) -> [String: String] {
        Dictionary(g.estimators.map { ($0.node, $0.estimator) }, uniquingKeysWith: { a, _ in a })
    }

    /// E[(x - 3)² + 1{x > 0}] with x ~ N(mu, 1): d/dmu = 2(mu - 3) + φ(mu).
    /// The split has at most 0.6× the standard error of the score function
    /// for both terms (@score), at the same particles and seed.
    @Test func smoothAndJumpTerms() {
        let program = """
            set(seed = 11, particles = 100000)
            param mu = 0.5
            x = normal(mu, 1)
            grad(E[(x - 3)^2 + (x > 0)])
            y = normal(mu, 1) @score
            grad(E[(y - 3)^2 + (y > 0)])
            """
        let g = gradients(program)
        let exact = 2 * (0.5 - 3) + phi(0.5)
        #expect(estimators(g[0]) == ["x": "pathwise+score"])
        // The score function beat the measure-valued pair for the step (a
        // close call: the pilot may take a second, larger stage to see it).
        #expect(g[0].estimators[0].reason.contains("than the measure-valued derivative on a pilot of "))
        #expect(g[0].estimators[0].reason.contains("; pathwise for the term it reaches smoothly; score for the term it reaches through `>` at line 4; "))
        #expect(g[0].estimators[0].reason.hasSuffix("× lower gradient variance than the score function for every term on a pilot of 256"))
        #expect(estimators(g[1]) == ["y": "score"])
        #expect(agrees(g[0]["mu"], exact, 5))
        #expect(agrees(g[1]["mu"], exact, 5))
        #expect(g[0]["mu"].stderr <= 0.6 * g[1]["mu"].stderr)
    }

    /// Terms with a multiplier that carries a parameter, and a subtracted
    /// jump: f = th·x − 2·1{x > 1} + th², so
    /// d/dmu E[f] = th − 2φ(mu − 1) and d/dth E[f] = mu + 2 th.
    @Test func multipliersAndSignsSurviveTheSplit() {
        let g = gradients("""
            set(seed = 12, particles = 200000)
            param mu = 0.3
            param th = 1.5
            x = normal(mu, 1)
            grad(E[th * x - 2 * (x > 1) + th^2])
            """)[0]
        // Pathwise for th·x, the measure-valued derivative for the step.
        #expect(estimators(g) == ["x": "pathwise+mvd"])
        #expect(g.estimators[0].reason.hasPrefix("pathwise for the term it reaches smoothly; for the term it reaches through `>` at line 5, measure-valued: Weibull pair for mu, runs 5 nodes downstream twice more"))
        #expect(agrees(g["mu"], 1.5 - 2 * phi(0.3 - 1), 5))
        #expect(agrees(g["th"], 0.3 + 3, 5))
    }

    /// x reaches (x > 1) through a jump, and y² only through y's mean (a
    /// path that ends at a random node's parameter): pathwise for y², score
    /// for the step. f = y² + 1{x > 1}, y ~ N(x, 1): d/dmu = 2mu + φ(mu − 1).
    @Test func splitThroughARandomNodesParameter() {
        let g = gradients("""
            set(seed = 13, particles = 200000)
            param mu = 0.4
            x = normal(mu, 1)
            y = normal(x, 1)
            grad(E[y^2 + (x > 1)])
            """)[0]
        // x splits: pathwise for y², and for the step the score function or
        // the measure-valued pair, whichever the pilot measures better. y is
        // smooth: pathwise, or the measure-valued pair likewise.
        #expect(["pathwise+score", "pathwise+mvd"].contains(estimators(g)["x"]))
        #expect(["pathwise", "mvd"].contains(estimators(g)["y"]))
        #expect(agrees(g["mu"], 0.8 + phi(0.4 - 1), 5))
    }

    /// Two nodes that could split, whose terms fall into four groups:
    /// f = x1² + x2² + 1{x1 > 0} + 1{x2 > 0.5} + 1{x1 + x2 > 1}.
    /// d/da = 2a + φ(a) + φ((a + b − 1)/√2)/√2, and alike for b.
    @Test func severalSplitNodes() {
        let g = gradients("""
            set(seed = 14, particles = 200000)
            param a = 0.2
            param b = -0.3
            x1 = normal(a, 1)
            x2 = normal(b, 1)
            grad(E[x1^2 + x2^2 + (x1 > 0) + (x2 > 0.5) + (x1 + x2 > 1)])
            """)[0]
        // The pilot keeps one estimator for every term of each (the sweeps
        // themselves: SweepTests in WiggleGraphTests).
        #expect(estimators(g) == ["x1": "score", "x2": "mvd"])
        let joint = phi((0.2 - 0.3 - 1) / 2.0.squareRoot()) / 2.0.squareRoot()
        #expect(agrees(g["a"], 0.4 + phi(0.2) + joint, 5))
        #expect(agrees(g["b"], -0.6 + phi(-0.3 - 0.5) + joint, 5))
    }

    /// A bernoulli enumerated beside a split normal: each sweep enumerates it
    /// over its own terms. f = (x − b)² + 1{x > 0}·b, b ~ Bernoulli(σ(w)):
    /// E f = p(1 + (mu − 1)²) + (1 − p)(1 + mu²) + p Φ(mu).
    @Test func enumerationInsideTheSweeps() {
        let g = gradients("""
            set(seed = 15, particles = 200000)
            param mu = 0.3
            param w = 0.4
            b = bernoulli(sigmoid(w))
            x = normal(mu, 1)
            grad(E[(x - b)^2 + (x > 0) * b])
            """)[0]
        let p = 1 / (1 + exp(-0.4))
        #expect(estimators(g) == ["x": "pathwise+score", "b": "exact"])
        #expect(agrees(g["mu"], 2 * p * (0.3 - 1) + 2 * (1 - p) * 0.3 + p * phi(0.3), 5))
        #expect(agrees(g["w"], p * (1 - p) * (1 - 0.6 + Phi(0.3)), 5))
    }

    /// Every term through a jump, or one term only: nothing to split.
    @Test func noSplitWithoutASmoothTerm() {
        let g = gradients("""
            set(seed = 16, particles = 1000)
            param mu = 0.3
            x = normal(mu, 1)
            grad(E[(x > 0) + (x > 1)])
            if x > 0 { r = x^2 } else { r = 0 }
            grad(E[r])
            grad(E[x^2 + (x > 0) * x])
            """)
        #expect(g.map(estimators) == [["x": "mvd"], ["x": "mvd"], ["x": "mvd"]])
        // The third could split, but the measure-valued derivative for both
        // terms has the lower variance.
        #expect(g[2].estimators[0].reason.hasPrefix("not split by term: "))
    }

    /// The split sweeps give the same numbers for any thread count.
    @Test func identicalAcrossThreads() {
        func run(_ threads: Int) -> (Double, Double) {
            let g = gradients("""
                set(seed = 17, particles = 50000, threads = \(threads))
                param mu = 0.5
                x = normal(mu, 1)
                grad(E[(x - 3)^2 + (x > 0)])
                """)[0]
            return g["mu"]
        }
        let one = run(1), two = run(2)
        #expect(one.0 == two.0 && one.1 == two.1)
    }
}

extension TermSplitTests {
    /// explain shows the split in the listing and in the estimator list.
    @Test func explainShowsTheSplit() {
        let outcome = run("""
            param mu = 0.5
            x = normal(mu, 1)
            explain((x - 3)^2 + (x > 0))
            """)
        #expect(outcome.text.contains("let x = normal[pathwise+score] mu 1"))
        #expect(outcome.text.contains("x  normal  pathwise+score  (pathwise and score function, by term: "))
        #expect(outcome.text.contains("lower gradient variance than the measure-valued derivative on a pilot of "))
        #expect(outcome.text.contains("; pathwise for the term it reaches smoothly; score for the term it reaches through `>` at line 3; "))
        #expect(outcome.text.contains("× lower gradient variance than the score function for every term on a pilot of 256)"))
    }
}
