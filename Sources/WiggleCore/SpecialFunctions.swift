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

/// The standard normal quantile Φ⁻¹(u) for u in (0, 1): Acklam's rational
/// approximation (relative error below 1.2e-9), then one step of Halley's
/// method on Φ(x) − u with `erfc`, which brings it to a few units in the
/// last place. ±inf at 0 and 1, nan outside.
public func normalQuantile(_ u: Double) -> Double {
    guard u > 0 && u < 1 else { return u == 0 ? -.infinity : u == 1 ? .infinity : .nan }
    let a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
    let b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
             6.680131188771972e+01, -1.328068155288572e+01)
    let c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
    let d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
    let low = 0.02425
    var x: Double
    if u < low || u > 1 - low {
        // The tails, in q = √(−2 log u) of the nearer end.
        let q = (-2 * log(u < low ? u : 1 - u)).squareRoot()
        let num = ((((c.0 * q + c.1) * q + c.2) * q + c.3) * q + c.4) * q + c.5
        let den = (((d.0 * q + d.1) * q + d.2) * q + d.3) * q + 1
        x = u < low ? num / den : -num / den
    } else {
        let q = u - 0.5
        let r = q * q
        let num = (((((a.0 * r + a.1) * r + a.2) * r + a.3) * r + a.4) * r + a.5) * q
        let den = ((((b.0 * r + b.1) * r + b.2) * r + b.3) * r + b.4) * r + 1
        x = num / den
    }
    // Halley: e = Φ(x) − u, from the nearer tail so it keeps its digits.
    let e = x < 0 ? 0.5 * erfc(-x / 2.0.squareRoot()) - u : (1 - u) - 0.5 * erfc(x / 2.0.squareRoot())
    let t = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
    x -= t / (1 + x * t / 2)
    return x
}
