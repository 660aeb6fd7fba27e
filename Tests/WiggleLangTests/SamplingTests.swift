import Foundation
import Testing
import WiggleGraph
import WiggleLang

/// set(sampling = "antithetic"): the same estimates as independent
/// sampling, against exact values, with smaller and honest standard errors.
@Suite struct SamplingTests {
    static let call = """
        param S0 = 100
        z = normal(0, 1)
        ST = S0 * exp(0.02 - 0.02 + 0.2 * z)
        price = exp(-0.02) * max(ST - 100, 0)
        """
    /// Black–Scholes at S0 = K = 100, r = 0.02, σ = 0.2, T = 1.
    static let callExact: Double = {
        let d1 = (0.02 + 0.02) / 0.2, d2 = d1 - 0.2
        return 100 * Phi(d1) - 100 * exp(-0.02) * Phi(d2)
    }()

    /// At 2¹⁶ particles, antithetic pairs' standard error on the call price
    /// is under 0.9× independent sampling's (their correlation allows 0.84),
    /// and both estimates and the delta agree with Black–Scholes.
    @Test func antitheticPairsOnACall() {
        let iid = Self.callAndDelta("iid"), antithetic = Self.callAndDelta("antithetic")
        guard iid.count == 2, antithetic.count == 2 else { Issue.record("expected two estimates each"); return }
        #expect(agrees(iid[0], Self.callExact, 5) && agrees(antithetic[0], Self.callExact, 5))
        #expect(antithetic[0].stderr <= 0.9 * iid[0].stderr, "\(antithetic[0].stderr) vs \(iid[0].stderr)")
        // The delta Φ(d1).
        #expect(agrees(antithetic[1], Phi(0.2), 5))
    }

    /// Over 40 seeds, at least 85% of the antithetic estimates of the call
    /// price and of a mixed bernoulli/normal objective lie within 3 of their
    /// reported standard errors of the exact value.
    @Test func standardErrorsAreHonest() {
        // E[b x + x²] = 0.3 + 2.
        let (inside, total) = Self.coverage("antithetic", """
            \(Self.call)
            E[price]
            b = bernoulli(0.3)
            x = normal(1, 1)
            E[b * x + x^2]
            """, exact: [Self.callExact, 2.3])
        #expect(Double(inside) >= 0.85 * Double(total), "\(inside) of \(total)")
    }

    /// The call's price and its delta at 2¹⁶ particles under `sampling`.
    static func callAndDelta(_ sampling: String) -> [(value: Double, stderr: Double)] {
        expectations("set(seed = 9, particles = 65536, sampling = \"\(sampling)\")\n\(call)\nE[price]\ngrad(E[price])[\"S0\"]")
    }

    /// Over 40 seeds at 4,096 particles under `sampling`: how many of the
    /// estimates `body` displays lie within 3 of their reported standard
    /// errors of `exact`, and of how many.
    static func coverage(_ sampling: String, _ body: String, exact: [Double]) -> (inside: Int, total: Int) {
        var inside = 0, total = 0
        for seed in 0..<40 {
            let estimates = expectations("set(seed = \(seed), particles = 4096, sampling = \"\(sampling)\")\n" + body)
            guard estimates.count == exact.count else { Issue.record("seed \(seed): \(estimates)"); continue }
            for (estimate, value) in zip(estimates, exact) {
                total += 1
                if abs(estimate.value - value) <= 3 * estimate.stderr { inside += 1 }
            }
        }
        return (inside, total)
    }

    /// Gradients by every estimator stay unbiased: a score-function
    /// bernoulli, an exact one, a normal through a jump, a Hessian.
    @Test func estimatorsStayUnbiased() {
        let s = 1 / (1 + exp(-0.4))
        let g = gradients("""
            set(seed = 4, particles = 200000, sampling = "antithetic")
            param theta = 0.4
            param mu = 0.2
            b = bernoulli(sigmoid(theta)) @score
            grad(E[(b + 1)^2], wrt = [theta])
            c = bernoulli(sigmoid(theta))
            grad(E[(c + 1)^2], wrt = [theta])
            x = normal(mu, 1)
            grad(E[x > 0.5], wrt = [mu])
            """)
        guard g.count == 3 else { Issue.record("expected three gradients"); return }
        #expect(agrees(g[0]["theta"], 3 * s * (1 - s), 5) && agrees(g[1]["theta"], 3 * s * (1 - s), 5))
        #expect(agrees(g[2]["mu"], phi(0.3), 5))
        let h = displayedValues("set(seed = 4, particles = 200000, sampling = \"antithetic\")\nparam mu = 0.5\nx = normal(mu, 1)\nhessian(E[cos(2 * x)])")
        if case .hessian(let result)? = h.first {
            // E[cos 2x] = cos(2μ) e^{−2}: d²/dμ² = −4 cos(2μ) e^{−2}.
            let entry = result.entry(0, 0)
            #expect(agrees((entry.value, entry.stderr), -4 * cos(1.0) * exp(-2), 5))
        } else {
            Issue.record("no Hessian: \(h)")
        }
    }

    /// A random value's cloud shows its particles' spread, not the pairs'
    /// (whose means are all 0 for a normal(0, 1)), under both samplings.
    @Test func cloudsShowTheParticlesSpread() {
        for sampling in ["antithetic", "rqmc"] {
            let values = displayedValues("set(seed = 3, particles = 20000, sampling = \"\(sampling)\")\nx = normal(0, 1)\nx")
            guard case .report(.cloud(let cloud))? = values.first else { Issue.record("no cloud: \(values)"); continue }
            #expect(abs(cloud.sd - 1) < 0.05, "\(sampling): sd \(cloud.sd)")
        }
    }

    /// Names are checked, with a "did you mean"; set() and explain show the sampling.
    @Test func settingsAndExplain() {
        #expect(run("set(sampling = \"antithetc\")").errors
            == ["1:16: unknown sampling \"antithetc\" (it is one of \"iid\", \"antithetic\", \"rqmc\"); did you mean \"antithetic\"?"])
        #expect(run("set(sampling = 2)").errors.first?.contains("sampling is a name") == true)
        // One pair is one sample: no standard error.
        #expect(run("set(sampling = \"antithetic\", particles = 2)\nE[normal(0, 1)]").errors
            == ["2:3: estimating a random value with antithetic pairs needs at least 4 particles (2 pairs) for a standard error (got 2)"])
        #expect(run("set(sampling = \"antithetic\")\nset()").lines
            == ["set(seed = 0, particles = 10000, threads = \(Runner.cores), loop_limit = 1000, sampling = \"antithetic\")"])
        let explained = run("set(sampling = \"antithetic\")\nx = normal(0, 1)\ny = gamma(2, 1)\nexplain(x + y)").lines.joined(separator: "\n")
        #expect(explained.contains("sampling: antithetic pairs (u, 1 − u) for 1 draw sampled by inversion; independent numbers in both halves for y (gamma: sampled by rejection)"))
    }
}

/// set(sampling = "rqmc"): scrambled Sobol' points in replicates, against
/// exact values, with standard errors from the replicates' spread.
@Suite struct QuasiMonteCarloTests {
    /// At 2¹⁶ particles the call price's and its pathwise delta's standard
    /// errors are under a tenth of independent sampling's, and both agree
    /// with Black–Scholes within 5 of them.
    @Test func aCallPriceAndItsDelta() {
        let iid = SamplingTests.callAndDelta("iid"), quasi = SamplingTests.callAndDelta("rqmc")
        guard iid.count == 2, quasi.count == 2 else { Issue.record("expected two estimates each"); return }
        #expect(agrees(quasi[0], SamplingTests.callExact, 5) && agrees(quasi[1], Phi(0.2), 5))
        #expect(quasi[0].stderr <= 0.1 * iid[0].stderr && quasi[1].stderr <= 0.1 * iid[1].stderr,
                "\(quasi) vs \(iid)")
    }

    /// Over 40 seeds, at least 85% of the estimates of the call price, a
    /// mixed bernoulli/normal objective and a geometric loop's count lie
    /// within 3 of their reported standard errors of the exact value.
    @Test func standardErrorsAreHonest() {
        // E[b x + x²] = 0.3 + 2; the loop runs a geometric count, mean 0.6/0.4.
        let (inside, total) = SamplingTests.coverage("rqmc", """
            \(SamplingTests.call)
            E[price]
            b = bernoulli(0.3)
            x = normal(1, 1)
            E[b * x + x^2]
            n = 0
            while bernoulli(0.6) { n = n + 1 }
            E[n]
            """, exact: [SamplingTests.callExact, 2.3, 1.5])
        #expect(Double(inside) >= 0.85 * Double(total), "\(inside) of \(total)")
    }

    /// The score function, whose baseline is the previous replicate's mean
    /// cost (the points of one net are not independent), stays unbiased: a
    /// bernoulli and a Poisson against their exact derivatives, and a Hessian.
    @Test func estimatorsStayUnbiased() {
        let s = 1 / (1 + exp(-0.4))
        let g = gradients("""
            set(seed = 4, particles = 65536, sampling = "rqmc")
            param theta = 0.4
            param rate = 2
            b = bernoulli(sigmoid(theta)) @score
            grad(E[(b + 1)^2 + b * normal(0, 1)], wrt = [theta])
            n = poisson(rate)
            grad(E[exp(-n)], wrt = [rate])
            """)
        guard g.count == 2 else { Issue.record("expected two gradients"); return }
        #expect(agrees(g[0]["theta"], 3 * s * (1 - s), 5))
        let c = exp(-1.0) - 1
        #expect(agrees(g[1]["rate"], c * exp(2 * c), 5))
        // A large constant in the cost is what a baseline removes: the
        // previous replicate's mean cost takes it out (without a baseline
        // the standard error here is 0.0030).
        let shifted = gradients("""
            set(seed = 1, particles = 65536, sampling = "rqmc")
            param th = 0.2
            c = bernoulli(sigmoid(th)) @score
            grad(E[(c + 10)^2])
            """)
        let s2 = 1 / (1 + exp(-0.2))
        if let shifted = shifted.first {
            #expect(agrees(shifted["th"], 21 * s2 * (1 - s2), 5) && shifted["th"].stderr < 0.0005, "\(shifted["th"])")
        }
        let h = displayedValues("set(seed = 4, particles = 65536, sampling = \"rqmc\")\nparam mu = 0.5\nx = normal(mu, 1)\nhessian(E[cos(2 * x)])")
        if case .hessian(let result)? = h.first {
            let entry = result.entry(0, 0)
            #expect(agrees((entry.value, entry.stderr), -4 * cos(1.0) * exp(-2), 5))
        } else {
            Issue.record("no Hessian: \(h)")
        }
    }

    /// The particles are shared out in powers of two, and it is said;
    /// replicates are checked; explain counts the quasi-random draws.
    @Test func settingsAndExplain() {
        let outcome = run("set(sampling = \"rqmc\")\nset()")
        #expect(outcome.lines == ["set(seed = 0, particles = 10000, threads = \(Runner.cores), loop_limit = 1000, sampling = \"rqmc\", replicates = 16)"])
        var notices: [String] = []
        _ = Session().run("set(sampling = \"rqmc\", particles = 10000)\nset(particles = 16384)") { output in
            if case .notice(let text) = output { notices.append(text) }
        }
        #expect(notices == ["sampling = \"rqmc\": 16 replicates of 1024 points each (16384 particles) for particles = 10000; each replicate is a scrambled Sobol' net of a power-of-two size"])
        #expect(run("set(replicates = 1)").errors.first?.contains("replicates must be between 2 and 1024") == true)
        let explained = run("set(sampling = \"rqmc\", particles = 4096)\nx = normal(0, 1)\ny = gamma(2, 1)\nexplain(x + y)").lines.joined(separator: "\n")
        #expect(explained.contains("sampling: randomised QMC: 1 draw on scrambled Sobol' points (one dimension each), 1 on pseudo-random numbers"))
        #expect(explained.contains("16 replicates of 256 points"))
    }
}
