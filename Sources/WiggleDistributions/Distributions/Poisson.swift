// Poisson.swift — poisson(rate): counts 0, 1, 2, …; no reparametrisation and
// no finite set of outcomes to enumerate: the score function, or the
// measure-valued shift ∂λ E f(X) = E[f(X + 1) − f(X)].

import Foundation
import WiggleCore

/// The Poisson distribution with mean `rate`.
public struct Poisson: Distribution, SufficientStatistics {
    public init() {}

    public var name: String { "poisson" }
    public var parameterNames: [String] { ["rate"] }
    public var support: Support { .naturalNumbers }
    public var estimators: [Estimator] { [.score, .mvd, .triple] }

    /// The rate must be a positive finite number.
    public static let invalidRate = ParameterProblem("rate", "must be > 0")
    /// Counts past 2⁵³ are not exact doubles.
    public static let tooLarge = ParameterProblem("a poisson's rate", "must be at most 1e15")

    /// Rates above this would count past what a double holds exactly.
    static let largestRate = 1e15

    public func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        value > Poisson.largestRate ? Poisson.tooLarge : (value > 0 ? nil : Poisson.invalidRate)
    }

    public func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? {
        let m = call.count, o = call.output, rate = call.parameter(0)
        // A small rate shared by the chunk (a parameter, a constant): the
        // inversion's cumulative sums once, then a guided search per draw —
        // the same counts, bit for bit, without the arithmetic per step.
        if m > 1, rate[0] > 0, rate[0] < 10 {
            var shared = true
            for l in 1..<m { shared = shared && rate[l] == rate[0] }
            if shared {
                let table = PoissonTable(rate: rate[0])
                for l in 0..<m {
                    var rng = streams.generator(l)
                    o[l] = table.draw(rng.uniform())
                }
                return nil
            }
        }
        var valid = true
        var sampler = PoissonSampler(rate: 1)
        for l in 0..<m {
            let ok = rate[l] > 0 && rate[l] <= Poisson.largestRate
            valid = valid && ok
            guard ok else { o[l] = .nan; continue }
            if rate[l] != sampler.rate { sampler = PoissonSampler(rate: rate[l]) }
            var rng = streams.generator(l)
            o[l] = sampler.draw(&rng)
        }
        if valid { return nil }
        return call.failure { l in
            rate[l] > Poisson.largestRate ? (Poisson.tooLarge, rate[l]) : (rate[l] > 0 ? nil : (Poisson.invalidRate, rate[l]))
        }
    }

    /// World 0: one count more.
    public var measureValuedWorldCount: Int { 1 }
    public func measureValuedWorlds(parameter index: Int) -> Range<Int> { 0..<1 }
    public func measureValuedPairs(worlds: Set<Int>) -> String { "shift f(X + 1) − f(X)" }

    public func fillMeasureValued(_ call: RandomCall, worlds: UnsafeMutablePointer<Double>, stride: Int,
                                  streams: ParticleStreams) {
        let o = call.output
        for l in 0..<call.count { worlds[l] = o[l] + 1 }
    }

    /// ∂λ P(X = k) = P(X = k − 1) − P(X = k), so ∂λ E f(X) = E[f(X + 1) − f(X)].
    public func addMeasureValued(_ call: RandomCall, costs: UnsafePointer<Double>, sampled: UnsafePointer<Double>,
                                 stride: Int) {
        guard let gRate = call.adjoint(0) else { return }
        for l in 0..<call.count { gRate[l] += costs[l] - sampled[l] }
    }

    /// k log λ − λ − log Γ(k + 1), for whole k ≥ 0.
    public func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S {
        try S.restricted(to: S.atLeast(x, S(0)) * S.equal(x, x.applying(.round))) {
            try x * p[0].log() - p[0] - (x + S(1)).lgamma()
        }
    }

    /// (Σk) log λ − nλ − Σ log Γ(k + 1).
    public func logLikelihood<S: DensityScalar>(of ys: [Double], _ p: [S]) throws -> S {
        let factorials = ys.reduce(0) { $0 + Foundation.lgamma($1 + 1) }
        return try S(ys.reduce(0, +)) * p[0].log() - S(Double(ys.count)) * p[0] - S(factorials)
    }

    /// d log p / drate = k / rate − 1.
    /// d log p(k) / dλ = k/λ − 1; at λ = 0 the draw is certainly 0 and the
    /// derivative is −1, not 0/0 − 1.
    @inline(__always)
    static func logDerivative(_ k: Double, _ rate: Double) -> Double {
        k == 0 ? -1 : k / rate - 1
    }

    public func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>) {
        guard let gRate = call.adjoint(0) else { return }
        let o = call.output, rate = call.parameter(0)
        for l in 0..<call.count { gRate[l] += w[l] * Poisson.logDerivative(o[l], rate[l]) }
    }

    /// The same with the baseline, in one pass (see ``FusedScore``).
    package func addScore(_ call: RandomCall, cost: UnsafePointer<Double>, sign: Double, total: Double, inverse: Double) {
        guard let gRate = call.adjoint(0) else { return }
        let o = call.output, rate = call.parameter(0)
        for l in 0..<call.count {
            let c = sign * cost[l]
            gRate[l] += (c - (total - c) * inverse) * Poisson.logDerivative(o[l], rate[l])
        }
    }
}

/// The inversion of ``PoissonSampler`` for one small rate, tabulated: the
/// cumulative sums it would form (with the same arithmetic, so draws are
/// identical), and a guide table of where each 1/n-th of [0, 1) starts.
struct PoissonTable {
    var cumulative: [Double] = []
    var guide: [Int] = []

    init(rate: Double) {
        var p = Foundation.exp(-rate)
        var sum = p
        var k = 0.0
        cumulative.append(sum)
        // The sequential search stops where the sum reaches every u < 1, or
        // where the probabilities underflow.
        while sum < 1 && p > 0 && cumulative.count < 1_000 {
            k += 1
            p *= rate / k
            sum += p
            cumulative.append(sum)
        }
        let n = cumulative.count
        var index = 0
        for g in 0..<n {
            let start = Double(g) / Double(n)
            while index < n - 1 && cumulative[index] < start { index += 1 }
            guide.append(index)
        }
    }

    /// The smallest k with u ≤ cumulative[k] (the last when none is).
    @inline(__always)
    func draw(_ u: Double) -> Double {
        let n = cumulative.count
        var k = guide[Swift.min(n - 1, Int(u * Double(n)))]
        while k < n - 1 && u > cumulative[k] { k += 1 }
        return Double(k)
    }
}

extension Poisson: InverseSampling {
    /// The largest rate inverted: beyond it e^(−rate) and the search's
    /// length stop being cheap, and the draw keeps independent numbers.
    public static let largestInvertedRate = 500.0

    /// The first count whose cumulative probability passes u.
    public func fillQuantiles(_ call: RandomCall, uniforms: UnsafePointer<Double>) {
        let rate = call.parameter(0)
        for l in 0..<call.count where rate[l] >= 0 && rate[l] <= Poisson.largestInvertedRate {
            let u = uniforms[l]
            var k = 0.0, p = Foundation.exp(-rate[l])
            var cumulative = p
            while u > cumulative && p > 0 {
                k += 1
                p *= rate[l] / k
                cumulative += p
            }
            call.output[l] = k
        }
    }
}
