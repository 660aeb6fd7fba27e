import Foundation
import Testing
import WiggleLang

/// Measure-valued derivatives: each against its exact value (closed forms
/// derived here), within 5 standard errors at a fixed seed, and against the
/// score function for variance at equal particles.
@Suite struct MeasureValuedTests {
    func estimators(_ g: GradientResult) -> [String: String] {
        Dictionary(g.estimators.map { ($0.node, $0.estimator) }, uniquingKeysWith: { a, _ in a })
    }

    /// A cash-or-nothing call, Black–Scholes: price e^{-rT} Φ(d2),
    /// delta e^{-rT} φ(d2) / (S0 σ √T), vega −e^{-rT} φ(d2) d1 / σ.
    /// S0 and vol both move the log-price's mean, vol also its sigma: the
    /// Weibull pair and the Maxwell pair. At equal particles and seed the
    /// delta's standard error is at least 5× below the score function's.
    @Test func digitalDeltaAndVega() {
        let program = """
            set(seed = 31, particles = 200000)
            param S0 = 100
            param vol = 0.2
            K = 100; r = 0.05; T = 1
            logS = normal(log(S0) + (r - vol^2 / 2) * T, vol * sqrt(T))ANNOTATION
            grad(E[exp(-r * T) * (logS > log(K))])
            """
        let g = gradients(program.replacingOccurrences(of: "ANNOTATION", with: ""))[0]
        let scored = gradients(program.replacingOccurrences(of: "ANNOTATION", with: " @score"))[0]
        let d1 = (0.05 + 0.02) / 0.2, d2 = d1 - 0.2
        let delta = exp(-0.05) * phi(d2) / (100 * 0.2), vega = -exp(-0.05) * phi(d2) * d1 / 0.2
        #expect(estimators(g) == ["logS": "mvd"])
        #expect(g.estimators[0].reason.hasPrefix("reaches `>` at line 6; measure-valued: Weibull pair for mu, Maxwell pair for sigma, runs 2 nodes downstream 4 more times, with common random numbers; "))
        #expect(g.estimators[0].reason.hasSuffix("× lower gradient variance than the score function on a pilot of 256"))
        #expect(agrees(g["S0"], delta, 5))
        #expect(agrees(g["vol"], vega, 5))
        #expect(agrees(scored["S0"], delta, 5))
        #expect(agrees(scored["vol"], vega, 5))
        #expect(g["S0"].stderr * 5 <= scored["S0"].stderr)
        #expect(g["vol"].stderr * 2 <= scored["vol"].stderr)
    }

    /// examples/digital_option.wgl's delta: within 5 standard errors of
    /// 0.018762, with a standard error at most 5e-6 at 200,000 particles.
    @Test func digitalOptionExampleDelta() {
        let g = gradients("""
            set(seed = 42, particles = 200000)
            param S0 = 100
            K = 100; r = 0.05; vol = 0.2; T = 1
            logS = normal(log(S0) + (r - vol^2 / 2) * T, vol * sqrt(T))
            grad(E[exp(-r * T) * (logS > log(K))])
            """)[0]
        let exact = exp(-0.05) * phi(0.15) / (100 * 0.2)
        #expect(abs(exact - 0.018762) < 5e-7)
        #expect(agrees(g["S0"], exact, 5))
        #expect(g["S0"].stderr <= 5e-6)
    }

    /// P(x > c), x ~ N(mu, sigma): d/dmu = φ(z)/sigma and d/dsigma = z φ(z)/sigma
    /// with z = (c − mu)/sigma, automatic and by @mvd.
    @Test func tailProbabilityInMeanAndScale() {
        for annotation in ["", " @mvd"] {
            let g = gradients("""
                set(seed = 32, particles = 200000)
                param mu = 0.3
                param sigma = 1.5
                x = normal(mu, sigma)\(annotation)
                grad(E[x > 1])
                """)[0]
            let z = (1 - 0.3) / 1.5
            #expect(estimators(g) == ["x": "mvd"])
            #expect(agrees(g["mu"], phi(z) / 1.5, 5))
            #expect(agrees(g["sigma"], z * phi(z) / 1.5, 5))
            #expect(agrees(g.objective, 1 - Phi(z), 5))
        }
    }

    /// A step at the mean: f(mu + σW) − f(mu − σW) = 1 for every W, and the
    /// Maxwell pair's two values have the same sign. Both derivatives come
    /// out exact, with no variance: d/dmu = φ(0)/sigma, d/dsigma = 0.
    @Test func aStepAtTheMeanHasNoVariance() {
        let g = gradients("""
            set(seed = 33, particles = 100000)
            param mu = 0.25
            param sigma = 2
            x = normal(mu, sigma)
            grad(E[x > 0.25])
            """)[0]
        #expect(estimators(g) == ["x": "mvd"])
        #expect(abs(g["mu"].value - phi(0) / 2) < 1e-12)
        #expect(g["mu"].stderr == 0)
        #expect(g["sigma"].value == 0 && g["sigma"].stderr == 0)
    }

    /// uniform(a, b) reaching a step at c: P(X > c) = (b − c)/(b − a), so
    /// d/da = (b − c)/(b − a)² and d/db = (c − a)/(b − a)²; a step between
    /// two uniforms' draws as well. No warning: the estimator is unbiased.
    @Test func uniformBoundsReachingAStep() {
        let g = gradients("""
            set(seed = 34, particles = 200000)
            param a = -1
            param b = 3
            u = uniform(a, b)
            grad(E[2 * (u > 0.5) + u])
            """)[0]
        #expect(estimators(g) == ["u": "mvd"])
        #expect(g.warnings.isEmpty)
        // E[u] = (a + b)/2 moves by 1/2 for each bound.
        #expect(agrees(g["a"], 2 * 2.5 / 16 + 0.5, 5))
        #expect(agrees(g["b"], 2 * 1.5 / 16 + 0.5, 5))
    }

    /// exponential(rate) reaching a threshold: P(X > c) = e^{−rate·c} moves by
    /// −c e^{−rate·c}; poisson(rate) reaching one: P(X ≥ k) moves by the pmf
    /// at k − 1. Automatic (the pilot's choice) and forced with @mvd.
    @Test func exponentialAndPoissonRatesReachingAThreshold() {
        for annotation in ["", " @mvd"] {
            let g = gradients("""
                set(seed = 35, particles = 200000)
                param rate = 1.5
                param lam = 3
                x = exponential(rate)\(annotation)
                k = poisson(lam)\(annotation)
                grad(E[(x > 0.8) + (k >= 4)])
                """)[0]
            // Automatic: the pilot measures each against the score function
            // (both are unbiased); forced, the measure-valued derivative.
            if annotation == "" {
                #expect(estimators(g).values.allSatisfy { ["score", "mvd"].contains($0) })
            } else {
                #expect(estimators(g) == ["x": "mvd", "k": "mvd"])
            }
            #expect(agrees(g["rate"], -0.8 * exp(-1.5 * 0.8), 5))
            #expect(agrees(g["lam"], exp(-3) * 27 / 6, 5))
        }
    }

    /// The worlds come from each chunk's own streams: the same numbers for
    /// any thread count.
    @Test func identicalAcrossThreads() {
        func run(_ threads: Int) -> [Double] {
            let g = gradients("""
                set(seed = 36, particles = 50000, threads = \(threads))
                param mu = 0.1
                param rate = 2
                x = normal(mu, 1) @mvd
                y = exponential(rate) @mvd
                k = poisson(rate) @mvd
                grad(E[(x > 0.3) * (y < 0.7) + (k == 2)])
                """)[0]
            return g.entries.flatMap { [$0.value, $0.stderr] }
        }
        let one = run(1)
        #expect(one.count == 4)
        #expect(run(2) == one)
        #expect(run(4) == one)
    }

    /// @mvd on a bernoulli is its exact 2-point derivative; @mvd where the
    /// downstream graph runs a loop of random length is refused in words,
    /// and the score function stands in.
    @Test func annotations() {
        let g = gradients("""
            param p = 0.3
            b = bernoulli(p) @mvd
            grad(E[b * 3])
            n = 0
            while normal(p, 1) @mvd < 0.5 { n = n + 1 }
            grad(E[n])
            """)
        #expect(estimators(g[0]) == ["b": "exact"])
        #expect(abs(g[0]["p"].value - 3) < 1e-12)
        #expect(g[1].estimators.allSatisfy { $0.estimator == "score" })
        #expect(Set(g[1].estimators.map(\.reason)) == ["@mvd is not possible: what lies downstream of it runs the loop of random length at line 5",
                                                    "@mvd is not possible: it is inside the loop of random length at line 5"])
        // E[n] = q/(1 − q) with q = Φ(0.5 − p): d/dp = −φ(0.5 − p)/(1 − q)².
        let q = Phi(0.5 - 0.3)
        #expect(agrees(g[1]["p"], -phi(0.2) / ((1 - q) * (1 - q)), 5))
    }

    /// explain names the estimator, the pairs it compares and the pilot's ratio.
    @Test func explainGivesThePilotsRatio() {
        let text = run("""
            param mu = 0
            x = normal(mu, 1)
            explain(x > 0.5)
            """).text
        #expect(text.contains("let x = normal[mvd] mu 1"))
        #expect(text.contains("x  normal  mvd  (measure-valued derivative: reaches `>` at line 3; measure-valued: Weibull pair for mu, runs 1 node downstream twice more, with common random numbers; "))
        #expect(text.contains("× lower gradient variance than the score function on a pilot of "))
    }
}
