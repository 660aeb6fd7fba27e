// Beta.swift — beta(a, b): sampled through two gammas, x = G₁ / (G₁ + G₂),
// and pathwise by implicit reparametrisation on its CDF, the regularised
// incomplete beta function: dx/da = −(∂I_x(a, b)/∂a) / f(x; a, b).

import Foundation
import WiggleCore

/// The beta distribution on (0, 1) with mean a / (a + b).
public struct Beta: Distribution, SufficientStatistics {
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

    /// (a − 1) log x + (b − 1) log(1 − x) − log B(a, b) for 0 < x < 1 (a
    /// traced x in (0, 1) is left to its logs).
    public func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S {
        if let v = x.known, !(v > 0 && v < 1) { return S(-.infinity) }
        let body = try (p[0] - S(1)) * x.log() + (p[1] - S(1)) * (S(1) - x).log()
        return try body - Beta.logBeta(p[0], p[1])
    }

    /// log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b).
    static func logBeta<S: DensityScalar>(_ a: S, _ b: S) throws -> S {
        try a.lgamma() + b.lgamma() - (a + b).lgamma()
    }

    /// (a − 1) Σlog y + (b − 1) Σlog(1 − y) − n log B(a, b).
    public func logLikelihood<S: DensityScalar>(of ys: [Double], _ p: [S]) throws -> S {
        let logs = ys.reduce(0) { $0 + Foundation.log($1) }, complements = ys.reduce(0) { $0 + Foundation.log1p(-$1) }
        let body = try (p[0] - S(1)) * S(logs) + (p[1] - S(1)) * S(complements)
        return try body - S(Double(ys.count)) * Beta.logBeta(p[0], p[1])
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
