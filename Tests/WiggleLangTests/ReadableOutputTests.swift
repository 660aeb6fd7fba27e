import Foundation
import Testing
import WiggleGraph
@testable import WiggleLang

/// Numbers that read: one rounding rule for every estimate, short reasons
/// in `grad`'s table, fix hints that fit the case.
@Suite struct ReadableOutputTests {
    @Test func anEstimateIsRoundedToItsStandardError() {
        #expect(Display.formatEstimate(7.29123, stderr: 0.0523) == "7.291 ± 0.052")
        #expect(Display.formatEstimate(-5.00812, stderr: 0.0201) == "-5.008 ± 0.020")
        // A value far below its error shows rounded to the error's second
        // digit: a component that is 0 up to rounding reads as one.
        #expect(Display.formatEstimate(-2.52619e-20, stderr: 1.72566e-19) == "-3e-20 ± 1.7e-19")
        #expect(Display.formatEstimate(2.1e-21, stderr: 1.72566e-19) == "0 ± 1.7e-19")
        #expect(Display.formatEstimate(-0.0001, stderr: 0.05) == "0.000 ± 0.050")
        #expect(Display.formatEstimate(0.0004, stderr: 0.05) == "0.000 ± 0.050")
        // Tiny errors keep the same rule, in scientific notation.
        #expect(Display.formatEstimate(3.14159e-15, stderr: 1.7e-19) == "3.14159e-15 ± 1.7e-19")
        #expect(Display.formatEstimate(3.14159265e-15, stderr: 1.7e-19) == "3.14159e-15 ± 1.7e-19")
        #expect(Display.formatEstimate(-4.2e-18, stderr: 1.1e-18) == "-4.2e-18 ± 1.1e-18")
        // Exact values and large errors.
        #expect(Display.formatEstimate(0.5, stderr: 0) == "0.5 ± 0")
        #expect(Display.formatEstimate(123456.7, stderr: 2345.6) == "123500 ± 2300")
        #expect(Display.formatEstimate(3, stderr: 5000) == "0 ± 5000")
        #expect(Display.formatEstimate(1.23456e152, stderr: 3.3e150) == "1.235e+152 ± 3.3e+150")
    }

    @Test func anExactlyZeroComponentReadsAsZero() {
        // d/dmu E[(x − mu)²] for x ~ normal(mu, 1) is exactly 0 in every
        // particle up to rounding.
        let text = run("set(seed = 1)\nparam mu = 0.5\nx = normal(mu, 1)\ngrad(E[(x - mu)^2 + 0 * mu], wrt = [mu])").lines.first ?? ""
        #expect(!text.contains("e-"), "saw \(text)")
    }

    @Test func gradReasonsAreShortAndExplainKeepsThem() {
        let program = """
            set(seed = 3)
            param mu = 0.5
            x = normal(mu, 1)
            grad(E[(x > 1) + x^2])
            explain((x > 1) + x^2)
            """
        let outcome = run(program)
        #expect(outcome.errors == [])
        let gradLines = outcome.lines.first?.split(separator: "\n").dropFirst() ?? []
        #expect(!gradLines.isEmpty)
        for line in gradLines {
            guard let open = line.firstIndex(of: "("), line.hasSuffix(")") else { continue }
            let reason = line[line.index(after: open)..<line.index(before: line.endIndex)]
            #expect(reason.split(separator: " ").count <= 10, "reason too long: \(reason)")
        }
        // explain keeps the whole reason (with the pilot's numbers).
        #expect(outcome.lines.last?.contains("on a pilot of") == true)
    }

    @Test func briefsOfTheReasonsTheAnalysisGives() {
        func report(_ clauses: [ReasonClause]) -> EstimatorReport {
            EstimatorReport(node: "x", file: "f", line: 1, column: 1, distribution: "normal", estimator: "mvd",
                            method: "", clauses: clauses)
        }
        func brief(_ clauses: [ReasonClause]) -> String { report(clauses).brief }
        let worlds = ReasonClause.worlds(title: "measure-valued", worlds: "Weibull pair for mu", downstream: 2, count: 2)
        let pilot256 = { (ratio: Double) in PilotMeasurement(varianceRatio: ratio, workRatio: 1, particles: [256, 256], noVariance: false) }
        #expect(brief([.smooth]) == "every use is smooth")
        #expect(brief([.requested(.score), .leaveOneOut]) == "requested by @score")
        #expect(brief([.requested(.pathwise), .biased("`>` at line 38")]) == "requested by @pathwise; biased")
        let measured: [ReasonClause] = [.reaches("`>` at line 26"), worlds, .pilotKept(pilot256(1 / 35), over: .score)]
        #expect(report(measured).reason == "reaches `>` at line 26; measure-valued: Weibull pair for mu, runs 2 nodes downstream twice more, with common random numbers; 35× lower gradient variance than the score function on a pilot of 256")
        #expect(brief(measured) == "reaches `>` at line 26; 35× lower variance than score")
        let none: [ReasonClause] = [.pilotKept(pilot256(1e-9), over: .score), .outcomes(downstream: 2, count: 2, commonNumbers: true)]
        #expect(report(none).reason == "no gradient variance, unlike the score function, on a pilot of 256; runs 2 nodes downstream twice, with common random numbers")
        #expect(brief(none) == "no variance, unlike score")
        let cheaper = PilotMeasurement(varianceRatio: 1 / 1.3, workRatio: 1.6, particles: [2_048, 2_048], noVariance: false)
        let taken: [ReasonClause] = [.pilotTaken(cheaper, over: .exact(points: 2)), .leaveOneOut]
        #expect(report(taken).reason == "lower gradient variance × work than the exact 2-point derivative on a pilot of 2,048, which has 1.3× lower variance at 1.6× the work; leave-one-out baseline")
        #expect(brief(taken) == "cheaper per variance than exact")
        #expect(brief([.loopCannotRerun(.inside(line: 7)), .leaveOneOut]) == "inside the random-length loop at line 7")
        #expect(report([.loopCannotRerun(.downstream(line: 12))]).reason
                == "what lies downstream of it runs the loop of random length at line 12, which cannot be re-run once per outcome")
        #expect(brief([.loopCannotRerun(.downstream(line: 12))]) == "a random-length loop at line 12 follows")
        #expect(brief([.notPossible(.exact, .loop(.inside(line: 3))), .leaveOneOut]) == "inside the random-length loop at line 3")
        #expect(brief([.splitWorlds(pathwise: 3, jumped: 2, jump: "`>` at line 5", worlds: worlds)])
                == "pathwise for the 3 terms it reaches smoothly")
        let long = brief([.unmoved("one two three four five six seven eight nine ten eleven twelve")])
        #expect(long.split(separator: " ").count == 10 && long.hasSuffix("…"))
    }

    @Test func fixHintsFitWhatTheParameterScales() {
        func warning(_ program: String) -> String {
            gradients(program).first?.warnings.first?.message ?? ""
        }
        // Where the map cannot be folded into the draw (the draw has another
        // use: `+ 0 * z`), the warning says how to write it.
        // A positive scale times exp of a normal: a shift of the mean in log space.
        let spot = warning("param S0 = 100\nvol = 0.2\nz = normal(0, 1)\nST = S0 * exp(vol * z)\ngrad(E[ST > 105 + 0 * z])")
        #expect(spot.contains("exp(normal(m + log(S0), s)) in place of S0 * exp(normal(m, s))"))
        // A volatility times a normal draw: into the normal's mean and sd, not log space.
        let vol = warning("param sigma = 0.2\nz = normal(0, 1)\ngrad(E[sigma * z > 0.1 + 0 * z])")
        #expect(vol.contains("normal(m * sigma, s * sigma) in place of sigma * normal(m, s)"))
        #expect(!vol.contains("log(sigma)"))
        // θ / exp(normal): the log-space mean is log θ − m.
        let inverse = warning("param S0 = 100\nz = normal(0, 0.2)\ngrad(E[S0 / exp(z) > 105])")
        #expect(inverse.contains("exp(normal(log(S0) - m, s)) in place of S0 / exp(normal(m, s))"))
        // θ − normal: the mean is θ − m.
        let minus = warning("param k = 1\nx = normal(0, 1)\ngrad(E[k - x > 0.5 + 0 * x])")
        #expect(minus.contains("normal(k - m, s) in place of k - normal(m, s)"))
        // A scale of something computed from random values: no rewrite is claimed.
        let other = warning("param c = 2\nz = normal(0, 1)\ngrad(E[c * (z * z) > 1])")
        #expect(other.contains("no rewrite is known"))
    }
}
