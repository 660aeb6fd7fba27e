// StudentT.swift — student_t(nu, mu, sigma): x = mu + sigma·t with
// t = z·√(nu / V), z standard normal and V a chi-square with nu degrees of
// freedom (2·Gamma(nu/2, 1)). Pathwise in mu and sigma by that scaling, and
// in nu by implicit reparametrisation, dt/dnu = −(∂F/∂nu)(t) / f(t), with
// the tail of F an incomplete beta function. Its score comes from its
// log-density (dual numbers).

import Foundation
import WiggleCore

/// Student's t distribution with `nu` degrees of freedom, location `mu`
/// and scale `sigma`.
public struct StudentT: Distribution {
    public init() {}

    public var name: String { "student_t" }
    public var parameterNames: [String] { ["nu", "mu", "sigma"] }
    public var support: Support { .realLine }
    public var estimators: [Estimator] { [.pathwise, .score] }

    public static let invalidDegrees = ParameterProblem("nu", "must be > 0")
    public static let invalidLocation = ParameterProblem("the location of a student_t", "must be a finite number")
    public static let invalidScale = ParameterProblem("sigma", "must be > 0")

    public func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        switch index {
        case 0: return value > 0 && value < .infinity ? nil : StudentT.invalidDegrees
        case 1: return value.isFinite ? nil : StudentT.invalidLocation
        default: return value > 0 && value < .infinity ? nil : StudentT.invalidScale
        }
    }

    public func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? {
        let m = call.count, o = call.output
        let nu = call.parameter(0), mu = call.parameter(1), sigma = call.parameter(2)
        var valid = true
        var sampler = GammaSampler(shape: 1)
        let xs = Ziggurat.table
        for l in 0..<m {
            let ok = nu[l] > 0 && nu[l] < .infinity && mu[l].isFinite && sigma[l] > 0 && sigma[l] < .infinity
            valid = valid && ok
            guard ok else { o[l] = .nan; continue }
            if 0.5 * nu[l] != sampler.shape { sampler = GammaSampler(shape: 0.5 * nu[l]) }
            var rng = streams.generator(l)
            let z = Ziggurat.sample(&rng, table: xs)
            let chiSquare = 2 * sampler.draw(&rng)
            o[l] = mu[l] + sigma[l] * z * (nu[l] / chiSquare).squareRoot()
        }
        if valid { return nil }
        return call.failure { l in
            for i in 0..<3 {
                let value = call.parameter(i)[l]
                if let problem = problem(parameter: i, value: value) { return (problem, value) }
            }
            return nil
        }
    }

    /// log Γ((ν + 1)/2) − log Γ(ν/2) − ½ log(νπ) − log σ − (ν + 1)/2 · log(1 + z²/ν);
    /// for a known |z| > 1 the last log is 2 log|z| + log(1/z² + 1/ν), the
    /// same function, finite where z² overflows.
    public func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S {
        let nu = p[0], half = S(0.5)
        let z = try (x - p[1]) / p[2]
        let front = try (half * (nu + S(1))).lgamma() - (half * nu).lgamma() - half * (nu * S(Double.pi)).log()
        let spread: S
        if let known = z.known, Swift.abs(known) > 1 {
            spread = try S(2) * z.abs().log() + (S(1) / z.squared() + S(1) / nu).log()
        } else {
            spread = try (S(1) + z.squared() / nu).log()
        }
        return try front - p[2].log() - half * (nu + S(1)) * spread
    }

    /// P(T > |t|) for T with nu degrees of freedom: ½ I_{ν/(ν+t²)}(ν/2, ½).
    static func tail(_ t: Double, nu: Double) -> Double {
        0.5 * Special.betaI(0.5 * nu, 0.5, nu / (nu + t * t))
    }

    /// dx/dmu = 1, dx/dsigma = t = (x − mu)/sigma, dx/dnu = sigma · dt/dnu,
    /// where F(t) = 1 − Q(|t|) above 0 and Q(|t|) below, so
    /// dt/dnu = −(∂F/∂nu)/f(t) = sign(t) · (∂Q/∂nu)/f(t); ∂Q/∂nu by a
    /// central difference of the tail, which is computed directly.
    public func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>) {
        let m = call.count, o = call.output
        let nu = call.parameter(0), mu = call.parameter(1), sigma = call.parameter(2)
        if let gMu = call.adjoint(1) { for l in 0..<m { gMu[l] += g[l] } }
        if let gSigma = call.adjoint(2) { for l in 0..<m { gSigma[l] += g[l] * (o[l] - mu[l]) / sigma[l] } }
        guard let gNu = call.adjoint(0) else { return }
        for l in 0..<m where g[l] != 0 {
            let t = (o[l] - mu[l]) / sigma[l]
            guard t != 0, t.isFinite else { continue }
            let h = 1e-5 * nu[l]
            let slope = (StudentT.tail(t, nu: nu[l] + h) - StudentT.tail(t, nu: nu[l] - h)) / (2 * h)
            let density = Foundation.exp(logDensity(t, parameters: [nu[l], 0, 1]))
            guard density > 0 else { continue }
            gNu[l] += g[l] * sigma[l] * (t < 0 ? -1 : 1) * slope / density
        }
    }
}
