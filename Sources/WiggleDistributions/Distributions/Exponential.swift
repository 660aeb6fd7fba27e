// Exponential.swift — exponential(rate): reparametrised by its inverse CDF,
// x = −log(u) / rate. Its measure-valued derivative compares the value drawn
// with a Gamma(2, rate) value, that value plus a second exponential.

import Foundation
import WiggleCore

/// The exponential distribution with mean 1 / rate.
public struct Exponential: Distribution, SufficientStatistics {
    public init() {}

    public var name: String { "exponential" }
    public var parameterNames: [String] { ["rate"] }
    public var support: Support { .positive }
    public var estimators: [Estimator] { [.pathwise, .score, .mvd] }

    /// The rate must be a positive finite number.
    public static let invalidRate = ParameterProblem("rate", "must be > 0")

    public func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        value > 0 && value < .infinity ? nil : Exponential.invalidRate
    }

    public func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? {
        let m = call.count, o = call.output, rate = call.parameter(0)
        var valid = true
        for l in 0..<m {
            var rng = streams.generator(l)
            o[l] = -Foundation.log(rng.uniformOpen()) / rate[l]
            valid = valid && rate[l] > 0 && rate[l] < .infinity
        }
        if valid { return nil }
        return call.failure { l in rate[l] > 0 && rate[l] < .infinity ? nil : (Exponential.invalidRate, rate[l]) }
    }

    /// log λ − λx for x ≥ 0.
    public func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S {
        try S.inside(x, closed: true) { try p[0].log() - p[0] * x }
    }

    /// n log λ − λ Σy.
    public func logLikelihood<S: DensityScalar>(of ys: [Double], _ p: [S]) throws -> S {
        try S(Double(ys.count)) * p[0].log() - p[0] * S(ys.reduce(0, +))
    }

    /// dx/drate = −x / rate.
    public func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>) {
        guard let gRate = call.adjoint(0) else { return }
        let o = call.output, rate = call.parameter(0)
        for l in 0..<call.count { gRate[l] -= g[l] * o[l] / rate[l] }
    }

    /// World 0: x + x′ with x′ a second Exp(rate), which is Gamma(2, rate).
    public var measureValuedWorldCount: Int { 1 }
    public func measureValuedWorlds(parameter index: Int) -> Range<Int> { 0..<1 }
    public func measureValuedPairs(worlds: Set<Int>) -> String { "Exp against Gamma(2) pair" }

    public func fillMeasureValued(_ call: RandomCall, worlds: UnsafeMutablePointer<Double>, stride: Int,
                                  streams: ParticleStreams) {
        let o = call.output, rate = call.parameter(0)
        for l in 0..<call.count {
            var rng = streams.generator(l)
            worlds[l] = o[l] - Foundation.log(rng.uniformOpen()) / rate[l]
        }
    }

    /// ∂λ (λe^{−λx}) = (1/λ)(λe^{−λx} − λ²x e^{−λx}): the Exp(λ) density less
    /// the Gamma(2, λ) one, over λ.
    public func addMeasureValued(_ call: RandomCall, costs: UnsafePointer<Double>, sampled: UnsafePointer<Double>,
                                 stride: Int) {
        guard let gRate = call.adjoint(0) else { return }
        let rate = call.parameter(0)
        for l in 0..<call.count { gRate[l] += (sampled[l] - costs[l]) / rate[l] }
    }

    /// d log p / drate = 1/rate − x.
    public func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>) {
        guard let gRate = call.adjoint(0) else { return }
        let o = call.output, rate = call.parameter(0)
        for l in 0..<call.count { gRate[l] += w[l] * (1 / rate[l] - o[l]) }
    }

    /// The same with the baseline, in one pass (see ``FusedScore``).
    package func addScore(_ call: RandomCall, cost: UnsafePointer<Double>, sign: Double, total: Double, inverse: Double) {
        guard let gRate = call.adjoint(0) else { return }
        let o = call.output, rate = call.parameter(0)
        for l in 0..<call.count {
            let c = sign * cost[l]
            gRate[l] += (c - (total - c) * inverse) * (1 / rate[l] - o[l])
        }
    }
}

extension Exponential: PathwiseTangent {
    /// x = −log(u)/rate: dx = −x·d(rate)/rate.
    public func pathwiseTangent<S: DensityScalar>(of x: S, _ p: [S], moving t: [S]) throws -> S {
        try S(0) - x * (t[0] / p[0])
    }
}

extension Exponential: InverseSampling {
    /// −log(u)/rate.
    public func fillQuantiles(_ call: RandomCall, uniforms: UnsafePointer<Double>) {
        let rate = call.parameter(0)
        for l in 0..<call.count { call.output[l] = -Foundation.log(uniforms[l]) / rate[l] }
    }
}
