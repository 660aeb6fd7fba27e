// Categorical.swift — categorical(probs): 0, …, k − 1 with probabilities
// p₀, …, p_{k−1} (each element of the list is a parameter of the node;
// `categorical(logits = xs)` is categorical(softmax(xs))). No
// reparametrisation; the exact k-point derivative re-runs what lies
// downstream once per outcome, or the score function.
//
// Both derivatives are those of P(X = j) = p_j / Σp, so they do not depend
// on the probabilities summing to exactly 1, and every term of the score
// has expectation 0 whatever the parameters.

import Foundation
import WiggleCore

/// The categorical distribution over 0, …, k − 1.
public struct Categorical: Distribution, SufficientStatistics {
    public init() {}

    public var name: String { "categorical" }
    public var parameterNames: [String] { ["probs"] }
    public var support: Support { .categories }
    public var estimators: [Estimator] { [.exact, .score, .triple] }
    public var takesProbabilityList: Bool { true }

    public func outcomes(parameterCount: Int) -> [Double] { (0..<parameterCount).map(Double.init) }

    public static let invalidProbability = ParameterProblem("each probability of a categorical", "must be between 0 and 1")
    public static let notNormalised = ParameterProblem("a categorical's probabilities", "must add up to 1")
    /// How far from 1 the sum may be (rounding in a softmax or a division).
    public static let tolerance = 1e-6

    public func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        value >= 0 && value <= 1 ? nil : Categorical.invalidProbability
    }

    public func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? {
        let m = call.count, o = call.output
        let k = call.parameterCount
        var valid = true
        for l in 0..<m {
            var total = 0.0
            for j in 0..<k {
                let p = call.parameter(j)[l]
                valid = valid && p >= 0 && p <= 1
                total += p
            }
            valid = valid && abs(total - 1) <= Categorical.tolerance
            var rng = streams.generator(l)
            o[l] = Categorical.outcome(at: rng.uniform() * total, lane: l, of: call)
        }
        if valid { return nil }
        return call.failure { l in
            var total = 0.0
            for j in 0..<k {
                let p = call.parameter(j)[l]
                if !(p >= 0 && p <= 1) { return (Categorical.invalidProbability, p) }
                total += p
            }
            return abs(total - 1) <= Categorical.tolerance ? nil : (Categorical.notNormalised, total)
        }
    }

    /// Σp (the probabilities need not be normalised while traced); nil for none.
    static func total<S: DensityScalar>(_ p: [S]) throws -> S? {
        guard var total = p.first else { return nil }
        for q in p.dropFirst() { total = try total + q }
        return total
    }

    /// The probabilities must add up to 1.
    public func problem(parameters: [Double]) -> (ParameterProblem, Double, index: Int)? {
        let total = parameters.reduce(0, +)
        return abs(total - 1) <= Categorical.tolerance ? nil : (Categorical.notNormalised, total, 0)
    }

    /// log(p_k / Σp); a traced k picks its term per particle, log Σⱼ (k == j) p_j
    /// (−inf, an error where it is used, for any other k).
    public func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S {
        guard let total = try Categorical.total(p) else { return S(-.infinity) }
        if let k = x.known {
            guard k >= 0, isWholeNumber(k), k < Double(p.count) else { return S(-.infinity) }
            // A probability of 0: the outcome cannot happen.
            if p[Int(k)].known == 0 { return S(-.infinity) }
            return try p[Int(k)].log() - total.log()
        }
        var chosen = try S.equal(x, S(0)) * p[0]
        for j in 1..<p.count { chosen = try chosen + S.equal(x, S(Double(j))) * p[j] }
        return try chosen.log() - total.log()
    }

    /// Σ over the categories seen of count · log p_j, less n log Σp.
    public func logLikelihood<S: DensityScalar>(of ys: [Double], _ p: [S]) throws -> S {
        var counts = [Double](repeating: 0, count: p.count)
        for y in ys {
            guard y >= 0, isWholeNumber(y), y < Double(p.count) else { return S(-.infinity) }
            counts[Int(y)] += 1
        }
        guard let total = try Categorical.total(p) else { return S(-.infinity) }
        var sum = S(0)
        for (j, count) in counts.enumerated() where count > 0 {
            if p[j].known == 0 { return S(-.infinity) }
            sum = try sum + S(count) * p[j].log()
        }
        return try sum - S(Double(ys.count)) * total.log()
    }

    /// d log(p_x / Σp) / dp_j = δ_jx / p_x − 1 / Σp.
    public func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>) {
        let k = call.parameterCount, o = call.output
        let adjoints = (0..<k).map { call.adjoint($0) }
        guard adjoints.contains(where: { $0 != nil }) else { return }
        for l in 0..<call.count where w[l] != 0 {
            var total = 0.0
            for j in 0..<k { total += call.parameter(j)[l] }
            let x = Int(o[l])
            for j in 0..<k {
                guard let g = adjoints[j] else { continue }
                g[l] += w[l] * ((j == x ? 1 / call.parameter(j)[l] : 0) - 1 / total)
            }
        }
    }

    /// ∂E f / ∂p_i = (f_i − Σⱼ pⱼ fⱼ / Σp) / Σp, f_j the cost with the node
    /// set to j. An outcome with probability 0 cannot happen: its world is
    /// left out (its probability is at its minimum there, so its derivative
    /// is 0, as for a bernoulli at p = 0 or 1).
    public func addEnumeration(_ call: RandomCall, costs: UnsafePointer<Double>, stride: Int) {
        let k = call.parameterCount
        let adjoints = (0..<k).map { call.adjoint($0) }
        guard adjoints.contains(where: { $0 != nil }) else { return }
        for l in 0..<call.count {
            var total = 0.0, weighted = 0.0
            for j in 0..<k {
                let p = call.parameter(j)[l]
                total += p
                if p > 0 { weighted += p * costs[j * stride + l] }
            }
            let mean = weighted / total
            for i in 0..<k {
                // An outcome of probability 0 counts when its world came out
                // finite (as for a bernoulli).
                guard let g = adjoints[i], call.parameter(i)[l] > 0 || costs[i * stride + l].isFinite else { continue }
                g[l] += (costs[i * stride + l] - mean) / total
            }
        }
    }
}

extension Categorical: InverseSampling {
    /// The first outcome whose cumulative probability passes u (the last
    /// with a positive probability where rounding leaves u past them all).
    public func fillQuantiles(_ call: RandomCall, uniforms: UnsafePointer<Double>) {
        let k = call.parameterCount
        for l in 0..<call.count {
            var total = 0.0
            for j in 0..<k { total += call.parameter(j)[l] }
            call.output[l] = Categorical.outcome(at: uniforms[l] * total, lane: l, of: call)
        }
    }

    /// Inversion: the first outcome whose cumulative probability passes
    /// `u` (scaled by the probabilities' total); rounding that leaves u past
    /// the last step picks the last outcome with a positive probability.
    static func outcome(at u: Double, lane l: Int, of call: RandomCall) -> Double {
        var cumulative = 0.0
        var pick = -1
        for j in 0..<call.parameterCount {
            let p = call.parameter(j)[l]
            if p > 0 { pick = j }
            cumulative += p
            if u < cumulative && p > 0 { break }
        }
        return Double(Swift.max(0, pick))
    }
}
