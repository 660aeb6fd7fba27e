import Foundation
import Testing
import WiggleGraph
import WiggleLang

/// The two distributions added as one file and a registry line each: their
/// moments and gradients against closed forms, their `_lpdf` derived.
@Suite struct LogNormalAndStudentTTests {
    static func phi(_ z: Double) -> Double { exp(-0.5 * z * z) / (2 * Double.pi).squareRoot() }
    static func bigPhi(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// lognormal(μ, σ): E[x] = e^{μ + σ²/2}, moving by E and σE; P(x > 1) =
    /// Φ(μ/σ), moving by φ(μ/σ)/σ and −φ(μ/σ)μ/σ², where only the score
    /// function or the (exponentiated) measure-valued pairs are unbiased.
    @Test func logNormalAgainstClosedForms() {
        let (mu, sigma) = (0.2, 0.5)
        let program = """
            set(seed = 5, particles = 200000)
            param mu = 0.2
            param sigma = 0.5
            x = lognormal(mu, sigma)
            E[x]
            grad(E[x])
            grad(E[x > 1])
            """
        let mean = exp(mu + sigma * sigma / 2)
        let e = expectations(program)
        #expect(e.count == 1 && agrees(e[0], mean, 5))
        let g = gradients(program)
        guard g.count == 2 else { Issue.record("expected two gradients"); return }
        #expect(g[0].estimators.map(\.estimator) == ["pathwise"])
        #expect(agrees(g[0]["mu"], mean, 5) && agrees(g[0]["sigma"], sigma * mean, 5))
        let d = Self.phi(mu / sigma)
        #expect(["score", "mvd"].contains(g[1].estimators.first?.estimator ?? ""))
        #expect(agrees(g[1]["mu"], d / sigma, 5) && agrees(g[1]["sigma"], -d * mu / (sigma * sigma), 5))
        // Each estimator by request agrees too.
        for estimator in ["score", "mvd"] {
            let forced = gradients("""
                set(seed = 6, particles = 200000)
                param mu = 0.2
                param sigma = 0.5
                x = lognormal(mu, sigma) @\(estimator)
                grad(E[x > 1])
                """)
            #expect(forced.first?.estimators.first?.estimator == estimator)
            if let f = forced.first {
                #expect(agrees(f["mu"], d / sigma, 5) && agrees(f["sigma"], -d * mu / (sigma * sigma), 5), "\(estimator)")
            }
        }
        // Its log-density, derived from the registry.
        let expected = -0.5 * log(2) * log(2) - log(2) - 0.5 * log(2 * Double.pi)
        #expect(run("lognormal_lpdf(2, 0, 1)").lines == [formatNumber(expected)])
        #expect(run("lognormal_lpdf(-1, 0, 1)").lines == ["-inf"])
        #expect(run("x = lognormal(0, 0)").errors == ["1:18: sigma must be > 0 (got 0)"])
        #expect(run("param m = 1\nx = lognormal(log(m - 1), 1)\nE[x]").errors
            == ["2:5: mu of a lognormal must be a finite number (got -inf in 10000 of 10000 particles)"])
    }

    /// student_t(ν, μ, σ): E[x²] = μ² + σ²ν/(ν − 2), moving by 2μ,
    /// 2σν/(ν − 2) and −2σ²/(ν − 2)² (pathwise, implicit in ν); P(x > 1) =
    /// Q_ν(z) with z = (1 − μ)/σ moves by f(z)/σ, f(z)z/σ and ∂Q/∂ν.
    @Test func studentTAgainstClosedForms() {
        let (nu, mu, sigma) = (9.0, 0.5, 1.5)
        let program = """
            set(seed = 7, particles = 400000)
            param nu = 9
            param mu = 0.5
            param sigma = 1.5
            x = student_t(nu, mu, sigma)
            E[x]
            E[x^2]
            grad(E[x^2])
            grad(E[x > 1])
            """
        let e = expectations(program)
        #expect(e.count == 2)
        if e.count == 2 {
            #expect(agrees(e[0], mu, 5))
            #expect(agrees(e[1], mu * mu + sigma * sigma * nu / (nu - 2), 5))
        }
        let g = gradients(program)
        guard g.count == 2 else { Issue.record("expected two gradients"); return }
        #expect(g[0].estimators.map(\.estimator) == ["pathwise"])
        #expect(agrees(g[0]["mu"], 2 * mu, 5))
        #expect(agrees(g[0]["sigma"], 2 * sigma * nu / (nu - 2), 5))
        #expect(agrees(g[0]["nu"], -2 * sigma * sigma / ((nu - 2) * (nu - 2)), 5))
        func tail(_ z: Double, _ nu: Double) -> Double { 0.5 * Special.betaI(nu / 2, 0.5, nu / (nu + z * z)) }
        let z = (1 - mu) / sigma
        let front: Double = lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * Double.pi)
        let power: Double = (nu + 1) / 2 * log(1 + z * z / nu)
        let density = exp(front - power)
        let h = 1e-4
        #expect(g[1].estimators.map(\.estimator) == ["score"])
        #expect(agrees(g[1]["mu"], density / sigma, 5))
        #expect(agrees(g[1]["sigma"], density * z / sigma, 5))
        #expect(agrees(g[1]["nu"], (tail(z, nu + h) - tail(z, nu - h)) / (2 * h), 5))
        #expect(run("x = student_t(0, 0, 1)").errors == ["1:15: nu must be > 0 (got 0)"])
        #expect(run("student_t_lpdf(1.5, 1, 0.5, 2)").lines == [formatNumber(log(1 / (Double.pi * 2 * 1.25)))])
    }
}
