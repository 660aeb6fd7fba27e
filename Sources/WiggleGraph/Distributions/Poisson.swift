// Poisson.swift — poisson(rate): counts 0, 1, 2, …; no reparametrisation and
// no finite set of outcomes to enumerate, so the score function.

import Foundation

/// The Poisson distribution with mean `rate`.
public struct Poisson: Distribution {
    public init() {}

    public var name: String { "poisson" }
    public var parameterNames: [String] { ["rate"] }
    public var support: Support { .naturalNumbers }
    public var estimators: [Estimator] { [.score] }

    /// The rate must be a positive finite number.
    public static let invalidRate = ParameterProblem("rate", "must be > 0")

    /// Rates above this would count past what a double holds exactly.
    static let largestRate = 1e15

    public func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        value > 0 && value <= Poisson.largestRate ? nil : Poisson.invalidRate
    }

    public func sample(_ call: RandomCall, rng: inout Xoshiro256) -> SampleFailure? {
        let m = call.count, o = call.output, rate = call.parameter(0)
        var valid = true
        var sampler = PoissonSampler(rate: 1)
        for l in 0..<m {
            let ok = rate[l] > 0 && rate[l] <= Poisson.largestRate
            valid = valid && ok
            guard ok else { o[l] = .nan; continue }
            if rate[l] != sampler.rate { sampler = PoissonSampler(rate: rate[l]) }
            o[l] = sampler.draw(&rng)
        }
        if valid { return nil }
        return call.failure { l in rate[l] > 0 && rate[l] <= Poisson.largestRate ? nil : (Poisson.invalidRate, rate[l]) }
    }

    public func logDensity(_ x: Double, parameters: [Double]) -> Double {
        let rate = parameters[0]
        guard x >= 0, x == x.rounded() else { return -.infinity }
        return x * Foundation.log(rate) - rate - Special.logGamma(x + 1)
    }

    /// d log p / drate = k / rate − 1.
    public func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>) {
        guard let gRate = call.adjoint(0) else { return }
        let o = call.output, rate = call.parameter(0)
        for l in 0..<call.count { gRate[l] += w[l] * (o[l] / rate[l] - 1) }
    }
}
