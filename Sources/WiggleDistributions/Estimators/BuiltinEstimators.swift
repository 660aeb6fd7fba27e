// BuiltinEstimators.swift — the five estimators every program has. Their
// mathematics per distribution lives with the distribution (its
// `addPathwise`, `addScore`, `addEnumeration` and measure-valued worlds);
// these rules say which distributions take them and how the engine runs them.

import WiggleCore

/// Reparametrised: the drawn value is a smooth function of its parameters
/// and fixed noise, differentiated along the path. `@pathwise`.
public struct PathwiseEstimator: EstimatorRule {
    public var name: String { "pathwise" }
    public var title: String { "pathwise" }
    public var mechanism: EstimatorMechanism { .pathwise }
    public func admits(_ distribution: any Distribution) -> Bool { distribution.estimators.contains(.pathwise) }
}

/// REINFORCE: ∇log p(x) times the downstream cost minus a leave-one-out
/// baseline. `@score`.
public struct ScoreFunctionEstimator: EstimatorRule {
    public var name: String { "score" }
    public var title: String { "score function" }
    public var mechanism: EstimatorMechanism { .score }
    public func admits(_ distribution: any Distribution) -> Bool { distribution.estimators.contains(.score) }
}

/// Sums over every outcome of a finite distribution (a bernoulli's 2-point
/// derivative), re-running what lies downstream once per outcome with
/// common random numbers: the measure-valued derivative of a finite
/// distribution, exact in the node. `@exact`.
public struct ExactEstimator: EstimatorRule {
    public var name: String { "exact" }
    public var title: String { "exact k-point derivative" }
    public var mechanism: EstimatorMechanism { .outcomes }
    public func admits(_ distribution: any Distribution) -> Bool { distribution.estimators.contains(.exact) }
}

/// The measure-valued derivative of a distribution with infinitely many
/// values: ∂θ E f = c_θ (E_{p⁺} f − E_{p⁻} f), the two parts drawn with
/// common random numbers and what lies downstream re-run for each (a
/// normal's Weibull and Maxwell pairs, a uniform's bounds, an
/// exponential's Gamma(2) part, a Poisson's shift). `@mvd`.
public struct MeasureValuedEstimator: EstimatorRule {
    public var name: String { "mvd" }
    public var title: String { "measure-valued" }
    public var mechanism: EstimatorMechanism { .worlds }
    public func admits(_ distribution: any Distribution) -> Bool { distribution.estimators.contains(.mvd) }

    public func worldCount(for distribution: any Distribution) -> Int { distribution.measureValuedWorldCount }
    public func worlds(for distribution: any Distribution, parameter index: Int) -> Range<Int> {
        distribution.measureValuedWorlds(parameter: index)
    }
    public func describe(worlds: Set<Int>, of distribution: any Distribution) -> String {
        distribution.measureValuedPairs(worlds: worlds)
    }
    public func fillWorlds(_ distribution: any Distribution, _ call: RandomCall, worlds: UnsafeMutablePointer<Double>,
                           stride: Int, streams: ParticleStreams) {
        distribution.fillMeasureValued(call, worlds: worlds, stride: stride, streams: streams)
    }
    public func addGradient(_ distribution: any Distribution, _ call: RandomCall, costs: UnsafePointer<Double>,
                            sampled: UnsafePointer<Double>, stride: Int) {
        distribution.addMeasureValued(call, costs: costs, sampled: sampled, stride: stride)
    }
}

/// Stochastic triples with pruning (Arya, Schauer, Schäfer, Rackauckas,
/// NeurIPS 2022): each particle carries its own path, the smooth tangent,
/// and at most one alternative path, made where a discrete draw would flip
/// as the parameters move and pruned to one with probability proportional
/// to the weights; the derivative is the tangent plus weight × (f on the
/// alternative − f). One pass, however many draws: `@triple`.
public struct StochasticTripleEstimator: EstimatorRule {
    public var name: String { "triple" }
    public var title: String { "stochastic triples" }
    public var mechanism: EstimatorMechanism { .triples }
    public func admits(_ distribution: any Distribution) -> Bool { distribution.estimators.contains(.triple) }
}
