import Foundation
import Testing
import WiggleLang

/// Issue 30: a loop of random length is traced until two iterations have
/// one shape, then no further (the last stands for the rest). Every number
/// must be the one the loop unrolled to its limit gives: the same streams,
/// the same merge order, the same estimators.
@Suite struct LoopRepetitionTests {
    /// A program's whole output (values, estimator lines, errors), with
    /// loops repeating or unrolled.
    func output(_ text: String, repeating: Bool, forward: Bool = true) -> String {
        let session = Session()
        session.repeatsLoops = repeating
        session.forwardGradients = forward
        let outcome = run(text, session: session)
        return (outcome.lines + outcome.errors).joined(separator: "\n")
    }

    static let programs: [String] = [
        // The geometric count: E, its score-function gradient, its Hessian.
        """
        set(seed = 1, particles = 20000)
        param t = 0.8
        n = 0
        while bernoulli(sigmoid(t)) { n = n + 1 }
        E[n]
        grad(E[n])
        hessian(E[n])
        """,
        // A Gaussian walk to a level: pathwise and score through the loop,
        // a second derivative with pathwise tangents leaving through exits.
        """
        set(seed = 2, particles = 20000)
        param mu = 0.4
        param s = 1
        x = 0
        k = 0
        while x < 3 { x = x + normal(mu, s)
          k = k + 1 }
        E[k]
        grad(E[k])
        grad(E[x * x])
        hvp(E[x * x], [1, 0.5])
        """,
        // A sum over a loop of random length, differentiated twice pathwise.
        """
        set(seed = 3, particles = 20000)
        param mu = 0.3
        s = 0
        while bernoulli(0.6) { s = s + normal(mu, 1) }
        hessian(E[s^2])
        """,
        // The gambler's ruin: an `and` in the condition, two barriers.
        """
        set(seed = 4, particles = 20000)
        param p = 0.55
        x = 3
        while x > 0 and x < 8 { x = x + 2 * bernoulli(p) - 1 }
        grad(E[x == 8])
        """,
        // A per-particle index into a parameter vector, a function call, a
        // traced if and a break under a random condition in the body.
        """
        set(seed = 5, particles = 20000)
        param w[4] = 0
        fn step(cell) { return bernoulli(sigmoid(w[cell])) }
        cell = 0
        steps = 0
        while cell < 4 and bernoulli(0.9) == 1 {
          if normal(0, 1) > 2.5 { break }
          cell = max(cell + 2 * step(cell) - 1, 0)
          steps = steps + 1
        }
        reward = (cell == 4) - 0.05 * steps
        E[reward]
        grad(E[reward])
        maximize(E[reward], steps = 3, lr = 0.3)
        E[reward]
        """,
        // A `for` with a random bound, a continue, two loops in a row.
        """
        set(seed = 6, particles = 20000)
        param a = 2.5
        m = poisson(a)
        total = 0
        for i in 0..m {
          u = uniform(0, 1)
          if u < 0.2 { continue }
          total = total + u
        }
        y = 0
        while y < total { y = y + exponential(1) }
        E[total]
        grad(E[y])
        """,
        // A pathwise gradient through a loop of some hundreds of
        // iterations: past the template only every 64th iteration is kept,
        // and the reverse sweep re-runs the segments between.
        """
        set(seed = 8, particles = 3000, loop_limit = 3000)
        param mu = 0.01
        param s = 1
        x = 0
        k = 0
        while bernoulli(0.995) { x = x + normal(mu, s)
          k = k + 1 }
        grad(E[x^2])
        hessian(E[x^2 + k])
        """,
        // A `for` over a known range that never reads its variable: a
        // recurrence of 600 steps, pathwise and checkpointed, and a sum of
        // squares beside it.
        """
        set(seed = 9, particles = 3000)
        param a = 0.9
        param s = 0.5
        param q = 0.2
        h = 0
        c = 0
        for t in 0..600 {
          h = normal(a * h, s)
          c = c + normal(q, 1)^2
        }
        E[h^2]
        grad(E[h^2 + c])
        hessian(E[h^2])
        """,
        // Randomised QMC (dimensions of iterations past the template), antithetic pairs, two threads.
        """
        set(seed = 7, particles = 4096, sampling = "rqmc", replicates = 4)
        param mu = 0.3
        x = 0
        k = 0
        while x < 2 { x = x + normal(mu, 1)
          k = k + 1 }
        E[k]
        grad(E[k])
        set(sampling = "antithetic", threads = 2)
        E[k]
        grad(E[x])
        set(sampling = "iid", threads = 2, particles = 30000)
        E[k]
        """,
    ]

    /// Every program prints the same, to the last digit, repeating or
    /// unrolled, with pathwise gradients through its loops carried forward
    /// or swept back from checkpoints.
    @Test(arguments: programs.indices, [true, false])
    func theSameBitsAsTheUnrolledLoop(_ index: Int, forward: Bool) {
        var repeating = output(Self.programs[index], repeating: true, forward: forward)
        var unrolled = output(Self.programs[index], repeating: false, forward: forward)
        if Self.programs[index].contains("for t in 0..600") {
            // Unrolled, a loop over a known range is plain code, whose
            // draws the second derivative folds a + b·z into: the same
            // numbers, other words on the estimator lines.
            func numbers(_ text: String) -> String {
                text.split(separator: "\n").filter { !$0.hasPrefix("  ") || !$0.contains("normal") }.joined(separator: "\n")
            }
            repeating = numbers(repeating)
            unrolled = numbers(unrolled)
        }
        // The pilot's ratios come from pilots whose sizes follow each
        // plan's work, which the unrolled loop counts otherwise: the
        // choices and every number must agree, not the ratios' words.
        func withoutRatios(_ text: String) -> String {
            text.replacingOccurrences(of: #"\([0-9.]+× lower variance than \w+\)"#, with: "(pilot)", options: .regularExpression)
        }
        repeating = withoutRatios(repeating)
        unrolled = withoutRatios(unrolled)
        #expect(!repeating.isEmpty)
        #expect(!repeating.contains("error"), "\(repeating)")
        #expect(repeating == unrolled)
    }

    /// At a limit of 20,000 the geometric count's graph stays a few
    /// iterations long (unrolled, it is 20,000), and its estimate is right:
    /// E[n] = e^t.
    @Test func theGraphHoldsAFewIterations() {
        let text = """
            set(seed = 8, particles = 20000, loop_limit = 20000)
            param t = 1.2
            n = 0
            while bernoulli(sigmoid(t)) { n = n + 1 }
            E[n]
            """
        let session = Session()
        let e = expectations(text, session: session)
        #expect(session.graphSize < 200)
        #expect(e.count == 1 && agrees(e[0], exp(1.2), 5))
    }

    /// The pathwise gradient through the loop is right, carried forward and
    /// swept back from checkpoints, and the two differ only by rounding
    /// (the same draws, the same derivatives, multiplied in another
    /// order): x, a sum of N normal(μ, 1) steps with N geometric (go on
    /// with 0.995), has E[x²] = E[N] + μ²E[N²], so d/dμ = 2μ E[N²],
    /// E[N²] = p(1 + p)/(1 − p)².
    @Test func aCheckpointedPathwiseGradientIsRight() {
        let text = """
            set(seed = 12, particles = 40000, loop_limit = 5000)
            param mu = 0.05
            x = 0
            while bernoulli(0.995) { x = x + normal(mu, 1) }
            grad(E[x^2])
            """
        let reverse = Session()
        reverse.forwardGradients = false
        let swept = gradients(text, session: reverse), carried = gradients(text)
        let p = 0.995, exact = 2 * 0.05 * p * (1 + p) / ((1 - p) * (1 - p))
        #expect(swept.count == 1 && agrees(swept[0]["mu"], exact, 5))
        #expect(carried.count == 1 && agrees(carried[0]["mu"], exact, 5))
        if let swept = swept.first, let carried = carried.first {
            #expect(abs(swept["mu"].value - carried["mu"].value) <= 1e-12 * abs(swept["mu"].value))
            #expect(abs(swept["mu"].stderr - carried["mu"].stderr) <= 1e-12 * swept["mu"].stderr)
            // Its tangents make the forward plan's chunks narrower: the objective's sums differ by rounding too.
            #expect(abs(swept.objective.value - carried.objective.value) <= 1e-12 * abs(swept.objective.value))
        }
    }

    /// Carried forward, a pathwise gradient through a loop of random length
    /// keeps two iterations, not a tape: a walk of mean 999 steps (limit
    /// 20,000) runs in 4 MiB, where its checkpoints need more than 16 MiB.
    /// d/dμ E[x²] = 2μ E[N²] as above; with two parameters (x + normal(μ, s)),
    /// d/ds E[x²] = 2s E[N]. Past four parameters the sweep runs back.
    @Test func aForwardGradientRunsInBoundedMemory() {
        let text = """
            set(seed = 15, particles = 4000, loop_limit = 20000)
            param mu = 0.01
            param s = 1.2
            x = 0
            while bernoulli(0.999) { x = x + normal(mu, s) }
            grad(E[x^2])
            """
        func session(megabytes: Int, forward: Bool) -> Session {
            var settings = Settings()
            settings.maxMemoryMB = megabytes
            let session = Session(settings: settings)
            session.forwardGradients = forward
            return session
        }
        let g = gradients(text, session: session(megabytes: 4, forward: true))
        let p = 0.999, meanN = p / (1 - p), meanN2 = p * (1 + p) / ((1 - p) * (1 - p))
        #expect(g.count == 1 && agrees(g[0]["mu"], 2 * 0.01 * meanN2, 5))
        #expect(g.count == 1 && agrees(g[0]["s"], 2 * 1.2 * meanN, 5))
        let swept = run(text, session: session(megabytes: 16, forward: false))
        #expect(swept.errors.contains { $0.contains("need more than 16 MiB per thread") }, "\(swept.errors)")
        // Five parameters: swept back, so the same 16 MiB is too little.
        let five = """
            set(seed = 15, particles = 4000, loop_limit = 20000)
            param m[4] = 0.01
            param s = 1.2
            x = 0
            while bernoulli(0.999) { x = x + normal(m[0] + m[1] + m[2] + m[3], s) }
            grad(E[x^2])
            """
        let many = run(five, session: session(megabytes: 16, forward: true))
        #expect(many.errors.contains { $0.contains("need more than 16 MiB per thread") }, "\(many.errors)")
    }

    /// Where the tangents would not repeat the loop's shape (y's is 0 in the
    /// first iteration, then read from the one before), the gradient is
    /// swept back: the reverse sweep's numbers to the last digit, the loop
    /// still repeating for what comes after.
    @Test func tangentsThatDoNotRepeatSweepBack() {
        let text = """
            set(seed = 16, particles = 2000, loop_limit = 5000)
            param m[4] = [0.01, 0.02, 0.5, 0.1]
            x = 0
            y = 0
            while bernoulli(0.99) { x = x + normal(m[0], 1) * m[2]
              y = tanh(y * m[3] + x * m[1]) }
            grad(E[x^2 + y])
            E[x^2]
            """
        let reverse = Session()
        reverse.forwardGradients = false
        let swept = run(text, session: reverse), carried = run(text)
        #expect(carried.errors.isEmpty, "\(carried.errors)")
        #expect(carried.lines == swept.lines)
        #expect(carried.text.contains("normal@5:33 ×5000"), "\(carried.text)")
    }

    /// A Gaussian random walk over a known range: h's tangent in the mean
    /// is the step count, the same in every particle. The derivative
    /// program once folded it to the number of the iterations traced (4),
    /// and the repeating loop's template then stood for every later
    /// iteration with it: grad 485 for 500,000, the Hessian 50,000 for
    /// 50,000,000. The gradient must be right (E[h²] = n²a² + n, so
    /// d/da = 2n²a), and the Hessian right (2n²) or an error, never
    /// another number.
    @Test func aTangentTheSameInEveryParticleIsNotFolded() {
        let walk = """
            set(seed = 3, particles = 4000)
            param a = 0.01
            h = 0
            for t in 0..5000 { h = h + normal(a, 1) }

            """
        let n = 5000.0
        let g = gradients(walk + "grad(E[h^2])")
        #expect(g.count == 1 && agrees(g[0]["a"], 2 * n * n * 0.01, 5))
        let hessian = run(walk + "hessian(E[h^2])")
        let exact = hessian.lines.first.map { $0.contains("50000000") || $0.contains("5e+07") } ?? false
        let refused = hessian.errors.contains { $0.contains("does not repeat one shape per iteration") }
        #expect(exact || refused, "\(hessian.lines) \(hessian.errors)")
    }

    /// A loop holding loops is traced to its limit, an inner loop in each of
    /// its iterations: writing tangents over all of them cost 2–4× the
    /// reverse sweep, so the gradient is swept back and the graph gains no
    /// derivative program (the same size both ways), where a single loop's
    /// gains one.
    @Test func aLoopHoldingLoopsIsSweptBack() {
        let nested = """
            set(seed = 41, particles = 500, loop_limit = 200)
            param mu = 0.1
            param a = 0.9
            x = 0
            while bernoulli(0.8) == 1 {
              while bernoulli(0.5) == 1 { x = x + normal(mu, 1) }
              x = x * a
            }
            grad(E[x^2])
            """
        let single = """
            set(seed = 41, particles = 500)
            param mu = 0.1
            x = 0
            while bernoulli(0.5) == 1 { x = x + normal(mu, 1) }
            grad(E[x^2])
            """
        func size(_ text: String, forward: Bool) -> Int {
            let session = Session()
            session.forwardGradients = forward
            let outcome = run(text, session: session)
            #expect(outcome.errors.isEmpty, "\(outcome.errors)")
            return session.graphSize
        }
        #expect(size(nested, forward: true) == size(nested, forward: false))
        #expect(size(single, forward: true) > size(single, forward: false))
    }

    /// A 5,000-step recurrence is a few iterations in the graph, explain
    /// shows its body once, and it is right: h ~ normal(a h, s) has
    /// E[h²] → s²/(1 − a²), d/da = 2a s²/(1 − a²)², d/ds = 2s/(1 − a²)
    /// (a^10000 is 0 in doubles).
    @Test func aLongRecurrenceIsOneBody() {
        let text = """
            set(seed = 13, particles = 8000)
            param a = 0.9
            param s = 0.5
            h = 0
            for t in 0..5000 { h = normal(a * h, s) }
            grad(E[h^2])
            explain(h)
            t
            """
        let session = Session()
        let outcome = run(text, session: session)
        #expect(session.graphSize < 100)
        #expect(outcome.text.contains("its body traced 4 times, the last repeating to the end of its range"))
        #expect(outcome.lines.last == "4999")
        let g = gradients(text)
        let (a, s2) = (0.9, 0.25)
        #expect(g.count == 1 && agrees(g[0].objective, s2 / (1 - a * a), 5))
        #expect(g.count == 1 && agrees(g[0]["a"], 2 * a * s2 / ((1 - a * a) * (1 - a * a)), 5))
        #expect(g.count == 1 && agrees(g[0]["s"], 2 * 0.5 / (1 - a * a), 5))
    }

    /// A loop that reads its variable is traced to its end, however long.
    @Test func aLoopThatReadsItsVariableIsTracedToItsEnd() {
        let text = """
            set(seed = 14, particles = 2000)
            h = 0
            for t in 0..300 { h = h + normal(0, 1) * (t < 150) }
            E[h^2]
            """
        let session = Session()
        let e = expectations(text, session: session)
        #expect(session.graphSize > 300)
        #expect(e.count == 1 && agrees(e[0], 150, 5))
    }

    /// A return under a random condition inside a loop runs per particle
    /// (DESIGN's rule): those particles leave the loop and the function with
    /// their value. N trials to the first success with p: E[N] = 1/p,
    /// dE/dp = −1/p²; returning k at the first head of at most 5 flips, else
    /// 100: Σ k/2^k + 100/2^5; the first j < 50 with normal(0, 1) > 1, else −1.
    @Test func returnInsideALoopOfRandomLength() {
        let text = """
            set(seed = 5, particles = 100000)
            param p = 0.3
            fn trials() {
              i = 0
              while true {
                i = i + 1
                if bernoulli(p) { return i }
              }
            }
            n = trials()
            grad(E[n])
            fn capped() {
              k = 0
              while k < 5 {
                k = k + 1
                if bernoulli(0.5) { return k }
              }
              return 100
            }
            E[capped()]
            fn firstHigh() {
              for j in 0..50 {
                if normal(0, 1) > 1 { return j }
              }
              return -1
            }
            E[firstHigh()]
            """
        let g = gradients(text), e = expectations(text)
        #expect(g.count == 1 && agrees(g[0].objective, 1 / 0.3, 5) && agrees(g[0]["p"], -1 / 0.09, 5))
        let q = 0.5 * erfc(1 / 2.0.squareRoot())
        let high = (0..<50).reduce(0.0) { $0 + Double($1) * q * pow(1 - q, Double($1)) } - pow(1 - q, 50)
        let capped = (1...5).reduce(0.0) { $0 + Double($1) / pow(2, Double($1)) } + 100 / 32
        #expect(e.count == 2 && agrees(e[0], capped, 5) && agrees(e[1], high, 5))
        #expect(output(text, repeating: true) == output(text, repeating: false))
    }

    /// The limit is checked as the loop runs: past the template, the
    /// particles still running at the limit are the error, naming the loop.
    @Test func theLimitIsStillAnError() {
        let outcome = run("""
            set(seed = 9, particles = 1000, loop_limit = 50)
            n = 0
            while bernoulli(0.99) { n = n + 1 }
            E[n]
            """)
        #expect(outcome.exitCode == 70)
        #expect(outcome.errors.first?.contains("still running this loop after 50 iterations, the loop limit") == true)
    }

    /// Explain shows the body once and says it repeats; the estimator line
    /// counts every draw the loop may make.
    @Test func explainShowsTheBodyOnce() {
        let outcome = run("""
            set(seed = 10, particles = 1000)
            param t = 0.5
            n = 0
            while bernoulli(sigmoid(t)) { n = n + 1 }
            explain(n)
            """)
        #expect(outcome.text.contains("its body traced 4 times, the last repeating up to the loop limit of 1000"))
        // The draw before the loop takes the same estimator (triples), so
        // one line counts it with the loop's 1,000.
        #expect(outcome.text.contains("bernoulli@4:7 ×1001"), "\(outcome.text)")
    }

    /// A loop that counts in a plain number its body reads keeps changing
    /// shape (a `for` over a known range left by a random break): it stays
    /// unrolled, and is right.
    @Test func aLoopThatChangesShapeStaysUnrolled() {
        let text = """
            set(seed = 11, particles = 50000)
            s = 0
            for i in 0..30 {
              if bernoulli(0.2) { break }
              s = s + i
            }
            E[s]
            """
        // P(reach i and add it) = 0.8^(i+1): E[s] = Σ i·0.8^(i+1), i < 30.
        let exact = (0..<30).reduce(0.0) { $0 + Double($1) * pow(0.8, Double($1 + 1)) }
        let e = expectations(text)
        #expect(e.count == 1 && agrees(e[0], exact, 5))
        #expect(output(text, repeating: true) == output(text, repeating: false))
    }
}
