// Uniform.swift — uniform(a, b): reparametrised as x = a + (b − a)·u. Its
// support moves with its bounds, so it has no score function: where its
// value reaches a jump and a bound carries a parameter, the measure-valued
// derivative (the value at the bound against the value drawn) is the one
// unbiased estimator, when what lies downstream can be re-run.

import Foundation
import CVectorKernels
import WiggleCore

/// The uniform distribution on (a, b).
public struct Uniform: Distribution, SufficientStatistics {
    public init() {}

    public var name: String { "uniform" }
    public var parameterNames: [String] { ["a", "b"] }
    public var support: Support { .interval }
    public var estimators: [Estimator] { [.pathwise, .mvd] }

    /// The bounds must be finite, with a < b.
    public static let invalidBound = ParameterProblem("a uniform's bound", "must be a finite number")
    public static let emptyInterval = ParameterProblem("b - a", "must be > 0 and finite for uniform(a, b)")

    public func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        value.isFinite ? nil : Uniform.invalidBound
    }

    public func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? {
        let m = call.count, o = call.output
        let a = call.parameter(0), b = call.parameter(1)
        var valid = true
        // The lanes' uniforms, many at a time where the processor can (the same bits).
        let parts = streams.parts
        if wiggle_rk_uniform_open(parts.key, parts.first, parts.positions, m, o) == 0 {
            for l in 0..<m {
                var rng = streams.generator(l)
                o[l] = rng.uniformOpen()
            }
        }
        if m > 0 && call.isUniform(0) && call.isUniform(1) {
            // Bounds the same in every lane (a triple's choice coin: 0 and
            // 1, where a + (b − a)·u is u itself): checked once.
            let low = a[0], width = b[0] - a[0]
            if !(low == 0 && width == 1) {
                for l in 0..<m { o[l] = low + width * o[l] }
            }
            valid = width > 0 && width < .infinity
        } else {
            for l in 0..<m {
                o[l] = a[l] + (b[l] - a[l]) * o[l]
                valid = valid && b[l] - a[l] > 0 && b[l] - a[l] < .infinity
            }
        }
        if valid { return nil }
        return call.failure { l in
            if !a[l].isFinite { return (Uniform.invalidBound, a[l]) }
            if !b[l].isFinite { return (Uniform.invalidBound, b[l]) }
            let width = b[l] - a[l]
            return width > 0 && width < .infinity ? nil : (Uniform.emptyInterval, width)
        }
    }

    /// b − a must be positive and finite.
    public func problem(parameters: [Double]) -> (ParameterProblem, Double, index: Int)? {
        let width = parameters[1] - parameters[0]
        return width > 0 && width < .infinity ? nil : (Uniform.emptyInterval, width, 1)
    }

    /// −log(b − a) for a < x < b.
    public func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S {
        try S.inside(x - p[0], closed: false) {
            try S.inside(p[1] - x, closed: false) { try S(-1) * (p[1] - p[0]).log() }
        }
    }

    /// −n log(b − a), inside between the smallest and the largest datum.
    public func logLikelihood<S: DensityScalar>(of ys: [Double], _ p: [S]) throws -> S {
        let n = Double(ys.count), lowest = ys.min() ?? 0, highest = ys.max() ?? 0
        return try S.inside(S(lowest) - p[0], closed: false) {
            try S.inside(p[1] - S(highest), closed: false) { try S(-n) * (p[1] - p[0]).log() }
        }
    }

    /// World 0 is the value at a, world 1 at b.
    public var measureValuedWorldCount: Int { 2 }
    public func measureValuedWorlds(parameter index: Int) -> Range<Int> { index..<(index + 1) }
    public func measureValuedPairs(worlds: Set<Int>) -> String { "the value at the bound against the value drawn" }

    /// The bounds themselves, one step inside the interval: the derivative
    /// needs f's limit from inside, which a step exactly at a bound would
    /// otherwise miss.
    public func fillMeasureValued(_ call: RandomCall, worlds: UnsafeMutablePointer<Double>, stride: Int,
                                  streams: ParticleStreams) {
        let a = call.parameter(0), b = call.parameter(1)
        for l in 0..<call.count {
            worlds[l] = a[l].nextUp
            worlds[stride + l] = b[l].nextDown
        }
    }

    /// E f = (1/(b − a)) ∫ₐᵇ f: ∂b E f = (f(b) − E f)/(b − a) and
    /// ∂a E f = (E f − f(a))/(b − a).
    public func addMeasureValued(_ call: RandomCall, costs: UnsafePointer<Double>, sampled: UnsafePointer<Double>,
                                 stride: Int) {
        let m = call.count, a = call.parameter(0), b = call.parameter(1)
        if let ga = call.adjoint(0) { for l in 0..<m { ga[l] += (sampled[l] - costs[l]) / (b[l] - a[l]) } }
        if let gb = call.adjoint(1) {
            let atB = costs + stride
            for l in 0..<m { gb[l] += (atB[l] - sampled[l]) / (b[l] - a[l]) }
        }
    }

    /// dx/da = 1 − u = (b − x)/(b − a), dx/db = u = (x − a)/(b − a).
    public func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>) {
        let m = call.count, o = call.output
        let a = call.parameter(0), b = call.parameter(1)
        if let ga = call.adjoint(0) { for l in 0..<m { ga[l] += g[l] * (b[l] - o[l]) / (b[l] - a[l]) } }
        if let gb = call.adjoint(1) { for l in 0..<m { gb[l] += g[l] * (o[l] - a[l]) / (b[l] - a[l]) } }
    }
}

extension Uniform: PathwiseTangent {
    /// x = a + (b − a)u: dx = da + (db − da)·u, u = (x − a)/(b − a).
    public func pathwiseTangent<S: DensityScalar>(of x: S, _ p: [S], moving t: [S]) throws -> S {
        try t[0] + (t[1] - t[0]) * ((x - p[0]) / (p[1] - p[0]))
    }
}

extension Uniform: InverseSampling {
    /// a + (b − a)·u.
    public func fillQuantiles(_ call: RandomCall, uniforms: UnsafePointer<Double>) {
        let a = call.parameter(0), b = call.parameter(1)
        for l in 0..<call.count { call.output[l] = a[l] + (b[l] - a[l]) * uniforms[l] }
    }
}
