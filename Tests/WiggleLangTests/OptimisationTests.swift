import Foundation
import Testing
import WiggleLang

/// The number a program displays last.
func lastNumber(_ program: String) -> Double? {
    for value in displayedValues(program).reversed() {
        if case .number(let x) = value { return x }
        if case .string(let message) = value { Issue.record(Comment(rawValue: message)) }
    }
    return nil
}

@Suite struct OptimisationTests {
    @Test func sgdStepsMatchHandComputedUpdates() {
        // f(a) = (a - 3)^2, f'(a) = 2(a - 3). From a = 1 with lr 0.1:
        // a1 = 1 - 0.1·(-4) = 1.4, a2 = 1.4 - 0.1·(-3.2) = 1.72.
        let a = lastNumber("param a = 1\nminimize(E[(a - 3)^2], steps = 2, lr = 0.1, optimizer = \"sgd\")\na")
        #expect(abs((a ?? 0) - 1.72) < 1e-12)
    }

    @Test func adamStepsMatchHandComputedUpdates() {
        // Adam with β1 0.9, β2 0.999, ε 1e-8 on f(a) = (a - 3)^2 from a = 1, lr 0.1.
        var a = 1.0, m = 0.0, v = 0.0
        for t in 1...3 {
            let g = 2 * (a - 3)
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            let mHat = m / (1 - pow(0.9, Double(t)))
            let vHat = v / (1 - pow(0.999, Double(t)))
            a -= 0.1 * mHat / (vHat.squareRoot() + 1e-8)
        }
        let result = lastNumber("param a = 1\nminimize(E[(a - 3)^2], steps = 3, lr = 0.1)\na")
        #expect(abs((result ?? 0) - a) < 1e-12)
    }

    @Test func maximizeClimbs() {
        // -(a - 2)^2 is largest at a = 2.
        let a = lastNumber("param a = -1\nmaximize(E[-(a - 2)^2], steps = 500, lr = 0.05)\na")
        #expect(abs((a ?? 0) - 2) < 1e-3)
    }

    @Test func reachesTheKnownOptimum() {
        // E[(x - 3)^2 - 2 ls] with x ~ normal(mu, e^ls) is (mu - 3)^2 + e^{2 ls} - 2 ls: smallest at mu = 3, ls = 0.
        let values = displayedValues("""
            set(seed = 6, particles = 2000)
            param mu = 0
            param ls = 1
            x = normal(mu, exp(ls))
            minimize(E[(x - 3)^2 - 2 * ls], steps = 600, lr = 0.05)
            mu
            ls
            """)
        guard values.count == 3, case .report(.optimisation(let result)) = values[0], case .number(let mu) = values[1],
              case .number(let ls) = values[2] else {
            Issue.record("unexpected \(values)")
            return
        }
        #expect(abs(mu - 3) < 0.1)
        #expect(abs(ls) < 0.1)
        #expect(result.steps == 600 && !result.interrupted)
        #expect(agrees(result.objective, 1, 5))
        #expect(result.trajectory.count == 600)
        #expect(result.trajectory[0] > result.trajectory[599])
    }

    /// Each step takes 1,000 particles by default (fewer when the session
    /// has fewer), the objective reached the session's count; `particles =`
    /// sets both. Seen in the standard errors: x ~ N(m, 1), so an estimate
    /// of E[x] from n particles has standard error about 1/√n.
    @Test func stepsTakeAThousandParticlesByDefault() {
        func result(_ program: String) -> OptimisationResult? {
            guard case .report(.optimisation(let result))? = displayedValues(program).first else { return nil }
            return result
        }
        let byDefault = result("set(seed = 3, particles = 40000)\nparam m = 0\nminimize(E[normal(m, 1)], steps = 5)")
        let given = result("set(seed = 3, particles = 40000)\nparam m = 0\nminimize(E[normal(m, 1)], steps = 5, particles = 4000)")
        let small = result("set(seed = 3, particles = 400)\nparam m = 0\nminimize(E[normal(m, 1)], steps = 5)")
        func near(_ se: Double?, _ n: Double) -> Bool { se.map { abs($0 * n.squareRoot() - 1) < 0.1 } ?? false }
        #expect(near(byDefault?.trajectoryStderr.first, 1_000))
        #expect(near(byDefault?.objective.stderr, 40_000))
        #expect(near(given?.trajectoryStderr.first, 4_000) && near(given?.objective.stderr, 4_000))
        #expect(near(small?.trajectoryStderr.first, 400) && near(small?.objective.stderr, 400))
    }

    @Test func banditPolicyFindsTheBetterArm() {
        // Arm 1 pays 1, arm 0 pays 0.3, both with noise: REINFORCE on a bernoulli policy.
        let p = lastNumber("""
            set(seed = 12, particles = 1000)
            param theta = 0
            arm = bernoulli(sigmoid(theta)) @score
            reward = arm * 1 + (1 - arm) * 0.3 + normal(0, 0.2)
            maximize(E[reward], steps = 150, lr = 0.1)
            sigmoid(theta)
            """)
        #expect((p ?? 0) > 0.9)
    }

    @Test func vectorParametersInGradientsAndOptimisation() {
        // x ~ normal(w0 + 2 w1, 1): d/dw E[x^2 + w2] = (2m, 4m, 1) with m = w0 + 2 w1.
        let g = gradients("""
            set(seed = 3, particles = 100000)
            param w[3] = [1, 0.5, -1]
            x = normal(w[0] + 2 * w[1], 1)
            grad(E[x^2 + w[2]])
            grad(E[x^2 + w[2]], wrt = [w])
            """)
        #expect(g.count == 2)
        #expect(g[1].entries.map(\.name) == ["w[0]", "w[1]", "w[2]"])
        #expect(agrees(g[0]["w[0]"], 4))
        #expect(agrees(g[0]["w[1]"], 8))
        #expect(abs(g[0]["w[2]"].value - 1) < 1e-12)
        // A tiny linear model fitted by minimize: w -> (2, -1) for targets 2 x - 1.
        let fitted = displayedValues("""
            param w[2] = normal_init(0.1)
            xs = [0, 1, 2, 3]
            loss = mean([(w[0] * x + w[1] - (2 * x - 1))^2 for x in xs])
            minimize(E[loss], steps = 2000, lr = 0.05)
            w
            len(w)
            """)
        guard fitted.count == 3, case .list(let w) = fitted[1], case .number(let n) = fitted[2],
              case .number(let w0) = w[0], case .number(let w1) = w[1] else {
            Issue.record("unexpected \(fitted)")
            return
        }
        #expect(abs(w0 - 2) < 1e-3 && abs(w1 + 1) < 1e-3)
        #expect(n == 2)
    }

    @Test func normalInitDrawsFromTheSeed() {
        let first = run("set(seed = 4)\nparam w[5] = normal_init(0.1)\nw").lines
        let again = run("set(seed = 4)\nparam w[5] = normal_init(0.1)\nw").lines
        let other = run("set(seed = 5)\nparam w[5] = normal_init(0.1)\nw").lines
        #expect(first == again)
        #expect(first != other)
        let values = displayedValues("set(seed = 4)\nparam w[2000] = normal_init(0.5, mean = 1)\nmean(w)\nstd(w)")
        guard case .number(let m) = values[0], case .number(let s) = values[1] else {
            Issue.record("unexpected \(values)")
            return
        }
        #expect(abs(m - 1) < 4 * 0.5 / sqrt(2000))
        #expect(abs(s - 0.5) < 0.05)
    }

    @Test func optimisationErrors() {
        #expect(run("param a = 1\nminimize(E[a^2], lr = -1)").errors == ["2:23: lr must be a positive number, got -1"])
        #expect(run("param a = 1\nminimize(E[a^2], optimizer = \"newton\")").errors == ["2:30: optimizer must be \"adam\" or \"sgd\""])
        #expect(run("param a = 1\nminimize(E[a^2], speed = 2)").errors.first?.hasPrefix("2:18: minimize has no option 'speed'") == true)
        let diverging = run("param a = 1\nminimize(E[a^4], steps = 100, lr = 10, optimizer = \"sgd\")")
        #expect(diverging.exitCode == 70)
        #expect(diverging.errors.first?.contains("diverged") == true || diverging.errors.first?.contains("not a finite number") == true,
                "\(diverging.errors)")
    }

    @Test func parametersStayUpdatedForTheRestOfTheProgram() {
        let session = Session()
        _ = run("param a = 0\nminimize(E[(a - 5)^2], steps = 1000, lr = 0.1)", session: session)
        let later = run("a", session: session).lines
        #expect(later.count == 1)
        #expect(abs((Double(later[0]) ?? 0) - 5) < 1e-3)
    }
}
