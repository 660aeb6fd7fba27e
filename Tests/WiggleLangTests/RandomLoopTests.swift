import Foundation
import Testing
import WiggleLang

/// Issue 14: loops whose length is random. Each estimate is checked against
/// an exact value derived here (closed form, or a long independent
/// simulation with its own generator) within 5 standard errors at a fixed seed.
@Suite struct RandomLoopTests {
    /// Within 5 standard errors of a reference that has its own error.
    func close(_ estimate: (value: Double, stderr: Double), _ reference: (value: Double, stderr: Double)) -> Bool {
        let spread = (estimate.stderr * estimate.stderr + reference.stderr * reference.stderr).squareRoot()
        let ok = abs(estimate.value - reference.value) <= 5 * spread
        if !ok { print("MISMATCH \(estimate) vs reference \(reference)") }
        return ok
    }

    @Test func geometricCount() {
        // N = the number of 1s before the first 0: E[N] = p/(1-p), dE/dp = 1/(1-p)².
        let text = """
            set(seed = 1, particles = 100000)
            param p = 0.75
            n = 0
            while bernoulli(p) == 1 { n = n + 1 }
            E[n]
            grad(E[n])
            """
        let e = expectations(text)[0]
        let g = gradients(text)[0]
        #expect(agrees(e, 3, 5))
        #expect(agrees(g["p"], 16, 5))
        // The pilot weighs stochastic triples through the loop against the
        // score function: the alternative path that goes on (or stops) is
        // far less noisy here.
        #expect(g.estimators.allSatisfy { $0.estimator == "triple" }, "\(g.estimators.map(\.estimator))")
        #expect(g.warnings.isEmpty)
    }

    @Test func gamblersRuin() {
        // From 3, +1 with probability p, -1 otherwise, until 0 or 8:
        // P(reach 8) = (1 - r^3) / (1 - r^8) with r = (1-p)/p.
        let text = """
            set(seed = 2, particles = 100000)
            param p = 0.55
            x = 3
            while x > 0 and x < 8 { x = x + 2 * bernoulli(p) - 1 }
            grad(E[x == 8])
            """
        let g = gradients(text)[0]
        func win(_ p: Double) -> Double {
            let r = (1 - p) / p
            return (1 - pow(r, 3)) / (1 - pow(r, 8))
        }
        let h = 1e-5
        #expect(agrees(g.objective, win(0.55), 5))
        #expect(agrees(g["p"], (win(0.55 + h) - win(0.55 - h)) / (2 * h), 5))
    }

    /// A generator for the reference simulations (SplitMix64, Box–Muller).
    struct Reference {
        var state: UInt64
        mutating func uniform() -> Double {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return (Double((z ^ (z >> 31)) >> 11) + 0.5) * 0x1.0p-53
        }
        mutating func normal() -> Double {
            (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
        }
    }

    @Test func firstPassageOfAGaussianWalk() {
        // T = the first t with x_t >= 3, x_t = x_{t-1} + normal(mu, 1). The
        // reference: a long independent simulation, and for d/dmu a central
        // difference with common random numbers (its O(h²) bias is far
        // below the errors here).
        let text = """
            set(seed = 3, particles = 100000)
            param mu = 0.5
            x = 0
            t = 0
            while x < 3 {
              x = x + normal(mu, 1)
              t = t + 1
            }
            grad(E[t])
            """
        let g = gradients(text)[0]
        #expect(g.estimators.allSatisfy { $0.estimator == "score" })
        var generator = Reference(state: 12345)
        let n = 400_000, h = 0.01
        var sum = 0.0, sumSquares = 0.0, difference = 0.0, differenceSquares = 0.0
        var noise: [Double] = []
        for _ in 0..<n {
            noise.removeAll(keepingCapacity: true)
            func passage(_ mu: Double) -> Double {
                var x = 0.0, t = 0
                while x < 3 {
                    if t == noise.count { noise.append(generator.normal()) }
                    x += mu + noise[t]
                    t += 1
                }
                return Double(t)
            }
            let t = passage(0.5)
            let d = (passage(0.5 + h) - passage(0.5 - h)) / (2 * h)
            sum += t; sumSquares += t * t
            difference += d; differenceSquares += d * d
        }
        let count = Double(n)
        func estimate(_ s: Double, _ s2: Double) -> (value: Double, stderr: Double) {
            let mean = s / count
            return (mean, ((s2 / count - mean * mean) / (count - 1)).squareRoot())
        }
        #expect(close(g.objective, estimate(sum, sumSquares)))
        #expect(close(g["mu"], estimate(difference, differenceSquares)))
    }

    @Test func earlyReturnFromARandomIf() {
        // f(x) = 2x for x > 0, -x otherwise, x ~ normal(mu, 1):
        // E f = 3(mu Φ(mu) + φ(mu)) - mu, dE/dmu = 3Φ(mu) - 1.
        let text = """
            set(seed = 4, particles = 100000)
            param mu = 0.5
            fn f(v) {
              if v > 0 { return 2 * v }
              return -v
            }
            x = normal(mu, 1)
            grad(E[f(x)])
            """
        let g = gradients(text)[0]
        #expect(agrees(g.objective, 3 * (0.5 * Phi(0.5) + phi(0.5)) - 0.5, 5))
        #expect(agrees(g["mu"], 3 * Phi(0.5) - 1, 5))
    }

    @Test func breakUnderARandomCondition() {
        // Count the 0s before the first 1 of bernoulli(p), at most 10:
        // E n = Σ_{k=1..10} (1-p)^k, and its derivative in p.
        let text = """
            set(seed = 5, particles = 100000)
            param p = 0.3
            n = 0
            for i in 0..10 {
              if bernoulli(p) == 1 { break }
              n = n + 1
            }
            grad(E[n])
            """
        let g = gradients(text)[0]
        let mean = (1...10).reduce(0.0) { $0 + pow(0.7, Double($1)) }
        let slope = (1...10).reduce(0.0) { $0 - Double($1) * pow(0.7, Double($1 - 1)) }
        #expect(agrees(g.objective, mean, 5))
        #expect(agrees(g["p"], slope, 5))
    }

    @Test func continueUnderARandomCondition() {
        // Add i for the i whose coin says so: E = p Σ i = 45 p, d/dp = 45.
        let text = """
            set(seed = 6, particles = 100000)
            param p = 0.4
            s = 0
            for i in 0..10 {
              if bernoulli(p) == 0 { continue }
              s = s + i
            }
            grad(E[s])
            """
        let g = gradients(text)[0]
        #expect(agrees(g.objective, 18, 5))
        #expect(agrees(g["p"], 45, 5))
    }

    @Test func randomForBound() {
        // k ~ poisson(lam): Σ_{i<k} i = k(k-1)/2, E = lam²/2, d/dlam = lam.
        let text = """
            set(seed = 7, particles = 100000)
            param lam = 3
            k = poisson(lam)
            s = 0
            for i in 0..k { s = s + i }
            grad(E[s])
            """
        let g = gradients(text)[0]
        #expect(agrees(g.objective, 4.5, 5))
        #expect(agrees(g["lam"], 3, 5))
    }

    @Test func pathwiseThroughARandomLoop() {
        // A normal that only adds up stays pathwise inside the loop: with
        // N geometric (p = 0.5, mean 1) steps of normal(mu, 1),
        // E[s] = mu E[N] and d/dmu = E[N] = 1.
        let text = """
            set(seed = 8, particles = 100000)
            param mu = 2
            s = 0
            while bernoulli(0.5) == 1 { s = s + normal(mu, 1) }
            grad(E[s])
            """
        let g = gradients(text)[0]
        #expect(agrees(g.objective, 2, 5))
        #expect(agrees(g["mu"], 1, 5))
        #expect(g.estimators.contains { $0.estimator == "pathwise" })
    }

    @Test func theLoopLimitIsAnErrorNotATruncation() {
        let outcome = run("""
            set(particles = 1000, loop_limit = 20)
            n = 0
            while bernoulli(0.9) == 1 { n = n + 1 }
            E[n]
            """)
        #expect(outcome.exitCode == 70)
        let message = outcome.errors.first ?? ""
        // P(N >= 20) = 0.9^20 ≈ 0.12: about 120 of 1000 particles.
        #expect(message.hasPrefix("3:7: "), "\(message)")
        #expect(message.contains("of 1000 particles were still running this loop after 20 iterations, the loop limit; raise it with set(loop_limit = N) or --loop-limit N"))
        let running = Int(message.dropFirst(5).prefix { $0.isNumber }) ?? 0
        #expect(running > 60 && running < 200, "\(message)")
        // Raised, it runs.
        #expect(run("set(particles = 1000, loop_limit = 400)\nn = 0\nwhile bernoulli(0.9) == 1 { n = n + 1 }\nE[n]").exitCode == 0)
    }

    @Test func identicalAcrossThreads() {
        let program = { (threads: Int) in """
            set(seed = 9, particles = 20000, threads = \(threads))
            param w[4] = 0.3
            pos = 0
            t = 0
            while pos < 4 and bernoulli(0.9) == 1 {
              right = bernoulli(sigmoid(w[pos]))
              pos = max(pos + 2 * right - 1, 0)
              t = t + 1
            }
            grad(E[(pos == 4) - 0.05 * t])
            """ }
        let one = run(program(1)).text, two = run(program(2)).text, four = run(program(4)).text
        #expect(one == two && two == four)
        #expect(!one.isEmpty && !one.contains("error"))
    }
}

/// The examples of issue 14, beyond their golden output.
@Suite struct RandomLoopExampleTests {
    func number(_ value: Value) -> Double {
        if case .number(let x) = value { return x }
        return .nan
    }

    func example(_ name: String) throws -> [Value] {
        let url = repositoryRoot.appendingPathComponent("examples").appendingPathComponent(name)
        return displayedValues(try String(contentsOf: url, encoding: .utf8))
    }

    @Test func theCorridorAgentLearnsToGoRight() throws {
        let values = try example("episode.wgl")
        guard values.count == 4, case .list(let policy) = values[2], case .estimate(let after) = values[3] else {
            Issue.record("unexpected output \(values)")
            return
        }
        // Every cell's probability of stepping right ends near 1.
        #expect(policy.count == 4)
        #expect(policy.allSatisfy { number($0) > 0.95 }, "\(policy)")
        // And the return is that of the optimal policy (always right), within 5 se.
        let success = pow(0.9, 4) * 0.8
        let timeouts = 0.05 * 0.1 * (0.9 + 2 * 0.81 + 3 * 0.729)
        let optimum = success - timeouts
        #expect(abs(after.value - optimum) < 5 * after.stderr + 0.01, "\(after.value) ± \(after.stderr) vs \(optimum)")
    }

    @Test func theDailyBarrierAgreesWithTheCorrectedClosedForm() throws {
        let values = try example("barrier.wgl")
        guard values.count == 7, case .estimate(let price) = values[0], case .estimate(let delta) = values[1] else {
            Issue.record("unexpected output \(values)")
            return
        }
        // The continuous-monitoring down-and-out call (Hull), barrier shifted
        // by Broadie–Glasserman–Kou, computed here independently.
        let (S, K, H, r, vol, T, m) = (100.0, 100.0, 90.0, 0.05, 0.25, 0.5, 126.0)
        func downAndOut(_ S: Double, _ barrier: Double) -> Double {
            let s = vol * T.squareRoot()
            let d1 = (log(S / K) + (r + vol * vol / 2) * T) / s
            let call = S * Phi(d1) - K * exp(-r * T) * Phi(d1 - s)
            let lambda = (r + vol * vol / 2) / (vol * vol)
            let y = log(barrier * barrier / (S * K)) / s + lambda * s
            return call - (S * pow(barrier / S, 2 * lambda) * Phi(y)
                           - K * exp(-r * T) * pow(barrier / S, 2 * lambda - 2) * Phi(y - s))
        }
        let shifted = H * exp(-0.5826 * vol * (T / m).squareRoot())
        let bgkPrice = downAndOut(S, shifted)
        let bgkDelta = (downAndOut(S + 1e-4, shifted) - downAndOut(S - 1e-4, shifted)) / 2e-4
        // The BGK correction is exact only as m grows: its error here is
        // about 0.01 in price; allowed on top of 5 standard errors.
        #expect(abs(price.value - bgkPrice) < 5 * price.stderr + 0.02, "\(price) vs \(bgkPrice)")
        #expect(abs(delta.value - bgkDelta) < 5 * delta.stderr + 0.005, "\(delta) vs \(bgkDelta)")
        // The program's own closed form agrees with this one.
        #expect(abs(number(values[2]) - bgkPrice) < 1e-4)
    }
}
