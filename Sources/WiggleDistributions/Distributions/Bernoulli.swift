// Bernoulli.swift — bernoulli(p): 1 with probability p, else 0. It cannot be
// reparametrised; its exact derivative enumerates both outcomes.

import Foundation
import CVectorKernels
import WiggleCore

/// The Bernoulli distribution: 1 with probability `p`, 0 otherwise.
public struct Bernoulli: Distribution, SufficientStatistics {
    public init() {}

    public var name: String { "bernoulli" }
    public var parameterNames: [String] { ["p"] }
    public var support: Support { .binary }
    public var estimators: [Estimator] { [.exact, .score, .triple] }
    public var outcomes: [Double] { [1, 0] }

    /// p must be a probability.
    public static let invalidProbability = ParameterProblem("p", "must be between 0 and 1")

    public func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        value >= 0 && value <= 1 ? nil : Bernoulli.invalidProbability
    }

    public func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? {
        let m = call.count, o = call.output, p = call.parameter(0)
        if let q = call.uniformParameter(0) {
            // One p for every lane (a loop's iterations): checked once, and
            // the lanes' generators run four or eight at a time where the
            // processor can (the same bits).
            let parts = streams.parts
            if wiggle_rk_bernoulli(parts.key, parts.first, parts.positions, m, q, o) == 0 {
                for l in 0..<m {
                    var rng = streams.generator(l)
                    o[l] = rng.uniform() < q ? 1 : 0
                }
            }
            return q >= 0 && q <= 1 ? nil : SampleFailure(Bernoulli.invalidProbability, value: q, count: m)
        }
        let parts = streams.parts
        if wiggle_rk_bernoulli_each(parts.key, parts.first, parts.positions, m, p, o) == 0 {
            for l in 0..<m {
                var rng = streams.generator(l)
                o[l] = rng.uniform() < p[l] ? 1 : 0
            }
        }
        var bad = 0
        var example = 0.0
        for l in 0..<m where !(p[l] >= 0 && p[l] <= 1) {
            if bad == 0 { example = p[l] }
            bad += 1
        }
        return bad > 0 ? SampleFailure(Bernoulli.invalidProbability, value: example, count: bad) : nil
    }

    /// log(k p + (1 − k)(1 − p)) for k in {0, 1}: one log, so p = 0 or 1 is
    /// −inf only where the outcome cannot happen.
    public func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S {
        try S.restricted(to: S.equal(x, S(0)) + S.equal(x, S(1))) {
            try (x * p[0] + (S(1) - x) * (S(1) - p[0])).log()
        }
    }

    /// Only the outcomes seen count: p = 0 with no 1s is log 1 = 0.
    public func logLikelihood<S: DensityScalar>(of ys: [Double], _ p: [S]) throws -> S {
        let n = Double(ys.count), ones = ys.reduce(0, +)
        var sum = S(0)
        if ones > 0 { sum = try sum + S(ones) * p[0].log() }
        if ones < n { sum = try sum + S(n - ones) * (S(1) - p[0]).log() }
        return sum
    }

    /// d log p(x) / dp = 1/p for x = 1, −1/(1 − p) for x = 0, one division
    /// a lane. At p = 1 (or 0) the outcome drawn is certain and its
    /// log-probability derivative is 1 (or −1), finite: never the 0/0 of
    /// (x − p) / (p (1 − p)). (Where dp/dθ = 0 there, as for exp(−x·t) at
    /// x = 0, the term is 0, which is exact.)
    @inline(__always)
    static func logDerivative(_ x: Double, _ p: Double) -> Double {
        // One division, not two: numerator and denominator chosen first
        // (the bits of 1 / p and of −1 / (1 − p)).
        (x == 1 ? 1 : -1) / (x == 1 ? p : 1 - p)
    }

    /// The two values of ``logDerivative(_:_:)`` for one p, taken once when
    /// every lane has that p (the same bits as lane by lane).
    @inline(__always)
    static func logDerivatives(_ call: RandomCall) -> (one: Double, zero: Double)? {
        call.uniformParameter(0).map { p in (1 / p, -1 / (1 - p)) }
    }

    public func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>) {
        guard let gp = call.adjoint(0) else { return }
        let m = call.count, o = call.output, p = call.parameter(0)
        if let (one, zero) = Bernoulli.logDerivatives(call) {
            for l in 0..<m { gp[l] += w[l] * (o[l] == 1 ? one : zero) }
            return
        }
        for l in 0..<m { gp[l] += w[l] * Bernoulli.logDerivative(o[l], p[l]) }
    }

    /// The same with the baseline, in one pass (see ``FusedScore``).
    package func addScore(_ call: RandomCall, cost: UnsafePointer<Double>, sign: Double, total: Double, inverse: Double) {
        guard let gp = call.adjoint(0) else { return }
        let m = call.count, o = call.output, p = call.parameter(0)
        if let (one, zero) = Bernoulli.logDerivatives(call) {
            for l in 0..<m {
                let c = sign * cost[l]
                let w = c - (total - c) * inverse
                gp[l] += w * (o[l] == 1 ? one : zero)
            }
            return
        }
        for l in 0..<m {
            let c = sign * cost[l]
            let w = c - (total - c) * inverse
            gp[l] += w * Bernoulli.logDerivative(o[l], p[l])
        }
    }

    /// d E[f] / dp = f(x = 1) - f(x = 0), with everything else the same.
    ///
    /// Where p is 0 or 1 the other outcome cannot happen: its world may
    /// hold anything (an index out of range, a nan). When it does not come
    /// out finite it is left out, which is exact for a p kept inside [0, 1]
    /// by what computes it (at 0 or 1 it is at its minimum or maximum, so
    /// dp/dθ = 0); a finite world still counts (a parameter p = 0 moves E f
    /// by f(1) − f(0)).
    public func addEnumeration(_ call: RandomCall, costs: UnsafePointer<Double>, stride: Int) {
        guard let gp = call.adjoint(0) else { return }
        let one = costs, zero = costs + stride, p = call.parameter(0)
        for l in 0..<call.count {
            let difference = one[l] - zero[l]
            gp[l] += (p[l] > 0 && p[l] < 1) || difference.isFinite ? difference : 0
        }
    }
}

extension Bernoulli: InverseSampling {
    /// 1 when u < p.
    public func fillQuantiles(_ call: RandomCall, uniforms: UnsafePointer<Double>) {
        let p = call.parameter(0)
        for l in 0..<call.count { call.output[l] = uniforms[l] < p[l] ? 1 : 0 }
    }
}
