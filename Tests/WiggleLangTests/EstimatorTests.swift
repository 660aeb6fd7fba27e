import Foundation
import Testing
import WiggleLang

/// Issue 4: the estimator per node. Each gradient is checked against an exact
/// value derived here (closed form, enumeration over Bernoulli outcomes, or
/// quadrature), within 4 standard errors at a fixed seed.
@Suite struct EstimatorTests {
    func estimators(_ g: GradientResult) -> [String: String] {
        Dictionary(g.estimators.map { ($0.node, $0.estimator) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func stepFunctionOfANormal() {
        // E[1{x > 0}] = Φ(mu); d/dmu = φ(mu).
        let g = gradients("""
            set(seed = 1, particles = 100000)
            param mu = 0.3
            x = normal(mu, 1)
            if x > 0 { y = 1 } else { y = 0 }
            grad(E[y])
            """)[0]
        #expect(estimators(g) == ["x": "mvd"])
        #expect(g.estimators[0].reason.hasPrefix("reaches `>` at line 4; measure-valued: Weibull pair for mu, runs 2 nodes downstream twice more"))
        #expect(agrees(g["mu"], phi(0.3)))
        #expect(agrees(g.objective, Phi(0.3)))
        #expect(g.warnings.isEmpty)
    }

    @Test func digitalOptionDelta() {
        // Cash-or-nothing call with the log-price a normal: delta = e^{-rT} φ(d2) / (S0 σ √T).
        let g = gradients("""
            set(seed = 2, particles = 200000)
            param S0 = 100
            K = 95; r = 0.02; vol = 0.3; T = 0.75
            logS = normal(log(S0) + (r - vol^2 / 2) * T, vol * sqrt(T))
            grad(E[exp(-r * T) * (logS > log(K))])
            """)[0]
        let d2 = (log(100.0 / 95) + (0.02 - 0.045) * 0.75) / (0.3 * 0.75.squareRoot())
        #expect(estimators(g) == ["logS": "mvd"])
        #expect(agrees(g["S0"], exp(-0.02 * 0.75) * phi(d2) / (100 * 0.3 * 0.75.squareRoot())))
        #expect(agrees(g.objective, exp(-0.02 * 0.75) * Phi(d2)))
    }

    @Test func chainedBernoullisByEnumeration() {
        // b2's probability is chosen by b1. f = 3 b2 + b1.
        // E[f] = 3 (p1 q + (1 - p1) 0.2) + p1, p1 = σ(θ1), q = σ(θ2).
        let program = """
            set(seed = 3, particles = 100000)
            param t1 = 0.5
            param t2 = -0.3
            b1 = bernoulli(sigmoid(t1))ANNOTATION
            if b1 == 1 { p2 = sigmoid(t2) } else { p2 = 0.2 }
            b2 = bernoulli(p2)ANNOTATION
            grad(E[3 * b2 + b1])
            """
        let p1 = 1 / (1 + exp(-0.5)), q = 1 / (1 + exp(0.3))
        let dT1 = p1 * (1 - p1) * (3 * q - 0.6 + 1)
        let dT2 = 3 * p1 * q * (1 - q)
        for (annotation, expected) in [("", "exact"), (" @score", "score"), (" @exact", "exact")] {
            let g = gradients(program.replacingOccurrences(of: "ANNOTATION", with: annotation))[0]
            #expect(estimators(g) == ["b1": expected, "b2": expected], "\(annotation)")
            #expect(agrees(g["t1"], dT1), "\(annotation)")
            #expect(agrees(g["t2"], dT2), "\(annotation)")
            #expect(agrees(g.objective, 3 * (p1 * q + (1 - p1) * 0.2) + p1), "\(annotation)")
        }
    }

    @Test func bernoulliPlusNoisyNormalCost() {
        // The noise term is not downstream of b, so Rao-Blackwellisation keeps
        // it out of b's score term: d/dθ E[b + n] = σ'(θ).
        let g = gradients("""
            set(seed = 4, particles = 100000)
            param theta = 0.2
            b = bernoulli(sigmoid(theta)) @score
            n = normal(0, 5)
            grad(E[b + n])
            """)[0]
        let p = 1 / (1 + exp(-0.2))
        #expect(agrees(g["theta"], p * (1 - p)))
        // Var of the Rao-Blackwellised term is about p(1-p)·Var(b - baseline) ~ 0.06, not 25.
        #expect(g["theta"].stderr < 0.002)
    }

    @Test func absMinMaxStayUnbiasedWithoutTheScoreFunction() {
        // X ~ N(mu, σ): d/dmu E|X| = 2Φ(mu/σ) - 1, d/dmu E[max(X, 0)] = Φ(mu/σ),
        // d/dmu E[min(X, 1)] = Φ((1 - mu)/σ). They are continuous: no jump,
        // so pathwise, or the measure-valued pair where the pilot measures
        // it better (for |X| it is: the pair's difference is nearly constant).
        let g = gradients("""
            set(seed = 5, particles = 100000)
            param mu = 0.4
            x = normal(mu, 1.5)
            grad(E[abs(x)])
            grad(E[max(x, 0)])
            grad(E[min(x, 1)])
            """)
        #expect(g.allSatisfy { ["pathwise", "mvd"].contains(estimators($0)["x"]) })
        #expect(g.allSatisfy { $0.estimators[0].reason.contains("every use is smooth") })
        #expect(agrees(g[0]["mu"], 2 * Phi(0.4 / 1.5) - 1))
        #expect(agrees(g[1]["mu"], Phi(0.4 / 1.5)))
        #expect(agrees(g[2]["mu"], Phi(0.6 / 1.5)))
    }

    @Test func floorAndRoundUseTheScoreFunction() {
        // d/dmu E[floor(X)] = Σ_k φ(k - mu): floor jumps by 1 at every integer.
        let g = gradients("""
            set(seed = 6, particles = 200000)
            param mu = 0.3
            x = normal(mu, 1)
            grad(E[floor(x)])
            grad(E[round(x)])
            """)
        #expect(g.allSatisfy { estimators($0) == ["x": "mvd"] })
        #expect(g[0].estimators[0].reason.hasPrefix("reaches `floor` at line 4; measure-valued"))
        let floorSlope = (-12...12).reduce(0.0) { $0 + phi(Double($1) - 0.3) }
        let roundSlope = (-12...12).reduce(0.0) { $0 + phi(Double($1) + 0.5 - 0.3) }
        #expect(agrees(g[0]["mu"], floorSlope))
        #expect(agrees(g[1]["mu"], roundSlope))
    }

    @Test func ifWithDifferentBranchValues() {
        // d/dmu of E[X² 1{X > 0.5} - 1{X <= 0.5}], by quadrature.
        let g = gradients("""
            set(seed = 7, particles = 200000)
            param mu = -0.2
            x = normal(mu, 1)
            if x > 0.5 { y = x^2 } else { y = -1 }
            grad(E[y])
            """)[0]
        // The integrand jumps, so integrate the density's derivative instead:
        // d/dmu E[g(X)] = E[g(X) (X - mu)].
        let slope = gaussianExpectation(mean: -0.2, sd: 1) { x in (x > 0.5 ? x * x : -1) * (x + 0.2) }
        #expect(estimators(g) == ["x": "mvd"])
        #expect(agrees(g["mu"], slope))
    }

    @Test func aNormalFeedingANormalThatJumps() {
        // y ~ N(x, 1), x ~ N(mu, 1): y reaches '>' and uses the score function;
        // x only enters y's mean, so it stays pathwise. d/dmu P(y > 0) = φ(mu/√2)/√2.
        let g = gradients("""
            set(seed = 8, particles = 200000)
            param mu = 0.1
            x = normal(mu, 1)
            y = normal(x, 1)
            grad(E[y > 0])
            """)[0]
        #expect(estimators(g) == ["x": "pathwise", "y": "mvd"])
        #expect(agrees(g["mu"], phi(0.1 / 2.0.squareRoot()) / 2.0.squareRoot()))
    }

    @Test func raoBlackwellisationAcrossManyScoreNodes() {
        // f = Σ_i 1{x_i > 0}; each x_i has its own mean: d/dmu_i = φ(mu_i).
        let g = gradients("""
            set(seed = 9, particles = 100000)
            param m[4] = [0.5, -0.5, 1, 0]
            xs = [normal(m[i], 1) for i in 0..4]
            grad(E[sum([x > 0 for x in xs])])
            """)[0]
        for (i, mean) in [0.5, -0.5, 1, 0].enumerated() {
            #expect(agrees(g["m[\(i)]"], phi(mean)), "m[\(i)]")
            // Only its own term: the error stays near that of a single step function.
            #expect(g["m[\(i)]"].stderr < 0.004, "m[\(i)]")
        }
    }

    @Test func exactDerivativeCombinesWithPathwise() {
        // f = b θ + θ²: d/dθ E[f] = σ'(θ) θ + σ(θ) + 2θ.
        let g = gradients("""
            set(seed = 10)
            param theta = 0.7
            b = bernoulli(sigmoid(theta)) @exact
            grad(E[b * theta + theta^2])
            """)[0]
        let p = 1 / (1 + exp(-0.7))
        #expect(estimators(g) == ["b": "exact"])
        #expect(agrees(g["theta"], p * (1 - p) * 0.7 + p + 1.4))
    }

    @Test func twoBernoullisSquared() {
        // f = (b1 + b2)^2 = b1 + b2 + 2 b1 b2: E = p + q + 2pq.
        let g = gradients("""
            set(seed = 11)
            param a = 0.3
            param c = -0.8
            b1 = bernoulli(sigmoid(a))
            b2 = bernoulli(sigmoid(c))
            grad(E[(b1 + b2)^2])
            """)[0]
        let p = 1 / (1 + exp(-0.3)), q = 1 / (1 + exp(0.8))
        #expect(agrees(g["a"], p * (1 - p) * (1 + 2 * q)))
        #expect(agrees(g["c"], q * (1 - q) * (1 + 2 * p)))
    }

    @Test func scoreThroughTheStandardDeviation() {
        // P(X > 1) = 1 - Φ(1/σ), σ = e^ls: d/dls = φ(1/σ)/σ.
        let g = gradients("""
            set(seed = 12, particles = 200000)
            param ls = -0.1
            x = normal(0, exp(ls))
            grad(E[x > 1])
            """)[0]
        let sigma = exp(-0.1)
        #expect(agrees(g["ls"], phi(1 / sigma) / sigma))
    }

    @Test func comparisonInArithmetic() {
        // 3·(x > c) + x: d/dmu = 3φ(mu - c) + 1.
        let g = gradients("""
            set(seed = 13, particles = 200000)
            param mu = 0.25
            x = normal(mu, 1)
            grad(E[3 * (x > 0.75) + x])
            """)[0]
        #expect(agrees(g["mu"], 3 * phi(0.25 - 0.75) + 1))
    }

    @Test func elseIfClamp() {
        // A clamp written with comparisons: d/dmu E = P(-1 < X < 1).
        let g = gradients("""
            set(seed = 14, particles = 200000)
            param mu = 0.4
            x = normal(mu, 1)
            if x < -1 { y = -1 } else if x < 1 { y = x } else { y = 1 }
            grad(E[y])
            """)[0]
        #expect(estimators(g) == ["x": "mvd"])
        #expect(agrees(g["mu"], Phi(1 - 0.4) - Phi(-1 - 0.4)))
    }

    @Test func annotatedScoreOnASmoothNormal() {
        // @score where pathwise would do: still unbiased, just noisier.
        let g = gradients("""
            set(seed = 15, particles = 200000)
            param mu = 0.6
            x = normal(mu, 1) @score
            y = normal(mu, 1)
            grad(E[x^2 + y^2])
            """)[0]
        #expect(estimators(g)["x"] == "score")
        #expect(["pathwise", "mvd"].contains(estimators(g)["y"]))   // smooth: measured
        #expect(g.estimators[0].reason == "requested by @score")
        #expect(agrees(g["mu"], 4 * 0.6))
    }

    @Test func biasedOverrideIsHonouredWithAWarning() {
        let g = gradients("""
            set(seed = 16)
            param mu = 0
            x = normal(mu, 1) @pathwise
            grad(E[x > 0])
            """)[0]
        #expect(estimators(g) == ["x": "pathwise"])
        #expect(g["mu"].value == 0, "the pathwise derivative of a step is 0: biased, as warned")
        #expect(g.warnings.count == 1)
        #expect(g.warnings.first?.location.line == 3)
        #expect(g.warnings.first?.message.contains("reaches `>` at line 4") == true)
    }

    @Test func unfixableJumpWarns() {
        // S0 reaches '>' through deterministic ops only, and z has another
        // use, so S0 · exp(0.2 z) cannot be folded into it: no estimator can help.
        let g = gradients("""
            set(seed = 17)
            param S0 = 100
            z = normal(0, 1)
            ST = S0 * exp(0.2 * z)
            grad(E[ST > 105 + 0 * z])
            """)[0]
        #expect(g.warnings.count == 1)
        #expect(g.warnings.first?.location.line == 5)
        #expect(g.warnings.first?.message.contains("'S0' reaches `>` at line 5 through deterministic operations") == true)
        let uniform = gradients("""
            param mu = 0.5
            x = normal(0, 1)
            if mu > 0 { y = x + mu } else { y = x - mu }
            grad(E[y^2])
            """)[0]
        #expect(uniform.warnings.first?.message.contains("'mu' reaches the condition of an if at line 3") == true
                || uniform.warnings.first?.message.contains("'mu' reaches `>` at line 3") == true)
        let smooth = gradients("param mu = 1\nx = normal(mu, 1)\ngrad(E[x^2])")[0]
        #expect(smooth.warnings.isEmpty)
    }

    @Test func pathEndsAtARandomNodesParameter() {
        // z feeds bernoulli(sigmoid(z)) only: the bernoulli's estimator handles
        // the jump, so z stays pathwise and no warning is given.
        let g = gradients("param mu = 0\nz = normal(mu, 1)\nb = bernoulli(sigmoid(z))\ngrad(E[b])")[0]
        #expect(estimators(g) == ["z": "pathwise", "b": "exact"])
        #expect(g.warnings.isEmpty)
    }

    @Test func everyNodeGetsTheExpectedEstimator() {
        let g = gradients("""
            param mu = 0
            smooth = normal(mu, 1)
            kinked = normal(mu, 1)
            jumpy = normal(mu, 1)
            feeder = normal(mu, 1)
            coin = bernoulli(sigmoid(feeder))
            forced = bernoulli(0.5 + 0 * mu) @score
            loss = smooth^2 + abs(kinked) + max(kinked, 1) + (jumpy > 0) + coin + forced * mu
            grad(E[loss])
            """)[0]
        // The coin could take either estimator: its share of the gradient's
        // variance is too small to matter, and the pilot keeps the cheaper one.
        // Smooth normals (abs, max included) are pathwise or, measured, the
        // measure-valued pair; never the score function.
        let chosen = estimators(g)
        #expect(["pathwise", "mvd"].contains(chosen["smooth"]))
        #expect(["pathwise", "mvd"].contains(chosen["kinked"]))
        #expect(["score", "mvd"].contains(chosen["jumpy"]))
        #expect(chosen["feeder"] == "pathwise")
        #expect(["score", "exact"].contains(chosen["coin"]))
        #expect(chosen["forced"] == "score")
        #expect(g.estimators.first { $0.node == "smooth" }?.reason.contains("every use is smooth") == true)
    }

    @Test func explainGivesReasonsInWords() {
        let text = run("""
            param mu = 0
            x = normal(mu, 1)
            y = normal(mu, 1)
            z = normal(0, 1)
            b = bernoulli(sigmoid(mu))
            explain(x + (y > 1) + 5 * (b + z > 1))
            """).lines.joined(separator: "\n")
        #expect(text.contains("x  normal  pathwise  (pathwise: every use is smooth") || text.contains("x  normal  mvd  (measure-valued derivative: every use is smooth"))
        #expect(text.contains("y  normal  mvd  (measure-valued derivative: reaches `>` at line 6; measure-valued: Weibull pair for mu, runs 3 nodes downstream twice more, with common random numbers; "))
        #expect(text.contains("z  normal  score  (score function: reaches `>` at line 6)"))
        #expect(text.contains("b  bernoulli  exact  (exact 2-point derivative: "))
        #expect(text.contains("× lower gradient variance than the score function on a pilot of 256; runs 4 nodes downstream twice"))
        #expect(text.contains("y = normal[mvd] mu 1"))
    }

    @Test func tracedIndices() {
        // k ~ bernoulli(p): E[xs[k]] = 10 + 10 p, d/dθ = 10 σ'(θ), exactly.
        let g = gradients("""
            set(seed = 18, particles = 50000)
            param theta = 0.3
            k = bernoulli(sigmoid(theta))
            xs = [10, 20, 30]
            grad(E[xs[k]])
            """)[0]
        let p = 1 / (1 + exp(-0.3))
        #expect(estimators(g) == ["k": "exact"])
        #expect(abs(g["theta"].value - 10 * p * (1 - p)) < 1e-9)
        #expect(g["theta"].stderr == 0)
        #expect(agrees(g.objective, 10 + 10 * p))
        // A normal reaching an index uses the score function:
        // d/dmu E[xs[(x > 0)]] = φ(mu)·(xs[1] - xs[0]), with elements that carry gradients too.
        let h = gradients("""
            set(seed = 19, particles = 200000)
            param mu = 0.2
            param w = 3
            x = normal(mu, 1)
            ys = [1, w]
            grad(E[ys[x > 0]])
            """)[0]
        #expect(estimators(h) == ["x": "mvd"])
        #expect(h.estimators[0].reason.hasPrefix("reaches `>` at line 6; measure-valued: Weibull pair for mu"))
        #expect(agrees(h["mu"], phi(0.2) * (3 - 1)))
        #expect(agrees(h["w"], Phi(0.2)))
    }

    @Test func aTracedIfInsideAFunctionKeepsTheShadowedGlobal() {
        // The branch binds a local; on the other path the lookup finds the
        // global: per particle y = x + 1{x > 0}. E = 0.5, d/dmu = 1 + φ(0).
        let program = """
            set(seed = 20, particles = 100000)
            bonus = 0
            fn f(x) {
              if x > 0 { bonus = 1 }
              return x + bonus
            }
            param mu = 0
            x = normal(mu, 1)
            grad(E[f(x)])
            """
        let g = gradients(program)[0]
        #expect(agrees(g.objective, 0.5))
        #expect(agrees(g["mu"], 1 + phi(0)))
    }
}
