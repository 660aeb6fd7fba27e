import Foundation
import Testing
import WiggleLang

/// Estimates are values: arithmetic on them propagates the standard error to
/// first order, separate runs are independent, the components of one
/// gradient carry their covariance, and gradients are indexed by name.
@Suite struct EstimateValueTests {
    func estimates(_ values: [Value]) -> [Estimate] {
        values.compactMap { value in
            if case .estimate(let estimate) = value { return estimate }
            Issue.record("expected an estimate, got \(Display.plain(value))")
            return nil
        }
    }

    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(1, abs(b)) }

    /// Each operation against the delta method worked by hand.
    @Test func arithmeticPropagatesToFirstOrder() {
        let values = displayedValues("""
            set(seed = 2, particles = 4000)
            x = normal(1, 2)
            y = normal(3, 1)
            e = E[x]
            f = E[y]
            e
            f
            e * 2
            e + f
            e / f
            exp(e)
            e - e
            -e
            sqrt(f)
            e ^ 2
            mean([e, f])
            sum([e, e])
            3 - e
            """)
        let got = estimates(values)
        try? #require(got.count == 13)
        guard got.count == 13 else { return }
        let (e, se) = (got[0].value, got[0].stderr), (f, sf) = (got[1].value, got[1].stderr)
        #expect(se > 0.02 && sf > 0.01)
        let expected: [(Double, Double)] = [
            (2 * e, 2 * se),
            (e + f, (se * se + sf * sf).squareRoot()),
            (e / f, ((se / f) * (se / f) + (e * sf / (f * f)) * (e * sf / (f * f))).squareRoot()),
            (exp(e), exp(e) * se),
            (0, 0),
            (-e, se),
            (f.squareRoot(), sf / (2 * f.squareRoot())),
            (e * e, 2 * abs(e) * se),
            ((e + f) / 2, (se * se + sf * sf).squareRoot() / 2),
            (2 * e, 2 * se),
            (3 - e, se),
        ]
        for (estimate, (value, stderr)) in zip(got.dropFirst(2), expected) {
            #expect(close(estimate.value, value), "value \(estimate.value) vs \(value)")
            #expect(close(estimate.stderr, stderr), "stderr \(estimate.stderr) vs \(stderr)")
        }
    }

    /// value, stderr, comparisons, display, and an estimate inside a later E.
    @Test func partsDisplayAndUse() {
        let outcome = run("""
            set(seed = 3, particles = 1000)
            x = normal(1, 2)
            e = E[x]
            value(e) == value(e * 1)
            stderr(e) > 0
            e > 0
            stderr(5)
            value([e, 2])[0] == value(e)
            stderr(E[e + 0 * x])
            abs(value(E[e + 0 * x]) - value(e)) < 1e-12
            floor(e)
            """)
        #expect(outcome.lines == ["true", "true", "true", "0", "true", "0", "true"])
        #expect(outcome.errors == ["11:1: floor of an estimate has no standard error to first order; write floor(value(e)) for the number alone"])
    }

    /// x ~ N(a + b, 1): the two components are the same number in every
    /// particle, so their difference is exactly 0 and their sum has twice
    /// the error of one.
    @Test func componentsOfOneGradientCarryTheirCovariance() {
        let got = estimates(displayedValues("""
            set(seed = 4, particles = 2000)
            param a = 0.3
            param b = 0.1
            x = normal(a + b, 1)
            g = grad(E[x^2])
            g["a"]
            g["a"] - g["b"]
            g["a"] + g["b"]
            """))
        guard got.count == 3 else { Issue.record("expected 3 estimates"); return }
        #expect(agrees((got[0].value, got[0].stderr), 2 * 0.4, 5))
        #expect(got[1].value == 0 && got[1].stderr == 0)
        #expect(close(got[2].stderr, 2 * got[0].stderr))
    }

    /// Over 200 seeds, the propagated standard error matches the spread of
    /// the estimates within 20%: a difference of two correlated gradient
    /// components (d/da − d/db of x·y + x² is y + x per particle: variance
    /// 2, where taking them as independent would say 5 + 1), and a ratio of
    /// two independent expectations.
    @Test func propagatedErrorsMatchTheSpreadOverSeeds() {
        var differences: [(Double, Double)] = [], ratios: [(Double, Double)] = []
        var naive: [Double] = []
        for seed in 1...200 {
            let got = estimates(displayedValues("""
                set(seed = \(seed), particles = 2000)
                param a = 0.3
                param b = -0.2
                x = normal(a, 1)
                y = normal(b, 1)
                g = grad(E[x * y + x^2])
                g["a"] - g["b"]
                E[exp(x)] / E[y + 2]
                g["a"]
                g["b"]
                """))
            guard got.count == 4 else { Issue.record("seed \(seed): expected 4 estimates"); return }
            differences.append((got[0].value, got[0].stderr))
            ratios.append((got[1].value, got[1].stderr))
            naive.append((got[2].stderr * got[2].stderr + got[3].stderr * got[3].stderr).squareRoot())
        }
        func spread(_ values: [Double]) -> Double {
            let mean = values.reduce(0, +) / Double(values.count)
            return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        }
        func meanStderr(_ pairs: [(Double, Double)]) -> Double { pairs.map(\.1).reduce(0, +) / Double(pairs.count) }
        let differenceRatio = meanStderr(differences) / spread(differences.map(\.0))
        let ratioRatio = meanStderr(ratios) / spread(ratios.map(\.0))
        #expect(abs(differenceRatio - 1) < 0.2, "difference: propagated / spread = \(differenceRatio)")
        #expect(abs(ratioRatio - 1) < 0.2, "ratio: propagated / spread = \(ratioRatio)")
        // Without the covariance the error would be √3 too large.
        #expect(naive.reduce(0, +) / Double(naive.count) / spread(differences.map(\.0)) > 1.5)
        // And the exact values: d/da − d/db = E[y + x] = a + b; the ratio
        // E[e^x] / E[y + 2] = e^(a + 1/2) / (b + 2), within 5 errors of the mean.
        let meanDifference = differences.map(\.0).reduce(0, +) / 200
        #expect(abs(meanDifference - 0.1) < 5 * spread(differences.map(\.0)) / 200.0.squareRoot())
        let meanRatio = ratios.map(\.0).reduce(0, +) / 200
        // First-order bias of a ratio is O(1/N): far below the tolerance here.
        #expect(abs(meanRatio - exp(0.8) / 1.8) < 5 * spread(ratios.map(\.0)) / 200.0.squareRoot())
    }
}

extension EstimateValueTests {
    /// With 16 components the engine sums products of batch means (8
    /// particles a batch here); the errors still match the spread over 200
    /// seeds within 20%, and perfectly correlated components cancel.
    @Test func batchedCovarianceMatchesTheSpread() {
        var differences: [(Double, Double)] = []
        for seed in 1...200 {
            let got = estimates(displayedValues("""
                set(seed = \(seed), particles = 4000)
                param w[16] = 0.1
                x = normal(w[0], 1)
                y = normal(w[1], 1)
                g = grad(E[x * y + x^2 + sum([w[i] * x for i in 2..16])])
                g["w"][0] - g["w"][1]
                g["w"][2] - g["w"][3]
                """))
            guard got.count == 2 else { Issue.record("seed \(seed): expected 2 estimates"); return }
            differences.append((got[0].value, got[0].stderr))
            // Both components are x in every particle: they cancel, and so
            // do their errors, by the covariance alone.
            #expect(got[1].value == 0 && got[1].stderr < 1e-9)
        }
        let values = differences.map(\.0)
        let mean = values.reduce(0, +) / 200
        let spread = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 199).squareRoot()
        let propagated = differences.map(\.1).reduce(0, +) / 200
        #expect(abs(propagated / spread - 1) < 0.2, "propagated / spread = \(propagated / spread)")
    }
}

/// `g["name"]`.
@Suite struct GradientIndexTests {
    @Test func componentsByName() {
        let outcome = run("""
            set(seed = 5, particles = 1000)
            param w[3] = 0.5
            param s = 1
            param unused = 2
            x = normal(w[0] + w[2], s)
            g = grad(E[x^2])
            len(g["w"])
            g["w"][1]
            g["unused"]
            value(g["w"][0]) == value(g["w[0]"])
            value(g["s"]) > 0
            """)
        #expect(outcome.lines == ["3", "0 ± 0", "0 ± 0", "true", "true"])
        #expect(outcome.errors.isEmpty)
    }

    @Test func mistakesAreDiagnostics() {
        func error(_ line: String) -> [String] {
            run("""
                set(particles = 100)
                param a = 1
                param b = 2
                x = normal(a, 1)
                g = grad(E[x], wrt = [a])
                \(line)
                """).errors
        }
        #expect(error("g[\"nope\"]") == ["6:3: the gradient has no component \"nope\"; it has \"a\""])
        #expect(error("g[0]") == ["6:3: a gradient is indexed by a parameter's name, as in g[\"a\"]; got a number"])
        #expect(error("g[\"b\"]") == ["6:3: the gradient was taken with respect to \"a\" only (wrt = ...), not \"b\""])
    }

    /// A component that misses a jump is not an estimate to compute with.
    @Test func aBiasedComponentRefusesArithmetic() {
        let outcome = run("""
            set(particles = 100)
            param k = 0
            x = normal(0, 1)
            g = grad(E[x > k])
            g["k"] * 2
            """)
        #expect(outcome.errors.count == 1)
        #expect(outcome.errors.first?.hasPrefix("5:3: the gradient's component \"k\" is biased (misses the jump at line 4)") == true)
    }
}

/// examples/greeks_table.wgl: every Greek within 5 standard errors of its
/// Black–Scholes closed form (the example prints how far off each is).
@Suite struct GreeksTableTests {
    @Test func everyGreekAgreesWithItsClosedForm() throws {
        let url = repositoryRoot.appendingPathComponent("examples/greeks_table.wgl")
        let outcome = run(try String(contentsOf: url, encoding: .utf8), name: "greeks_table.wgl")
        #expect(outcome.errors.isEmpty)
        let rows = outcome.lines.filter { $0.contains("off by") }
        #expect(rows.count == 14)
        for row in rows {
            let words = row.split(separator: " ")
            guard let index = words.firstIndex(of: "by"), let off = Double(words[index + 1]) else {
                Issue.record("unreadable row: \(row)"); continue
            }
            #expect(abs(off) < 5, "\(row)")
            #expect(!row.contains("± 0 "), "a Greek without a standard error: \(row)")
        }
    }
}

/// Examples that print an estimate beside its closed form
/// ("0.21547 ± 0.00065   closed form 0.216") agree within 5 standard
/// errors, and the variational examples match their exact posteriors to two
/// significant digits in every number printed (from their golden outputs,
/// which ExamplesTests holds to the programs' runs).
@Suite struct ExampleAgreementTests {
    func golden(_ name: String) throws -> [Substring] {
        try String(contentsOf: repositoryRoot.appendingPathComponent("examples/\(name).out"), encoding: .utf8).split(separator: "\n")
    }

    @Test(arguments: ["gamma_poisson", "newsvendor"])
    func estimatesAgreeWithClosedForms(_ name: String) throws {
        var checked = 0
        for line in try golden(name) where line.contains(" closed form ") {
            let words = line.split(separator: " ")
            guard let plus = words.firstIndex(of: "±"), let value = Double(words[plus - 1]), let error = Double(words[plus + 1]),
                  let exact = words.last.flatMap({ Double($0) }) else {
                Issue.record("unreadable: \(line)"); continue
            }
            #expect(abs(value - exact) < 5 * error, "\(line)")
            checked += 1
        }
        #expect(checked >= (name == "newsvendor" ? 1 : 4))
    }

    /// maximize finds the maximum-likelihood fit Newton's method finds.
    @Test func poissonRegressionAgreesWithNewton() throws {
        let lines = try golden("poisson_regression")
        func numbers(_ prefix: String) -> [Double] {
            lines.first { $0.hasPrefix(prefix) }.map { $0.split(separator: " ").compactMap { Double($0) } } ?? []
        }
        let fit = numbers("maximize:"), newton = numbers("Newton:")
        #expect(fit.count == 2 && fit == newton)
        #expect(numbers("score equations at the fit:").allSatisfy { abs($0) < 1e-3 })
    }

    @Test(arguments: ["linear_regression", "normal_posterior"])
    func variationalMatchesExact(_ name: String) throws {
        let lines = try golden(name)
        func numbers(_ prefix: String) -> [Double] {
            lines.first { $0.hasPrefix(prefix) }.map { $0.split(separator: " ").compactMap { Double($0) } } ?? []
        }
        let variational = numbers("variational:"), exact = numbers("exact:")
        #expect(variational.count == exact.count && variational.count >= 3)
        for (v, e) in zip(variational, exact) {
            // Both are printed rounded (at least two significant digits), so
            // two values within half a unit of that digit can print a unit apart.
            let unit = pow(10, (log10(abs(e))).rounded(.down) - 1)
            #expect(abs(v - e) <= unit * 1.000001, "\(name): variational \(v) vs exact \(e)")
        }
    }
}
