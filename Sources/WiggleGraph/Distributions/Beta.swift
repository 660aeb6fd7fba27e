// Beta.swift — beta(a, b): sampled through two gammas, x = G₁ / (G₁ + G₂),
// and pathwise by implicit reparametrisation on its CDF, the regularised
// incomplete beta function: dx/da = −(∂I_x(a, b)/∂a) / f(x; a, b).

import Foundation

/// The beta distribution on (0, 1) with mean a / (a + b).
public struct Beta: Distribution {
    public init() {}

    public var name: String { "beta" }
    public var parameterNames: [String] { ["a", "b"] }
    public var support: Support { .unitInterval }
    public var estimators: [Estimator] { [.pathwise, .score] }

    public static let invalidA = ParameterProblem("a", "must be > 0")
    public static let invalidB = ParameterProblem("b", "must be > 0")

    public func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        value > 0 && value < .infinity ? nil : (index == 0 ? Beta.invalidA : Beta.invalidB)
    }

    public func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? {
        let m = call.count, o = call.output
        let a = call.parameter(0), b = call.parameter(1)
        var valid = true
        var first = GammaSampler(shape: 1), second = GammaSampler(shape: 1)
        for l in 0..<m {
            let ok = a[l] > 0 && a[l] < .infinity && b[l] > 0 && b[l] < .infinity
            valid = valid && ok
            guard ok else { o[l] = .nan; continue }
            var rng = streams.generator(l)
            if a[l] >= 1 && b[l] >= 1 {
                if a[l] != first.shape { first = GammaSampler(shape: a[l]) }
                if b[l] != second.shape { second = GammaSampler(shape: b[l]) }
                let x = first.draw(&rng)
                let y = second.draw(&rng)
                o[l] = x / (x + y)
            } else {
                // A shape below 1: a gamma draw can underflow, so both are
                // drawn in logs, log G(s) = log G(s + 1) + log(U) / s
                // (decided by the shapes, never by what was drawn).
                let lx = Foundation.log(GammaSampler(shape: a[l] + 1).draw(&rng)) + Foundation.log(rng.uniformOpen()) / a[l]
                let ly = Foundation.log(GammaSampler(shape: b[l] + 1).draw(&rng)) + Foundation.log(rng.uniformOpen()) / b[l]
                o[l] = 1 / (1 + Foundation.exp(ly - lx))
            }
        }
        if valid { return nil }
        return call.failure { l in
            if !(a[l] > 0 && a[l] < .infinity) { return (Beta.invalidA, a[l]) }
            return b[l] > 0 && b[l] < .infinity ? nil : (Beta.invalidB, b[l])
        }
    }

    static func logBeta(_ a: Double, _ b: Double) -> Double {
        Special.logGamma(a) + Special.logGamma(b) - Special.logGamma(a + b)
    }

    public func logDensity(_ x: Double, parameters: [Double]) -> Double {
        let a = parameters[0], b = parameters[1]
        guard x > 0 && x < 1 else { return -.infinity }
        return (a - 1) * Foundation.log(x) + (b - 1) * Foundation.log1p(-x) - Beta.logBeta(a, b)
    }

    /// dx/da = −(∂I_x(a, b)/∂a) / f(x); by I_x(a, b) = 1 − I_{1−x}(b, a),
    /// dx/db = (∂I_{1−x}(b, a)/∂b) / f(x).
    public func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>) {
        let m = call.count, o = call.output
        let a = call.parameter(0), b = call.parameter(1)
        let gA = call.adjoint(0), gB = call.adjoint(1)
        guard gA != nil || gB != nil else { return }
        for l in 0..<m where g[l] != 0 {
            let x = o[l]
            guard x > 0 && x < 1 else { continue }
            let density = Foundation.exp(logDensity(x, parameters: [a[l], b[l]]))
            guard density > 0 else { continue }
            if let gA { gA[l] -= g[l] * Special.betaIDerivativeInA(a[l], b[l], x) / density }
            if let gB { gB[l] += g[l] * Special.betaIDerivativeInA(b[l], a[l], 1 - x) / density }
        }
    }

    /// d log p = (log x − ψ(a) + ψ(a + b)) da + (log(1 − x) − ψ(b) + ψ(a + b)) db.
    public func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>) {
        let m = call.count, o = call.output
        let a = call.parameter(0), b = call.parameter(1)
        let gA = call.adjoint(0), gB = call.adjoint(1)
        for l in 0..<m where w[l] != 0 {
            let both = Special.digamma(a[l] + b[l])
            if let gA { gA[l] += w[l] * (Foundation.log(o[l]) - Special.digamma(a[l]) + both) }
            if let gB { gB[l] += w[l] * (Foundation.log1p(-o[l]) - Special.digamma(b[l]) + both) }
        }
    }
}
