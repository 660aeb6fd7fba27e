import Foundation
import Testing
import WiggleGraph
import WiggleLang

/// hessian(E[...]) and hvp(E[...], v): every entry against an exact value
/// (closed forms, their derivatives by central differences of the closed
/// form, enumeration), within 5 standard errors at 200,000 particles.
@Suite struct HessianTests {
    /// The Hessians a program displayed, in order.
    static func hessians(_ text: String) -> [HessianResult] {
        displayedValues(text).compactMap { value in
            if case .hessian(let result) = value { return result }
            if case .string(let message) = value { Issue.record(Comment(rawValue: message)) }
            return nil
        }
    }

    /// The closed form's second derivatives by central differences (step
    /// 1e-4 of the scale: an error near 1e-8, far inside any standard error here).
    static func secondDerivatives(_ f: ([Double]) -> Double, at x: [Double]) -> [[Double]] {
        let n = x.count
        func moved(_ steps: [(Int, Double)]) -> Double {
            var y = x
            for (i, h) in steps { y[i] += h }
            return f(y)
        }
        return (0..<n).map { i in
            (0..<n).map { j in
                let (hi, hj) = (1e-4 * max(1, abs(x[i])), 1e-4 * max(1, abs(x[j])))
                return (moved([(i, hi), (j, hj)]) - moved([(i, hi), (j, -hj)]) - moved([(i, -hi), (j, hj)])
                    + moved([(i, -hi), (j, -hj)])) / (4 * hi * hj)
            }
        }
    }

    /// Every entry within 5 standard errors; [a][b] and [b][a] one estimate, bit for bit.
    static func check(_ h: HessianResult, _ exact: [[Double]], _ label: String) {
        #expect(h.names.count == exact.count, "\(label)")
        for r in exact.indices {
            for c in exact.indices where r < h.names.count && c < h.names.count {
                let entry = h.entry(r, c)
                #expect(entry.bias == nil, "\(label) [\(r)][\(c)] biased: \(entry.bias ?? "")")
                #expect(agrees((entry.value, entry.stderr), exact[r][c], 5), "\(label) [\(h.names[r])][\(h.names[c])]")
                #expect(entry.value.bitPattern == h.entry(c, r).value.bitPattern && entry.stderr == h.entry(c, r).stderr)
            }
        }
    }

    /// Mohamed et al. (2020)'s test functions under N(μ, σ²) at several k,
    /// μ, σ: all four entries in (μ, σ).
    @Test func mohamedTestFunctions() {
        let settings: [(k: Double, mu: Double, sigma: Double)] = [(2, 0.5, 1), (0.5, 1, 0.3), (3, -0.4, 0.7)]
        for (index, s) in settings.enumerated() {
            let program = """
                set(seed = \(11 + index), particles = 200000)
                param mu = \(s.mu)
                param sigma = \(s.sigma)
                x = normal(mu, sigma)
                hessian(E[(x - \(s.k))^2])
                hessian(E[cos(\(s.k) * x)])
                hessian(E[exp(-\(s.k) * x^2)])
                """
            let h = Self.hessians(program)
            guard h.count == 3 else { Issue.record("expected three Hessians"); return }
            Self.check(h[0], [[2, 0], [0, 2]], "(x - k)^2 \(s)")
            let k = s.k
            let cosine = Self.secondDerivatives({ p in cos(k * p[0]) * exp(-k * k * p[1] * p[1] / 2) }, at: [s.mu, s.sigma])
            Self.check(h[1], cosine, "cos(kx) \(s)")
            let bump = Self.secondDerivatives({ p in
                let v = 1 + 2 * k * p[1] * p[1]
                return exp(-k * p[0] * p[0] / v) / v.squareRoot()
            }, at: [s.mu, s.sigma])
            Self.check(h[2], bump, "exp(-k x^2) \(s)")
        }
    }

    /// (x − k)² is exact at both orders: pathwise, then pathwise, no error in μμ.
    @Test func aQuadraticIsPathwiseAtBothOrders() {
        let h = Self.hessians("set(seed = 1)\nparam mu = 0.5\nparam sigma = 1.5\nx = normal(mu, sigma)\nhessian(E[(x - 2)^2])")
        #expect(h.first?.estimators.map(\.orders) == ["pathwise, then pathwise"])
        #expect(h.first.map { $0.entry(0, 0).value == 2 && $0.entry(0, 0).stderr == 0 } == true)
    }

    static let blackScholes = """
        set(seed = 21, particles = 200000)
        param S0 = 100
        param vol = 0.2
        K = 105
        r = 0.02
        T = 1
        z = normal(0, 1)
        ST = S0 * exp((r - 0.5 * vol^2) * T + vol * sqrt(T) * z)
        hessian(E[exp(-r * T) * max(ST - K, 0)])
        hessian(E[exp(-r * T) * (ST > K)])
        """

    static func call(_ p: [Double]) -> Double {
        let (s0, vol, k, r, t) = (p[0], p[1], 105.0, 0.02, 1.0)
        let d1 = (log(s0 / k) + (r + vol * vol / 2) * t) / (vol * t.squareRoot())
        return s0 * Phi(d1) - k * exp(-r * t) * Phi(d1 - vol * t.squareRoot())
    }

    static func digital(_ p: [Double]) -> Double {
        let (s0, vol, k, r, t) = (p[0], p[1], 105.0, 0.02, 1.0)
        return exp(-r * t) * Phi((log(s0 / k) + (r - vol * vol / 2) * t) / (vol * t.squareRoot()))
    }

    /// S0 written outside the draw, as quants write it: the map is folded
    /// into the draw, so its estimator sees the jump the call's pathwise
    /// delta has. Gamma, vanna and volga against Black–Scholes; the call's
    /// gamma (0.0199279) with a standard error under the best textbook
    /// estimator's 1.5× (likelihood-ratio-then-pathwise, sd 0.0304 per
    /// sample: 1.0e-4 here), the digital's (4.1707e-5) under 1.1× the
    /// likelihood-ratio-squared estimator's (sd 0.00214 per sample).
    @Test func blackScholesGammaVannaVolga() {
        let h = Self.hessians(Self.blackScholes)
        guard h.count == 2 else { Issue.record("expected two Hessians"); return }
        let callExact = Self.secondDerivatives(Self.call, at: [100, 0.2])
        #expect(abs(callExact[0][0] - 0.0199279) < 1e-6)
        Self.check(h[0], callExact, "call")
        Self.check(h[1], Self.secondDerivatives(Self.digital, at: [100, 0.2]), "digital")
        #expect(h[0].entry(0, 0).stderr <= 1.5 * 0.0304 / 200_000.0.squareRoot())
        #expect(h[1].entry(0, 0).stderr <= 1.1 * 0.00214 / 200_000.0.squareRoot())
        // The draw is named, with the fold and the estimator at each order.
        let call = h[0].estimators.first
        #expect(call?.node == "z" && call?.firstOrder == "pathwise" && ["mvd", "score"].contains(call?.estimator ?? ""))
        #expect(call?.reason.contains("P · exp(a + b·z) folded into it") == true)
        #expect(h[1].estimators.first?.firstOrder != "pathwise")
    }

    /// The first derivative of the same digital, S0 outside the draw: the
    /// fold makes it unbiased (it was a marked 0 with a warning).
    @Test func foldingMakesTheFirstOrderUnbiased() {
        let g = gradients("""
            set(seed = 4, particles = 200000)
            param S0 = 100
            z = normal(0, 1)
            ST = S0 * exp(0.02 - 0.5 * 0.04 + 0.2 * z)
            grad(E[exp(-0.02) * (ST > 105)])
            """)
        guard let g = g.first else { Issue.record("no gradient"); return }
        #expect(g.warnings.isEmpty && g.entries.allSatisfy { $0.bias == nil })
        let h = 1e-3
        #expect(agrees(g["S0"], (Self.digital([100 + h, 0.2]) - Self.digital([100 - h, 0.2])) / (2 * h), 5))
        // Affine maps too: vol · z + S0 > K.
        let affine = gradients("""
            set(seed = 5, particles = 200000)
            param S0 = 100
            param vol = 10
            z = normal(0, 1)
            grad(E[vol * z + S0 > 105])
            """)
        if let a = affine.first {
            // P(S0 + vol·z > K) = Φ((S0 − K)/vol).
            let d = (100.0 - 105) / 10
            #expect(a.warnings.isEmpty)
            #expect(agrees(a["S0"], phi(d) / 10, 5) && agrees(a["vol"], -phi(d) * d / 10, 5))
        }
    }

    /// Discrete draws, a Poisson rate and a gamma shape, against enumeration
    /// and closed forms; a normal and a bernoulli together (the cross entry).
    @Test func discreteGammaAndMixedObjectives() {
        let s = 1 / (1 + exp(-0.4))
        let lambda = 2.0, c = exp(-1.0) - 1
        let alpha = 2.5, beta = 1.5
        // ψ''(α) = −2 Σ 1/(α + k)³, with the tail after 10⁵ terms by Euler–Maclaurin.
        var trigammaSlope = 0.0
        let terms = 100_000
        for k in 0..<terms { trigammaSlope -= 2 / pow(alpha + Double(k), 3) }
        let tail = alpha + Double(terms)
        trigammaSlope -= 2 * (1 / (2 * tail * tail) + 1 / (2 * pow(tail, 3)))
        let h = Self.hessians("""
            set(seed = 31, particles = 200000)
            param theta = 0.4
            b = bernoulli(sigmoid(theta))
            hessian(E[(b + 1)^2])
            param lam = 2
            n = poisson(lam)
            hessian(E[exp(-n)])
            param alpha = 2.5
            param beta = 1.5
            g = gamma(alpha, beta)
            hessian(E[log(g)])
            param mu = 0.3
            x = normal(mu, 1)
            c = bernoulli(sigmoid(theta))
            hessian(E[x * c + x^2], wrt = [mu, theta])
            y = normal(c * mu, 1)
            hessian(E[(y > 0.5) + c], wrt = [mu, theta])
            """)
        guard h.count == 5 else { Issue.record("expected five Hessians"); return }
        // A bernoulli's outcomes are enumerated at the first order, and
        // their probabilities differentiated exactly at the second: no error.
        #expect(h[0].estimators.map(\.orders) == ["exact, then exact"])
        #expect(h[0].entry(0, 0).stderr == 0)
        // E[(b + 1)²] = 1 + 3s: 3 s(1 − s)(1 − 2s).
        Self.check(h[0], [[3 * s * (1 - s) * (1 - 2 * s)]], "bernoulli")
        // E[e^{−n}] = e^{λc}, c = e^{−1} − 1.
        Self.check(h[1], [[c * c * exp(lambda * c)]], "poisson")
        // E[log g] = ψ(α) − log β.
        Self.check(h[2], [[trigammaSlope, 0], [0, 1 / (beta * beta)]], "gamma")
        // E[x c + x²] = μ s + μ² + 1.
        let mu = 0.3
        Self.check(h[3], [[2, s * (1 - s)], [s * (1 - s), mu * s * (1 - s) * (1 - 2 * s)]], "mixed")
        // E[(y > 0.5) + c], y ~ normal(c μ, 1): s (Φ(μ − ½) + 1) + (1 − s) Φ(−½). The
        // bernoulli's worlds copy y with numbers of their own; y's jump takes
        // the score function or a measure-valued derivative.
        let d = mu - 0.5
        let s2 = s * (1 - s) * (1 - 2 * s)
        Self.check(h[4], [[-s * d * phi(d), s * (1 - s) * phi(d)],
                          [s * (1 - s) * phi(d), s2 * (Phi(d) + 1 - Phi(-0.5))]], "bernoulli then a jump")
        #expect(h[4].estimators.first { $0.node == "c" }?.firstOrder == "exact")
    }

    /// A geometric `while` loop: E[n] = e^t, so d²/dt² = e^t; its draws'
    /// scores are summed along the iterations each particle runs.
    @Test func throughALoopOfRandomLength() {
        let h = Self.hessians("""
            set(seed = 3, particles = 200000)
            param t = 0.5
            n = 0
            while bernoulli(sigmoid(t)) { n = n + 1 }
            hessian(E[n])
            """)
        guard let h = h.first else { Issue.record("no Hessian"); return }
        Self.check(h, [[exp(0.5)]], "geometric loop")
        // The first order sums the scores (a second derivative takes no
        // triples); the pilot chooses the second's estimator (triples, or
        // the score function again).
        #expect(h.estimators.allSatisfy { $0.orders == "score, then score" || $0.orders == "score, then triple" },
                "\(h.estimators.map(\.orders))")
        // Pathwise tangents leave the loop through exits of their own: S, a
        // sum of a geometric number N of normal(μ, 1) draws (E[N] = 1.5,
        // E[N(N − 1)] = 4.5), has E[S²] = 1.5(1 + μ²) + 4.5μ²: d²/dμ² = 12.
        let walk = Self.hessians("""
            set(seed = 2, particles = 200000)
            param mu = 0.3
            s = 0
            while bernoulli(0.6) { s = s + normal(mu, 1) }
            hessian(E[s^2])
            """)
        if let walk = walk.first {
            Self.check(walk, [[12]], "a sum over a loop of random length")
            #expect(walk.estimators.contains { $0.orders == "pathwise, then pathwise" })
        }
    }

    /// An objective computed from a loop's exit (n², not n itself), with
    /// the score function at both orders: the derivative program adds its
    /// score sums to the loop's iterations after the graph's reader of the
    /// exit, and the loop must still run before that reader (it ran after it,
    /// which read the chunk before's exits: 0.06 ± 0.06 here, and a result
    /// that changed with the thread count). N geometric with
    /// p = sigmoid(t): E[N²] = e^t + 2e^{2t}, so d²/dt² = e^t + 8e^{2t}.
    @Test func aReaderOfTheLoopsExitRunsAfterTheLoop() {
        func program(_ threads: Int) -> String {
            """
            set(seed = 3, particles = 200000, threads = \(threads))
            param t = 0.5
            n = 0
            while bernoulli(sigmoid(t)) { n = n + 1 }
            hessian(E[n * n])
            """
        }
        let one = Self.hessians(program(1)), two = Self.hessians(program(2))
        guard let h = one.first, let other = two.first else { Issue.record("no Hessian"); return }
        Self.check(h, [[exp(0.5) + 8 * exp(1.0)]], "E[N²] of a geometric loop")
        #expect(h.entry(0, 0).value.bitPattern == other.entry(0, 0).value.bitPattern)
    }

    /// The other distributions, a log-density, a function with a traced
    /// `if`: each Hessian against its closed form (E[x|x|] by quadrature).
    @Test func everyDistributionFunctionsAndIfs() {
        let (mu, sigma) = (0.3, 0.8)
        let h = Self.hessians("""
            set(seed = 4, particles = 200000)
            param mu = 0.3
            param sigma = 0.8
            x = normal(mu, sigma)
            hessian(E[normal_lpdf(x, 0, 1)])
            fn f(v) {
              if v > 0 { return v^2 }
              return -v^2
            }
            hessian(E[f(x)])
            u = uniform(mu, mu + sigma)
            hessian(E[u^3])
            e = exponential(sigma)
            hessian(E[e^2], wrt = [sigma])
            l = lognormal(mu, sigma)
            hessian(E[l])
            k = categorical([sigmoid(mu), 1 - sigmoid(mu)])
            hessian(E[(k + 1)^2], wrt = [mu])
            b = beta(sigma + 1, 2)
            hessian(E[b], wrt = [sigma])
            t = student_t(5, mu, sigma)
            hessian(E[t^2])
            """)
        guard h.count == 8 else { Issue.record("expected eight Hessians"); return }
        Self.check(h[0], [[-1, 0], [0, -1]], "normal_lpdf")
        let signedSquare = Self.secondDerivatives({ p in gaussianExpectation(mean: p[0], sd: p[1]) { $0 * abs($0) } }, at: [mu, sigma])
        Self.check(h[1], signedSquare, "x|x| through an if")
        // E[u³] = ((μ + σ)⁴ − μ⁴)/(4σ) = μ³ + 1.5μ²σ + μσ² + σ³/4.
        Self.check(h[2], [[6 * mu + 3 * sigma, 3 * mu + 2 * sigma], [3 * mu + 2 * sigma, 2 * mu + 1.5 * sigma]], "uniform")
        Self.check(h[3], [[12 / pow(sigma, 4)]], "exponential")
        let m = exp(mu + sigma * sigma / 2)
        Self.check(h[4], [[m, sigma * m], [sigma * m, (1 + sigma * sigma) * m]], "lognormal")
        let s = 1 / (1 + exp(-mu))
        Self.check(h[5], [[-3 * s * (1 - s) * (1 - 2 * s)]], "categorical")
        Self.check(h[6], [[-4 / pow(sigma + 3, 3)]], "beta")
        Self.check(h[7], [[2, 0], [0, 10.0 / 3]], "student_t")
    }

    /// explain(e, order = 2) names each draw's estimator at both orders,
    /// with the fold, without running the Hessian.
    @Test func explainAtTheSecondOrder() {
        let outcome = run("""
            set(seed = 2, particles = 20000)
            param S0 = 100
            param vol = 0.2
            z = normal(0, 1)
            ST = S0 * exp(0.02 - vol^2 / 2 + vol * z)
            explain(exp(-0.02) * max(ST - 105, 0), order = 2)
            explain(ST, order = 3)
            """)
        let text = outcome.lines.joined(separator: "\n")
        #expect(text.contains("z = normal[pathwise]"))
        #expect(text.contains("  z  normal  pathwise, then "))
        #expect(text.contains("P · exp(a + b·z) folded into it"))
        #expect(outcome.errors == ["7:21: explain's order is 1 (the gradient's estimators) or 2 (a Hessian's), got 3"])
    }

    /// hvp(E[e], v) is H·v, from one program in the direction v.
    @Test func hessianVectorProduct() {
        let values = displayedValues("""
            set(seed = 41, particles = 200000)
            param mu = 0.5
            param sigma = 1
            x = normal(mu, sigma)
            hvp(E[cos(2 * x)], [1, -2])
            """)
        guard case .gradient(let product)? = values.first else { Issue.record("no hvp: \(values)"); return }
        #expect(product.kind == "hvp")
        let exact = Self.secondDerivatives({ p in cos(2 * p[0]) * exp(-2 * p[1] * p[1]) }, at: [0.5, 1])
        #expect(agrees(product["mu"], exact[0][0] - 2 * exact[0][1], 5))
        #expect(agrees(product["sigma"], exact[1][0] - 2 * exact[1][1], 5))
    }

    /// h["mu"]["sigma"] is an estimate to compute with; h["mu"] a row, as a gradient.
    @Test func entriesAreEstimates() {
        let outcome = run("""
            set(seed = 2, particles = 1000)
            param mu = 0.5
            param sigma = 1
            x = normal(mu, sigma)
            h = hessian(E[(x - 1)^2 + x * sigma])
            stderr(h["mu"]["sigma"] + 1) == stderr(h["mu"]["sigma"]) and stderr(h["mu"]["sigma"]) > 0
            value(h["sigma"]["mu"]) == value(h["mu"]["sigma"])
            value(h["mu"]["mu"])
            """)
        #expect(outcome.errors == [])
        #expect(outcome.lines.suffix(3) == ["true", "true", "2"])
    }

    /// JSON: {"kind": "hessian", "wrt": {"mu": {"sigma": {"value", "stderr", "biased"}}}},
    /// and each draw's estimator at both orders.
    @Test func jsonShape() throws {
        let values = displayedValues("set(seed = 2, particles = 1000)\nparam mu = 0.5\nparam sigma = 1\nx = normal(mu, sigma)\nhessian(E[x^2])")
        guard let value = values.first else { Issue.record("no value"); return }
        let line = Display.jsonLine(value, line: 5)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["kind"] as? String == "hessian")
        let wrt = try #require(object["wrt"] as? [String: [String: [String: Any]]])
        #expect(wrt["mu"]?["mu"]?["value"] as? Double == 2)
        #expect(wrt["mu"]?["sigma"]?["value"] as? Double == wrt["sigma"]?["mu"]?["value"] as? Double)
        #expect(wrt["sigma"]?["sigma"]?["biased"] as? Bool == false)
        let estimators = try #require(object["estimators"] as? [[String: Any]])
        #expect(estimators.first?["first_order"] as? String == "pathwise")
        #expect(estimators.first?["second_order"] as? String == "pathwise")
    }

    /// Bad input is an error at the call, worded.
    @Test func badInput() {
        let header = "param mu = 0.5\nparam sigma = 1\nx = normal(mu, sigma)\n"
        #expect(run(header + "hessian(x)").errors == ["4:9: hessian needs an expectation as its first argument: hessian(E[...], wrt = [...])"])
        #expect(run(header + "hessian(E[x], wrt = [mu, mu])").errors == ["4:21: hessian's wrt names \"mu\" twice"])
        #expect(run(header + "hessian(E[x], wrt = [nu])").errors.first?.contains("nu") == true)
        #expect(run(header + "hvp(E[x^2], [1, 2, 3])").errors
            == ["4:13: hvp's direction has 3 numbers, but it differentiates with respect to 2 parameters (mu, sigma)"])
        #expect(run(header + "hvp(E[x^2], wrt = [mu])").errors.first?.contains("hvp needs a direction") == true)
        #expect(run(header + "hessian(E[x], steps = 3)").errors == ["4:15: hessian has no option 'steps' (it takes wrt, particles)"])
        #expect(run(header + "h = hessian(E[x^2])\nh[1]").errors.first?.contains("a Hessian is indexed by a parameter's name") == true)
        #expect(run(header + "h = hessian(E[x^2])\nh[\"tau\"]").errors == ["5:3: the Hessian has no row \"tau\"; it has \"mu\", \"sigma\""])
        // An objective undefined in some particles is an error, as for grad,
        // though its second derivative's program never reads it.
        #expect(run(header + "hessian(E[log(x)])").errors.first?.hasPrefix("4:11: this value is not a finite number in") == true)
        // A first-order estimator with no program form and no score function is said plainly.
        #expect(run("param a = 1\nx = uniform(0, a)\nhessian(E[x > 0.5])").errors.first?.contains("has no form as a program") == true)
    }
}
