import Foundation
import Testing
import WiggleLang

/// Issue 30: loops of random length inside loops of random length. The
/// outer loop's iterations run as traced, every particle through each one
/// masked by whether it runs it (its draws' score terms too); each inner
/// loop runs as a loop over the particles inside it. And a loop only the
/// particles that reach it enter: those on a traced `if`'s path, in the
/// enclosing loop's iteration, not yet returned.
@Suite struct NestedLoopTests {
    /// Geometric counts: the outer loop runs K ~ Geometric with
    /// P(continue) = σ(a), so E[K] = σ(a)/(1 − σ(a)) = e^a; each outer
    /// iteration runs an inner count with E = e^b, independent of K, so
    /// E[n] = e^(a+b), and both derivatives are e^(a+b) too.
    @Test func nestedGeometricCountsAndTheirGradient() {
        let (a, b) = (0.3, -0.2)
        let text = """
            set(seed = 5, particles = 40000, loop_limit = 120)
            param a = \(a)
            param b = \(b)
            n = 0
            while bernoulli(sigmoid(a)) {
              while bernoulli(sigmoid(b)) { n = n + 1 }
            }
            E[n]
            grad(E[n])
            """
        let exact = exp(a + b)
        let e = expectations(text)
        #expect(e.count == 1 && agrees(e[0], exact, 5))
        let g = gradients(text)
        #expect(g.count == 1)
        if let g = g.first {
            #expect(agrees(g["a"], exact, 5), "d/da \(g["a"]) against \(exact)")
            #expect(agrees(g["b"], exact, 5), "d/db \(g["b"]) against \(exact)")
            // Masked score terms: a draw in an outer iteration a particle
            // does not run adds nothing (unmasked, 120 iterations' noise
            // each made the standard error about ten times larger).
            #expect(g["a"].stderr < 0.05 && g["b"].stderr < 0.05, "\(g["a"]) \(g["b"])")
        }
    }

    /// Pathwise through both loops: x adds normal(mu, 1) at every inner
    /// iteration, so E[x] = mu · E[K] · E[M] with E[K] = 0.6/0.4 = 1.5 and
    /// E[M] = 0.5/0.5 = 1, and dE[x]/dmu = 1.5. The inner loop also reads
    /// a value the outer one carries (the level it starts from).
    @Test func pathwiseThroughNestedLoops() {
        let text = """
            set(seed = 6, particles = 40000, loop_limit = 120)
            param mu = 0.7
            x = 0
            while bernoulli(0.6) {
              y = x
              while bernoulli(0.5) { y = y + normal(mu, 1) }
              x = y
            }
            E[x]
            grad(E[x])
            """
        let e = expectations(text)
        #expect(e.count == 1 && agrees(e[0], 0.7 * 1.5, 5))
        let g = gradients(text)
        #expect(g.count == 1 && agrees(g[0]["mu"], 1.5, 5))
    }

    /// explain shows one iteration of the outer loop, saying every particle
    /// runs it masked, and the inner loop once: the instance that iteration runs.
    @Test func explainShowsTheInnerLoopOnce() {
        let outcome = run("""
            set(particles = 1000, loop_limit = 50)
            param a = 0
            n = 0
            while bernoulli(sigmoid(a)) {
              while bernoulli(0.5) { n = n + 1 }
            }
            explain(n)
            """)
        #expect(outcome.errors.isEmpty)
        let headers = outcome.lines.joined(separator: "\n").split(separator: "\n").filter { $0.contains("-- loop at line") }
        #expect(headers.count == 2, "\(headers)")
        #expect(headers.first?.contains("loop at line 4") == true && headers.first?.contains("masked, as it holds a loop") == true)
        #expect(headers.last?.contains("loop at line 5") == true)
    }

    /// The bits do not depend on the thread count.
    @Test func nestedLoopsGiveTheSameBitsOnOneAndTwoThreads() {
        func output(_ threads: Int) -> String {
            run("""
                set(seed = 7, particles = 5000, loop_limit = 60, threads = \(threads))
                param t = 0.2
                n = 0
                while bernoulli(0.5) {
                  m = 0
                  while bernoulli(sigmoid(t)) { m = m + 1 }
                  n = n + m * m
                }
                E[n]
                grad(E[n])
                """).text
        }
        #expect(output(1) == output(2))
        #expect(!output(1).isEmpty)
    }

    /// A loop inside a traced if: the particles that do not take the branch
    /// do not run it. Before, every particle did, so this loop (which no
    /// particle enters) reported all of them still running at the limit.
    @Test func aLoopInATracedIfRunsOnlyWhereTheBranchIsTaken() {
        let never = run("""
            set(seed = 8, particles = 2000)
            x = normal(0, 1)
            n = 0
            if x > 10 {
              while normal(0, 1) < 100 { n = n + 1 }
            }
            E[n]
            """)
        #expect(never.errors.isEmpty, "\(never.errors)")
        #expect(never.text == "0 ± 0")
        // Half the particles take the branch, and count E = 1 there.
        let half = expectations("""
            set(seed = 9, particles = 40000)
            x = normal(0, 1)
            n = 0
            if x > 0 {
              while bernoulli(0.5) { n = n + 1 }
            }
            E[n]
            """)
        #expect(half.count == 1 && agrees(half[0], 0.5, 5))
    }

    /// A particle that broke out of the outer iteration earlier does not
    /// run the inner loop that follows the break: here a particle that
    /// reached the inner loop with x ≥ 1 would never leave it (z < 97),
    /// while with x = 0 it rarely enters (z < −3).
    @Test func particlesThatLeftTheOuterIterationSkipTheInnerLoop() {
        let outcome = run("""
            set(seed = 10, particles = 4000, loop_limit = 80)
            x = 0
            k = 0
            while bernoulli(0.7) {
              x = x + bernoulli(0.5)
              if x >= 1 { break }
              while normal(0, 1) < 100 * x - 3 { k = k + 1 }
            }
            E[k]
            """)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        #expect(outcome.lines.count == 1)
    }

    /// A `return` under a traced condition inside loops within loops: the
    /// particle leaves the inner loop as by a `break`, carrying its value,
    /// and returns there (the outer loop goes on for it, but what it runs
    /// is not its). Outer iterations go on with p = σ(a); each runs an
    /// inner loop that returns 100 + n once its counter passes 2 (four
    /// heads of a fair coin, q = 1/16). With r = p(1 − q):
    /// E = (1 − p) r/(1 − r)² + p q (100/(1 − r) + r/(1 − r)²), and its
    /// score-function derivative in a (by the closed form's slope).
    @Test func returnInsideLoopsWithinLoops() {
        func exact(_ a: Double) -> Double {
            let p = 1 / (1 + exp(-a)), q = 1.0 / 16, r = p * (1 - q)
            return (1 - p) * r / ((1 - r) * (1 - r)) + p * q * (100 / (1 - r) + r / ((1 - r) * (1 - r)))
        }
        let a = 0.5
        let text = """
            set(seed = 11, particles = 40000, loop_limit = 60)
            param a = \(a)
            fn f() {
              n = 0
              while bernoulli(sigmoid(a)) {
                m = 0
                while bernoulli(0.5) {
                  if m > 2 { return 100 + n }
                  m = m + 1
                }
                n = n + 1
              }
              return n
            }
            E[f()]
            grad(E[f()])
            """
        let e = expectations(text)
        #expect(e.count == 1 && agrees(e[0], exact(a), 5), "\(e) against \(exact(a))")
        let slope = (exact(a + 1e-5) - exact(a - 1e-5)) / 2e-5
        let g = gradients(text)
        #expect(g.count == 1 && (g.first.map { agrees($0["a"], slope, 5) } ?? false), "\(g) against \(slope)")
    }

    /// The same inside a `for` over a known range around a loop of random
    /// length: each of 20 rounds returns its index with probability
    /// r = 0.15 / 0.65 (the inner loop goes on with 0.5 and returns with
    /// 0.3 a turn); a particle that never returns gives −1.
    @Test func returnFromALoopInsideAForLoop() {
        let r = 0.15 / 0.65
        var exact = -pow(1 - r, 20)
        for i in 0..<20 { exact += Double(i) * pow(1 - r, Double(i)) * r }
        let e = expectations("""
            set(seed = 12, particles = 100000)
            fn f() {
              for i in 0..20 {
                while bernoulli(0.5) {
                  if bernoulli(0.3) { return i }
                }
              }
              return -1
            }
            E[f()]
            """)
        #expect(e.count == 1 && agrees(e[0], exact, 5), "\(e) against \(exact)")
    }

    /// A particle that returned from an inner loop leaves the loops around
    /// it too: here the outer loop goes on with 0.999, so a particle still
    /// in it after returning would run about a thousand iterations and hit
    /// the limit of 100 (90% of them); returning, almost none get there. At
    /// each outer iteration the particle stops (0.001) or returns n from
    /// the inner loop (1/3 of the rest), else counts on: with
    /// r = 0.999 · 2/3, E = (0.001 + 0.999/3) · r/(1 − r)².
    @Test func returnedParticlesLeaveTheLoopsAround() {
        let r = 0.999 * 2 / 3
        let exact = (0.001 + 0.999 / 3) * r / ((1 - r) * (1 - r))
        let e = expectations("""
            set(seed = 13, particles = 40000, loop_limit = 100)
            fn f() {
              n = 0
              while bernoulli(0.999) {
                while bernoulli(0.5) {
                  if bernoulli(0.5) { return n }
                }
                n = n + 1
              }
              return n
            }
            E[f()]
            """)
        #expect(e.count == 1 && agrees(e[0], exact, 5), "\(e) against \(exact)")
    }
}
