import Foundation
import Testing
import WiggleLang

/// Statistical tests against exact values derived here; each estimate must be
/// within 4 standard errors at a fixed seed.
@Suite struct StochasticTests {
    @Test func oneNormalMeanAndSpread() {
        let program = """
            set(seed = 11, particles = 100000)
            param mu = 0.7
            param log_sigma = -0.3
            x = normal(mu, exp(log_sigma))
            E[x]
            E[(x - mu)^2]
            grad(E[(x - 3)^2])
            """
        let sigma = exp(-0.3)
        let e = expectations(program)
        #expect(e.count == 2)
        #expect(agrees(e[0], 0.7))
        #expect(agrees(e[1], sigma * sigma))
        let g = gradients(program)[0]
        #expect(agrees(g["mu"], 2 * (0.7 - 3)))
        #expect(agrees(g["log_sigma"], 2 * sigma * sigma))
        #expect(agrees(g.objective, (0.7 - 3) * (0.7 - 3) + sigma * sigma))
        #expect(g.estimators.map(\.estimator) == ["pathwise"])
        #expect(g.estimators.first?.node == "x")
    }

    @Test func fiftyStepChain() {
        // h[t+1] ~ normal(a h[t], s): E[h50] = a^50 h0,
        // E[h50^2] = a^100 h0^2 + s^2 Σ_{k<50} a^{2k}.
        let program = """
            set(seed = 3, particles = 100000)
            param a = 0.97
            param s = 0.2
            h = 1.5
            for t in 0..50 { h = normal(a * h, s) }
            E[h]
            grad(E[h^2])
            """
        let a = 0.97, s = 0.2, h0 = 1.5
        let e = expectations(program)
        #expect(agrees(e[0], pow(a, 50) * h0))
        let g = gradients(program)[0]
        let second = pow(a, 100) * h0 * h0 + s * s * (0..<50).reduce(0.0) { $0 + pow(a, 2 * Double($1)) }
        let dA = 100 * pow(a, 99) * h0 * h0 + s * s * (1..<50).reduce(0.0) { $0 + 2 * Double($1) * pow(a, 2 * Double($1) - 1) }
        let dS = 2 * s * (0..<50).reduce(0.0) { $0 + pow(a, 2 * Double($1)) }
        #expect(agrees(g.objective, second))
        #expect(agrees(g["a"], dA))
        #expect(agrees(g["s"], dS))
        #expect(g.estimators.count == 50)
        #expect(g.estimators.allSatisfy { $0.estimator == "pathwise" })
    }

    @Test func fiftySamplesParametriseFiftyMore() {
        // xs ~ normal(mu, σ); m = mean(xs), v = std(xs)^2 (population), so
        // E[m^2] = mu^2 + σ²/50 and E[v] = σ²·49/50; ys ~ normal(m, sqrt(v)):
        // E[mean(ys^2)] = E[m^2 + v] = mu^2 + σ².
        let program = """
            set(seed = 5, particles = 40000)
            param mu = 0.4
            param log_sigma = 0.1
            xs = [normal(mu, exp(log_sigma)) for i in 0..50]
            m = mean(xs)
            sd = std(xs)
            ys = [normal(m, sd) for j in 0..50]
            loss = mean([y^2 for y in ys])
            E[m]
            grad(E[loss])
            """
        let sigma2 = exp(0.2)
        let e = expectations(program)
        #expect(agrees(e[0], 0.4))
        let g = gradients(program)[0]
        #expect(agrees(g.objective, 0.16 + sigma2))
        #expect(agrees(g["mu"], 0.8))
        #expect(agrees(g["log_sigma"], 2 * sigma2))
        #expect(g.estimators.count == 100)
    }

    @Test func normalFeedingABernoulli() {
        // The score term of b flows back through z pathwise (the mixed case):
        // d/dmu E[b] = E[sigmoid'(z)].
        let program = """
            set(seed = 8, particles = 200000)
            param mu = 0.3
            z = normal(mu, 1.2)
            b = bernoulli(sigmoid(z))
            E[b]
            grad(E[b])
            grad(E[b + z^2])
            """
        func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        let exactMean = gaussianExpectation(mean: 0.3, sd: 1.2, sigmoid)
        let exactSlope = gaussianExpectation(mean: 0.3, sd: 1.2) { sigmoid($0) * (1 - sigmoid($0)) }
        let e = expectations(program)
        #expect(agrees(e[0], exactMean))
        let g = gradients(program)
        #expect(agrees(g[0]["mu"], exactSlope))
        #expect(agrees(g[1]["mu"], exactSlope + 2 * 0.3))
        #expect(g[0].estimators.map(\.estimator) == ["pathwise", "exact"])
        let score = gradients(program.replacingOccurrences(of: "sigmoid(z))", with: "sigmoid(z)) @score"))
        #expect(score[0].estimators.map(\.estimator) == ["pathwise", "score"])
        #expect(agrees(score[0]["mu"], exactSlope))
        #expect(agrees(score[1]["mu"], exactSlope + 2 * 0.3))
    }

    @Test func aBernoulliSwitchingANormalsMean() {
        // E[x^2] = p (m1^2 + 1) + (1 - p)(m0^2 + 1), p = sigmoid(theta).
        for form in ["m = b * m1 + (1 - b) * m0", "if b == 1 { m = m1 } else { m = m0 }"] {
            let program = """
                set(seed = 21, particles = 200000)
                param theta = 0.4
                param m0 = -1
                param m1 = 2
                b = bernoulli(sigmoid(theta))
                \(form)
                x = normal(m, 1)
                grad(E[x^2])
                """
            let p = 1 / (1 + exp(-0.4))
            let g = gradients(program)[0]
            #expect(agrees(g.objective, p * 5 + (1 - p) * 2), "\(form)")
            #expect(agrees(g["theta"], p * (1 - p) * (4 - 1)), "\(form)")
            #expect(agrees(g["m1"], 2 * p * 2), "\(form)")
            #expect(agrees(g["m0"], 2 * (1 - p) * -1), "\(form)")
        }
    }

    @Test func blackScholesCallDelta() {
        // The pathwise derivative through max(S - K, 0) is unbiased: delta = N(d1).
        let program = """
            set(seed = 13, particles = 200000)
            param S0 = 100
            K = 105; r = 0.03; vol = 0.25; T = 0.5
            z = normal(0, 1)
            ST = S0 * exp((r - vol^2 / 2) * T + vol * sqrt(T) * z)
            price = exp(-r * T) * max(ST - K, 0)
            grad(E[price])
            """
        let d1 = (log(100.0 / 105) + (0.03 + 0.25 * 0.25 / 2) * 0.5) / (0.25 * 0.5.squareRoot())
        let d2 = d1 - 0.25 * 0.5.squareRoot()
        let g = gradients(program)[0]
        #expect(agrees(g["S0"], Phi(d1)))
        #expect(agrees(g.objective, 100 * Phi(d1) - 105 * exp(-0.03 * 0.5) * Phi(d2)))
    }

    @Test func rebarToyProblem() {
        // E[(b - 0.499)^2] with b ~ bernoulli(sigmoid(theta)): at theta = 0 the
        // gradient is sigmoid'(0)·(0.501^2 - 0.499^2) = 0.25 · 0.002 = 0.0005.
        let program = """
            set(seed = 17)
            param theta = 0
            b = bernoulli(sigmoid(theta))
            grad(E[(b - 0.499)^2])
            """
        let g = gradients(program)[0]
        // The exact 2-point derivative: the same value in every particle.
        #expect(g.estimators.map(\.estimator) == ["exact"])
        #expect(abs(g["theta"].value - 0.0005) < 1e-12)
        #expect(g["theta"].stderr < 1e-12)
        // The score function with a leave-one-out baseline, on request.
        let score = gradients(program.replacingOccurrences(of: "sigmoid(theta))", with: "sigmoid(theta)) @score"))[0]
        #expect(score.estimators.map(\.estimator) == ["score"])
        #expect(agrees(score["theta"], 0.0005))
        #expect(score["theta"].stderr < 0.0005 / 10, "the baseline keeps the toy's error small")
    }

    @Test func resultsAreIdenticalForOneAndTwoThreads() {
        let program = """
            param mu = 0.2
            h = mu
            for t in 0..10 { h = normal(0.9 * h, 0.3) }
            b = bernoulli(sigmoid(h))
            grad(E[h^2 + b])
            E[h]
            """
        func results(threads: Int) -> String {
            let text = "set(seed = 4, particles = 30001, threads = \(threads))\n" + program
            return run(text).lines.joined(separator: "\n")
        }
        let one = results(threads: 1)
        #expect(one == results(threads: 2))
        #expect(one == results(threads: 3))
        #expect(!one.isEmpty)
    }

    @Test func eachExpectationDrawsAfreshButXMinusXIsZero() {
        let e = expectations("set(seed = 1)\nx = normal(0, 1)\nE[x]\nE[x]\nE[x - x]")
        #expect(e[0].value != e[1].value)
        #expect(e[2].value == 0 && e[2].stderr == 0)
    }

    @Test func aSeedReproducesARun() {
        let program = "x = normal(0, 1)\nE[x^3 + x]\ngrad(E[x])"
        #expect(run("set(seed = 9)\n" + program).lines == run("set(seed = 9)\n" + program).lines)
        #expect(run("set(seed = 9)\n" + program).lines != run("set(seed = 10)\n" + program).lines)
    }

    @Test func randomIfIsTracedBothWays() {
        // y = 1 where x > 0, else x^2: E[y] = 1/2 + E[x^2; x < 0] = 1/2 + 1/2.
        let program = """
            set(seed = 2, particles = 100000)
            x = normal(0, 1)
            if x > 0 { y = 1 } else { y = x^2 }
            E[y]
            """
        #expect(agrees(expectations(program)[0], 1))
    }

    @Test func perParticleChecksOfDistributionParameters() {
        let outcome = run("set(particles = 10000)\nz = normal(0, 1)\nw = normal(1, z)\nE[w]")
        #expect(outcome.exitCode == 70)
        let message = outcome.errors.first ?? ""
        #expect(message.hasPrefix("3:5: sigma must be > 0 (got -"), "\(message)")
        #expect(message.hasSuffix("of 10000 particles)"))
        #expect(run("p = normal(0.5, 0.3)\nb = bernoulli(p)\nE[b]").errors.first?.contains("p must be between 0 and 1") == true)
        #expect(run("x = normal(0, -1)").errors == ["1:15: sigma must be > 0 (got -1)"])
        #expect(run("b = bernoulli(1.5)").errors == ["1:15: p must be between 0 and 1 (got 1.5)"])
        #expect(run("x = normal(0, 1)\ny = log(x)\nE[y]").errors.first?.hasPrefix("2:5: 'y' is not a finite number in") == true)
    }

    @Test func tracingErrors() {
        #expect(run("x = normal(0, 1)\nif x > 0 { print(1) }").errors ==
                ["2:12: 'print' inside an if whose condition is traced (line 2) would happen in some particles only; move it out of the if"])
        #expect(run("x = normal(0, 1)\nif x > 0 { param p = 1 }").errors.first?.contains("'param' inside an if") == true)
        #expect(run("fn f(v) {\n  if v > 0 { return 1 }\n}\nf(normal(0, 1))").errors ==
                ["4:1: 'f' returns a value in some particles only (the return at line 2 is under a condition that depends on a random value); end the function with a return for the others"])
        #expect(run("s = \"ab\"\ni = bernoulli(0.5)\ns[i]").errors ==
                ["3:3: only a non-empty list of numbers can be indexed by a traced value"])
        #expect(run("xs = [\"a\", \"b\"]\ni = bernoulli(0.5)\nxs[i]").errors ==
                ["3:1: a list indexed by a traced value must hold numbers, not a string"])
        #expect(run("param w = normal(0, 1)").errors ==
                ["1:11: a parameter's initial value must be a number, not a random value"])
        #expect(run("x = normal(0, 1)\nif x > 0 { t = 1; y = t } else { y = 2 }\nt").errors ==
                ["3:1: 't' was bound in only one branch of the if on a random condition at line 2, so it has no value here"])
        #expect(run("x = normal(0, 1) @exact").errors ==
                ["1:5: @exact applies to bernoulli and categorical; a normal takes @pathwise, @score or @mvd"])
        #expect(run("f = 3 @score").exitCode == 65)
        #expect(run("fn f(v) = v\nx = f(1) @score").errors == ["2:5: @score applies to a call of normal, bernoulli, uniform, exponential, gamma, beta, poisson, categorical, lognormal or student_t"])
        #expect(run("grad(3)").errors == ["1:1: grad needs an expectation as its first argument: grad(E[...])"])
        #expect(run("x = normal(0, 1)\ngrad(E[x], wrt = [x])").errors ==
                ["2:18: wrt lists parameters, but it holds a value computed from them"])
    }

    @Test func displaysOfRandomValues() {
        let values = displayedValues("set(seed = 1)\nparam mu = 2\nx = normal(mu, 1)\nx\nmu * 3\nhist(x, bins = 5)")
        guard values.count == 3, case .report(.cloud(let cloud)) = values[0], case .number(let y) = values[1],
              case .report(.cloud(let histogram)) = values[2] else {
            Issue.record("unexpected values \(values)")
            return
        }
        #expect(agrees((cloud.mean, cloud.stderr), 2))
        #expect(abs(cloud.sd - 1) < 0.05)
        #expect(cloud.histogram.reduce(0, +) == 10_000)
        #expect(y == 6)
        // Round bins, about five of them, covering every particle.
        #expect((3...8).contains(histogram.histogram.count))
        #expect(histogram.histogram.reduce(0, +) == 10_000)
        if let bins = histogram.bins {
            #expect(bins.start <= histogram.min && bins.end > histogram.max)
        } else {
            Issue.record("a histogram has its bins")
        }
        #expect(histogram.isHistogram)
        let text = run("set(seed = 1)\nx = normal(0, 1)\nx").lines[0]
        #expect(text.hasPrefix("~ "))
    }

    @Test func explainShowsTheGraph() {
        let text = run("param mu = 0.5\nx = normal(mu, exp(0.1 * mu))\nloss = (x - 3)^2\nexplain(loss)").lines.joined(separator: "\n")
        #expect(text.contains("{ lambda mu ."))
        #expect(text.contains("x = normal[pathwise] mu b"))
        #expect(text.contains("# test.wgl:2:5"))
        #expect(text.contains("in ( loss ) }"))
        #expect(text.contains("x  normal  pathwise  (pathwise: every use is smooth"))
    }

    @Test func aTracedGraphIsReusedNotRetraced() {
        let session = Session()
        _ = run("param mu = 0\nx = normal(mu, 1)\nloss = (x - 2)^2", session: session)
        let traced = session.graphSize
        _ = run("E[loss]\ngrad(E[loss])\ngrad(E[loss])\nminimize(E[loss], steps = 50)", session: session)
        #expect(session.graphSize == traced)
    }

    @Test func minimizeReachesTheOptimum() {
        // E[(x - 3)^2 - 2 ls] = (mu - 3)^2 + e^{2 ls} - 2 ls is smallest at mu = 3, ls = 0.
        let program = """
            set(seed = 6, particles = 2000)
            param mu = 0
            param ls = 1
            x = normal(mu, exp(ls))
            minimize(E[(x - 3)^2 - 2 * ls], steps = 400, lr = 0.05)
            mu
            ls
            """
        let values = displayedValues(program)
        guard values.count == 3, case .number(let mu) = values[1], case .number(let ls) = values[2] else {
            Issue.record("unexpected \(values)")
            return
        }
        #expect(abs(mu - 3) < 0.1)
        #expect(abs(ls) < 0.1)
    }
}
