// Gamma.swift — gamma(shape, rate): sampled by Marsaglia–Tsang, pathwise in
// the rate by scaling (x = y / rate, y ~ Gamma(shape, 1)) and in the shape by
// implicit reparametrisation: dy/dshape = −(∂P(shape, y)/∂shape) / f(y; shape).

import Foundation
import WiggleCore

/// The gamma distribution with mean shape / rate.
public struct Gamma: Distribution, SufficientStatistics {
    public init() {}

    public var name: String { "gamma" }
    public var parameterNames: [String] { ["shape", "rate"] }
    public var support: Support { .positive }
    public var estimators: [Estimator] { [.pathwise, .score] }

    public static let invalidShape = ParameterProblem("shape", "must be > 0")
    public static let invalidRate = ParameterProblem("rate", "must be > 0")

    public func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        value > 0 && value < .infinity ? nil : (index == 0 ? Gamma.invalidShape : Gamma.invalidRate)
    }

    public func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? {
        let m = call.count, o = call.output
        let shape = call.parameter(0), rate = call.parameter(1)
        // One valid shape for the chunk: no checks inside the draw loop.
        if m > 0, shape[0] > 0, shape[0] < .infinity {
            var shared = true, positive = true
            for l in 0..<m {
                shared = shared && shape[l] == shape[0]
                positive = positive && rate[l] > 0 && rate[l] < .infinity
            }
            if shared && positive {
                let sampler = GammaSampler(shape: shape[0])
                for l in 0..<m {
                    var rng = streams.generator(l)
                    o[l] = sampler.draw(&rng) / rate[l]
                }
                return nil
            }
        }
        var valid = true
        var sampler = GammaSampler(shape: 1)
        for l in 0..<m {
            let ok = shape[l] > 0 && shape[l] < .infinity && rate[l] > 0 && rate[l] < .infinity
            valid = valid && ok
            guard ok else { o[l] = .nan; continue }
            if shape[l] != sampler.shape { sampler = GammaSampler(shape: shape[l]) }
            var rng = streams.generator(l)
            o[l] = sampler.draw(&rng) / rate[l]
        }
        if valid { return nil }
        return call.failure { l in
            if !(shape[l] > 0 && shape[l] < .infinity) { return (Gamma.invalidShape, shape[l]) }
            return rate[l] > 0 && rate[l] < .infinity ? nil : (Gamma.invalidRate, rate[l])
        }
    }

    /// α log β − log Γ(α) + (α − 1) log x − βx for x ≥ 0: at x = 0, −inf
    /// for α > 1, +inf for α < 1 and the exponential's log β for α = 1 (the
    /// tracer refuses x = 0 with a traced α: log of 0).
    public func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S {
        if x.known == 0, p[0].known == 1 { return try p[1].log() }
        return try S.inside(x, closed: true) {
            let front = try p[0] * p[1].log() - p[0].lgamma()
            return try front + ((p[0] - S(1)) * x.log() - p[1] * x)
        }
    }

    /// n(α log β − log Γ(α)) + (α − 1) Σlog y − β Σy.
    public func logLikelihood<S: DensityScalar>(of ys: [Double], _ p: [S]) throws -> S {
        let n = Double(ys.count), logs = ys.reduce(0) { $0 + Foundation.log($1) }
        let front = try S(n) * (p[0] * p[1].log() - p[0].lgamma())
        return try front + ((p[0] - S(1)) * S(logs) - p[1] * S(ys.reduce(0, +)))
    }

    /// How a Gamma(shape, 1) draw y moves with the shape: −(∂P/∂shape) / f(y).
    static func standardDrawSlope(_ y: Double, shape: Double) -> Double {
        guard y > 0 else { return 0 }
        // Past a million the series would need thousands of terms; there
        // y = a + √a z to relative order 1/a, so dy/da = 1 + (y − a)/(2a).
        if shape > 1e6 { return 1 + (y - shape) / (2 * shape) }
        let density = Foundation.exp((shape - 1) * Foundation.log(y) - y - Special.logGamma(shape))
        guard density > 0 else { return 0 }
        return -Special.gammaPDerivativeInShape(shape, y) / density
    }

    /// dx/dshape = (dy/dshape) / rate, dx/drate = −x / rate.
    public func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>) {
        let m = call.count, o = call.output
        let shape = call.parameter(0), rate = call.parameter(1)
        if let gShape = call.adjoint(0) {
            for l in 0..<m where g[l] != 0 {
                gShape[l] += g[l] * Gamma.standardDrawSlope(o[l] * rate[l], shape: shape[l]) / rate[l]
            }
        }
        if let gRate = call.adjoint(1) { for l in 0..<m { gRate[l] -= g[l] * o[l] / rate[l] } }
    }

    /// d log p = (log rate − ψ(shape) + log x) dshape + (shape / rate − x) drate.
    public func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>) {
        let m = call.count, o = call.output
        let shape = call.parameter(0), rate = call.parameter(1)
        if let gShape = call.adjoint(0) {
            for l in 0..<m where w[l] != 0 {
                gShape[l] += w[l] * (Foundation.log(rate[l]) - Special.digamma(shape[l]) + Foundation.log(o[l]))
            }
        }
        if let gRate = call.adjoint(1) { for l in 0..<m { gRate[l] += w[l] * (shape[l] / rate[l] - o[l]) } }
    }
}
