// SpecialFunctions.swift — the functions the distributions' densities,
// samplers and implicit derivatives need: digamma, the regularised
// incomplete gamma and beta functions, and their derivatives with respect
// to a shape (for implicit reparametrisation, Figurnov et al. 2018: a draw
// x with CDF F(x; α) moves as dx/dα = −(∂F/∂α) / f(x; α)).
//
// The incomplete functions follow the classical series and continued
// fractions (Abramowitz & Stegun 6.5.29, 6.5.31, 26.5.8), evaluated with
// the modified Lentz method.

import Foundation

/// Special functions of the distributions.
public enum Special {
    /// log Γ(x) for x > 0.
    @inlinable
    public static func logGamma(_ x: Double) -> Double { Foundation.lgamma(x) }

    /// ψ(x) = d/dx log Γ(x), for x > 0: raised to x ≥ 10 by ψ(x) = ψ(x+1) − 1/x,
    /// then the asymptotic series (absolute error below 1e-13).
    public static func digamma(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return x == .infinity ? .infinity : .nan }
        var x = x, result = 0.0
        while x < 10 {
            result -= 1 / x
            x += 1
        }
        let f = 1 / (x * x)
        let tail = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))))
        return result + Foundation.log(x) - 0.5 / x - tail
    }

    /// ψ′(x), for x > 0 (tests and log-densities' second derivatives).
    public static func trigamma(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return .nan }
        var x = x, result = 0.0
        while x < 10 {
            result += 1 / (x * x)
            x += 1
        }
        let f = 1 / (x * x)
        let tail = (1 + f * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30))))) / x
        return result + tail + 0.5 * f
    }

    // MARK: The incomplete gamma function

    /// P(a, x) = γ(a, x) / Γ(a), the CDF of Gamma(a, 1) at x.
    public static func gammaP(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 0 }
        return x < a + 1 ? gammaSeries(a, x).value : 1 - gammaContinuedFraction(a, x)
    }

    /// Q(a, x) = 1 − P(a, x), accurate in the upper tail.
    public static func gammaQ(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 1 }
        return x < a + 1 ? 1 - gammaSeries(a, x).value : gammaContinuedFraction(a, x)
    }

    /// P(a, x) by its series, and ∂P/∂a term by term:
    /// P = e^{−x} x^a Σₙ xⁿ / Γ(a + n + 1), and each term's derivative is
    /// itself times (log x − ψ(a + n + 1)), ψ(a + n + 1) = ψ(a + 1) + Σₖ₌₁ⁿ 1/(a + k).
    static func gammaSeries(_ a: Double, _ x: Double) -> (value: Double, derivative: Double) {
        let logX = Foundation.log(x)
        let prefactor = Foundation.exp(-x + a * logX - logGamma(a + 1))
        var term = 1.0, sum = 1.0
        var psi = digamma(a + 1)
        var derivative = logX - psi
        for n in 1..<100_000 {
            term *= x / (a + Double(n))
            psi += 1 / (a + Double(n))
            sum += term
            derivative += term * (logX - psi)
            if term < sum * 1e-17 { break }
        }
        return (prefactor * sum, prefactor * derivative)
    }

    /// Q(a, x) by its continued fraction (for x ≥ a + 1).
    static func gammaContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1..<100_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return Foundation.exp(-x + a * Foundation.log(x) - logGamma(a)) * h
    }

    /// ∂P(a, x)/∂a: from the series below a + 1; above, a central
    /// difference of Q, which is accurate there (a relative step of 1e-5
    /// leaves an error near 1e-10 of the tail's size).
    public static func gammaPDerivativeInShape(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 0 }
        if x < a + 1 { return gammaSeries(a, x).derivative }
        // A relative step below 1 (so a − h stays positive), at most a
        // thousandth of the distribution's sd above.
        let h = a < 1 ? 1e-5 * a : Swift.min(1e-5 * a, 1e-3 * a.squareRoot())
        return -(gammaContinuedFraction(a + h, x) - gammaContinuedFraction(a - h, x)) / (2 * h)
    }

    // MARK: The incomplete beta function

    /// I_x(a, b), the CDF of Beta(a, b) at x.
    public static func betaI(_ a: Double, _ b: Double, _ x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        // The continued fraction converges fast below (a + 1) / (a + b + 2);
        // above, by symmetry, I_x(a, b) = 1 − I_{1−x}(b, a).
        if x < (a + 1) / (a + b + 2) { return betaFraction(a, b, x) }
        return 1 - betaFraction(b, a, 1 - x)
    }

    /// x^a (1 − x)^b / (a B(a, b)) times the continued fraction of I_x(a, b).
    static func betaFraction(_ a: Double, _ b: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        let front = Foundation.exp(a * Foundation.log(x) + b * Foundation.log1p(-x)
                                   - (logGamma(a) + logGamma(b) - logGamma(a + b))) / a
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1..<100_000 {
            let m = Double(m)
            // The even step, then the odd one.
            var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return front * h
    }

    /// ∂I_x(a, b)/∂a, by a central difference of whichever tail is computed
    /// directly (so the difference keeps its relative accuracy).
    public static func betaIDerivativeInA(_ a: Double, _ b: Double, _ x: Double) -> Double {
        guard x > 0 && x < 1 else { return 0 }
        let h = a < 1 ? 1e-5 * a : Swift.min(1e-5 * a, 1e-3 * a.squareRoot())
        if x < (a + 1) / (a + b + 2) {
            return (betaFraction(a + h, b, x) - betaFraction(a - h, b, x)) / (2 * h)
        }
        return -(betaFraction(b, a + h, 1 - x) - betaFraction(b, a - h, 1 - x)) / (2 * h)
    }
}

/// Marsaglia and Tsang's Gamma(shape, 1) sampler (2000): a cubed normal,
/// accepted by a squeeze or the log test; a shape below 1 is boosted,
/// Gamma(a) = Gamma(a + 1) · U^{1/a}. Its constants are worked out once per
/// shape (a chunk of particles usually shares one).
public struct GammaSampler {
    public let shape: Double
    @usableFromInline let d: Double
    @usableFromInline let c: Double
    @usableFromInline let inverseShape: Double
    @usableFromInline let boosted: Bool
    /// The ziggurat's table, loaded once rather than per normal.
    @usableFromInline let table: UnsafePointer<Double>

    @inlinable
    public init(shape: Double) {
        self.shape = shape
        boosted = shape < 1
        d = (boosted ? shape + 1 : shape) - 1.0 / 3
        c = 1 / (9 * d).squareRoot()
        inverseShape = 1 / shape
        table = Ziggurat.table
    }

    @inlinable
    public func draw<R: RandomSource>(_ rng: inout R) -> Double {
        var x: Double
        while true {
            let z = Ziggurat.sample(&rng, table: table)
            var v = 1 + c * z
            if v <= 0 { continue }
            v = v * v * v
            let u = rng.uniformOpen()
            let z2 = z * z
            if u < 1 - 0.0331 * z2 * z2 || Foundation.log(u) < 0.5 * z2 + d * (1 - v + Foundation.log(v)) {
                x = d * v
                break
            }
        }
        if boosted { x *= Foundation.exp(Foundation.log(rng.uniformOpen()) * inverseShape) }
        return x
    }
}

/// Poisson counts: inversion by sequential search below a rate of 10, else
/// Hörmann's transformed rejection with squeeze (PTRS, 1993), with the
/// constants worked out once per rate.
public struct PoissonSampler {
    public let rate: Double
    @usableFromInline let small: Bool
    @usableFromInline let emr: Double
    @usableFromInline let logRate: Double
    @usableFromInline let a: Double
    @usableFromInline let b: Double
    @usableFromInline let logInverseAlpha: Double
    @usableFromInline let vr: Double

    @inlinable
    public init(rate: Double) {
        self.rate = rate
        small = rate < 10
        emr = Foundation.exp(-rate)
        logRate = Foundation.log(rate)
        b = 0.931 + 2.53 * rate.squareRoot()
        a = -0.059 + 0.02483 * b
        logInverseAlpha = Foundation.log(1.1239 + 1.1328 / (b - 3.4))
        vr = 0.9277 - 3.6224 / (b - 2)
    }

    @inlinable
    public func draw<R: RandomSource>(_ rng: inout R) -> Double {
        if small {
            var k = 0.0
            var p = emr
            var sum = p
            let u = rng.uniform()
            while u > sum && p > 0 {
                k += 1
                p *= rate / k
                sum += p
            }
            return k
        }
        while true {
            let u = rng.uniform() - 0.5
            let v = rng.uniformOpen()
            let us = 0.5 - Swift.abs(u)
            let k = ((2 * a / us + b) * u + rate + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if Foundation.log(v) + logInverseAlpha - Foundation.log(a / (us * us) + b)
                <= -rate + k * logRate - Special.logGamma(k + 1) {
                return k
            }
        }
    }
}

/// The standard normal quantile Φ⁻¹(u) for u in (0, 1): Wichura's
/// algorithm AS 241 (PPND16; Applied Statistics 37, 1988, 477–484), three
/// rational approximations of degree 7 — the centre in (u − ½)², the tails in
/// √(−log) of the nearer end — with a relative error near 1e-16 and no
/// transcendental function in the centre. ±inf at 0 and 1, nan outside.
public func normalQuantile(_ u: Double) -> Double {
    guard u > 0 && u < 1 else { return u == 0 ? -.infinity : u == 1 ? .infinity : .nan }
    @inline(__always) func horner(_ c: (Double, Double, Double, Double, Double, Double, Double, Double), _ x: Double) -> Double {
        ((((((c.7 * x + c.6) * x + c.5) * x + c.4) * x + c.3) * x + c.2) * x + c.1) * x + c.0
    }
    let q = u - 0.5
    if abs(q) <= 0.425 {
        let r = 0.180625 - q * q
        return q * horner((3.3871328727963666080, 1.3314166789178437745e2, 1.9715909503065514427e3, 1.3731693765509461125e4,
                           4.5921953931549871457e4, 6.7265770927008700853e4, 3.3430575583588128105e4, 2.5090809287301226727e3), r)
            / horner((1, 4.2313330701600911252e1, 6.8718700749205790830e2, 5.3941960214247511077e3,
                      2.1213794301586595867e4, 3.9307895800092710610e4, 2.8729085735721942674e4, 5.2264952788528545610e3), r)
    }
    var r = (-log(q < 0 ? u : 1 - u)).squareRoot()
    let x: Double
    if r <= 5 {
        r -= 1.6
        x = horner((1.42343711074968357734, 4.63033784615654529590, 5.76949722146069140550, 3.64784832476320460504,
                    1.27045825245236838258, 2.41780725177450611770e-1, 2.27238449892691845833e-2, 7.74545014278341407640e-4), r)
            / horner((1, 2.05319162663775882187, 1.67638483018380384940, 6.89767334985100004550e-1,
                      1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4, 1.05075007164441684324e-9), r)
    } else {
        r -= 5
        x = horner((6.65790464350110377720, 5.46378491116411436990, 1.78482653991729133580, 2.96560571828504891230e-1,
                    2.65321895265761230930e-2, 1.24266094738807843860e-3, 2.71155556874348757815e-5, 2.01033439929228813265e-7), r)
            / horner((1, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
                      7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7, 2.04426310338993978564e-15), r)
    }
    return q < 0 ? -x : x
}
