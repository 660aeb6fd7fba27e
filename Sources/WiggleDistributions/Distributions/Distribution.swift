// Distribution.swift — what a distribution says about itself: its name and
// parameters, its support, its parameter checks, its sampler, its
// log-density, and the loops of each estimator it admits. One file per
// distribution implements this (Normal.swift, Bernoulli.swift); the
// registry (Registry.swift) lists them. Like torch/distributions: sample,
// rsample (pathwise), log_prob and arg_constraints side by side.

import WiggleCore

/// Where a distribution's values lie.
public enum Support: Sendable, Equatable, CustomStringConvertible {
    /// Every real number.
    case realLine
    /// The positive reals.
    case positive
    /// Between 0 and 1.
    case unitInterval
    /// Between two of its parameters.
    case interval
    /// 1 or 0.
    case binary
    /// 0, 1, 2, …
    case naturalNumbers
    /// 0, 1, …, k − 1 for k categories.
    case categories

    /// True for a number no value of the distribution can be, whatever its
    /// parameters (supports that move with them exclude nothing here).
    public func excludes(_ x: Double) -> Bool {
        switch self {
        case .positive: return x < 0
        case .unitInterval: return !(x > 0 && x < 1)
        case .binary: return x != 0 && x != 1
        case .naturalNumbers: return x < 0 || !isWholeNumber(x)
        case .realLine, .interval, .categories: return false
        }
    }

    public var description: String {
        switch self {
        case .realLine: return "the real line"
        case .positive: return "the positive reals"
        case .unitInterval: return "(0, 1)"
        case .interval: return "an interval between its parameters"
        case .binary: return "{0, 1}"
        case .naturalNumbers: return "0, 1, 2, …"
        case .categories: return "0, 1, …, k − 1"
        }
    }
}

extension Support {
    /// True for supports of whole numbers (a probability mass function).
    public var isDiscrete: Bool {
        switch self {
        case .binary, .naturalNumbers, .categories: return true
        case .realLine, .positive, .unitInterval, .interval: return false
        }
    }
}

/// A parameter value a distribution refuses, in the one wording used while
/// tracing (`sigma must be > 0 (got -1)`) and per particle
/// (`sigma must be > 0 (got -1 in 37 of 10000 particles)`).
public struct ParameterProblem: Sendable, Hashable {
    /// What is wrong: `sigma`, `the mean of a normal`.
    public var subject: String
    /// What it must be: `must be > 0`.
    public var requirement: String

    /// A problem with `subject`, which `requirement`.
    public init(_ subject: String, _ requirement: String) {
        self.subject = subject
        self.requirement = requirement
    }

    /// The message for one offending value, or for `count` of `total` particles.
    public func message(got value: Double, count: Int? = nil, of total: Int? = nil) -> String {
        var got = "got \(formatNumber(value))"
        if let count, let total { got += " in \(count) of \(total) particles" }
        return "\(subject) \(requirement) (\(got))"
    }
}

/// Invalid parameters found while sampling a chunk: which problem, the first
/// offending value, and in how many particles.
public struct SampleFailure: Sendable {
    /// What was wrong.
    public var problem: ParameterProblem
    /// The first offending value.
    public var value: Double
    /// In how many particles of the chunk.
    public var count: Int

    /// A failure of `count` particles, the first with `value`.
    public init(_ problem: ParameterProblem, value: Double, count: Int) {
        self.problem = problem
        self.value = value
        self.count = count
    }
}

/// One random instruction over a chunk of particles: the rows of its
/// output and parameters (slot-major, `count` lanes each) and, for the
/// reverse sweep, the adjoint rows of the parameters that carry a derivative.
public struct RandomCall {
    /// The number of particles (lanes) in the chunk.
    public let count: Int
    /// The drawn values, one per lane.
    public let output: UnsafeMutablePointer<Double>
    @usableFromInline let values: UnsafeMutablePointer<Double>
    @usableFromInline let adjoints: UnsafeMutablePointer<Double>
    @usableFromInline let stride: Int
    @usableFromInline let slots: UnsafePointer<Int32>
    @usableFromInline let carries: UnsafePointer<Bool>
    /// How many parameters the node has (a categorical's k).
    public let parameterCount: Int
    /// Bit i set: the plan knows parameter i is the same in every lane (a
    /// node without a random ancestor, computed once per run).
    @usableFromInline let uniformBits: UInt64

    /// A call reading `parameterCount` slots from rows of `stride` doubles;
    /// `uniformBits` marks the parameters the plan knows to be the same in every lane.
    @inlinable
    public init(count: Int, output: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>,
                adjoints: UnsafeMutablePointer<Double>, stride: Int, slots: UnsafePointer<Int32>,
                carries: UnsafePointer<Bool>, parameterCount: Int, uniformBits: UInt64 = 0) {
        self.parameterCount = parameterCount
        self.uniformBits = uniformBits
        self.count = count
        self.output = output
        self.values = values
        self.adjoints = adjoints
        self.stride = stride
        self.slots = slots
        self.carries = carries
    }

    /// Parameter `i`'s value in each lane.
    @inlinable
    public func parameter(_ i: Int) -> UnsafePointer<Double> {
        UnsafePointer(values + Int(slots[i]) * stride)
    }

    /// Parameter `i`'s value when every lane holds the same bits (a
    /// constant or a parameter, as in a loop's iterations), else nil: one
    /// pass of compares that vectorises, so a sampler can check it once and
    /// a score can take its reciprocals once.
    @inlinable
    public func uniformParameter(_ i: Int) -> Double? {
        guard count > 0 else { return nil }
        if isUniform(i) { return parameter(i)[0] }
        let bits = UnsafeRawPointer(parameter(i)).assumingMemoryBound(to: UInt64.self)
        let first = bits[0]
        var differ: UInt64 = 0
        for l in 0..<count { differ |= bits[l] ^ first }
        return differ == 0 ? Double(bitPattern: first) : nil
    }

    /// Whether the plan knows parameter `i` to be the same in every lane
    /// (then lane 0 stands for all, without a pass over them).
    @inlinable
    public func isUniform(_ i: Int) -> Bool {
        i < 64 && (uniformBits >> UInt64(i)) & 1 == 1
    }

    /// Where parameter `i`'s adjoint accumulates, or nil when no gradient
    /// parameter reaches it (then nothing need be added).
    @inlinable
    public func adjoint(_ i: Int) -> UnsafeMutablePointer<Double>? {
        carries[i] ? adjoints + Int(slots[i]) * stride : nil
    }
}

/// A distribution: everything the tracer, the analysis, the engine and the
/// printer need to know about one kind of random node.
///
/// Estimator loops run over a chunk of particles and *add* to the parameters'
/// adjoints (`+=`, as every op of the reverse sweep does).
public protocol Distribution: Sendable {
    /// The name programs call it by: `normal`.
    var name: String { get }
    /// Its parameters' names, in call order: `["mu", "sigma"]`.
    var parameterNames: [String] { get }
    /// Where its values lie.
    var support: Support { get }
    /// The estimators it admits (`.pathwise` first when it can be reparametrised).
    var estimators: [Estimator] { get }
    /// For ``Estimator/exact``: every value it can take.
    var outcomes: [Double] { get }
    /// Every value a node with `parameterCount` parameters can take (a
    /// categorical over k probabilities: 0, …, k − 1).
    func outcomes(parameterCount: Int) -> [Double]
    /// True when its parameters are one list of any length
    /// (`categorical(probs)`), each element a parameter of the node.
    var takesProbabilityList: Bool { get }

    /// Why a value known while tracing is invalid for parameter `index`, or nil.
    func problem(parameter index: Int, value: Double) -> ParameterProblem?
    /// Why parameters known while tracing are invalid together (a uniform's
    /// b ≤ a, a categorical's probabilities that do not add up to 1): the
    /// problem, the value to show and the parameter to point at; nil when
    /// they are valid. Each parameter alone has passed ``problem(parameter:value:)``.
    func problem(parameters: [Double]) -> (ParameterProblem, Double, index: Int)?
    /// Fills `call.output` with draws, lane l from `streams.generator(l)` (its
    /// particle's own numbers), checking the parameters of every lane;
    /// returns the first kind of invalid parameter found.
    func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure?
    /// log p(x | p), written once over any ``DensityScalar``: numbers, the
    /// tracer's values (`normal_lpdf` of random values) and dual numbers
    /// (the score, when the distribution writes none of its own). −inf
    /// outside the support, through ``DensityScalar/inside(_:closed:_:)`` or
    /// ``DensityScalar/restricted(to:_:)``.
    func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S

    /// Pathwise: adds `g · ∂x/∂θᵢ` to each carried parameter's adjoint, where
    /// `g` is the adjoint of the drawn value.
    func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>)
    /// Score function: adds `w · ∂ log p(x | θ)/∂θᵢ` to each carried
    /// parameter's adjoint, where `w` is the (baselined) downstream cost.
    /// By default derived from ``logDensity(_:_:)`` in dual numbers.
    func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>)
    /// Enumeration: adds `Σⱼ ∂P(X = outcomeⱼ)/∂θᵢ · costⱼ`, where row j of
    /// `costs` (stride `call`'s row length) holds the cost with the node set to outcome j.
    func addEnumeration(_ call: RandomCall, costs: UnsafePointer<Double>, stride: Int)

    /// For ``Estimator/mvd``: how many counterfactual values
    /// ("worlds") each lane gets, and which of them parameter `index`'s
    /// derivative reads (a normal: worlds 0 and 1 for the mean, 2 and 3 for
    /// sigma). Worlds of parameters that carry no derivative are not run.
    var measureValuedWorldCount: Int { get }
    /// See ``measureValuedWorldCount``.
    func measureValuedWorlds(parameter index: Int) -> Range<Int>
    /// What the worlds compare, for people: "Weibull pair for mu".
    func measureValuedPairs(worlds: Set<Int>) -> String
    /// Writes the worlds of every lane: row w (at `worlds + w · stride`)
    /// holds the value the node takes in world w, from the parameters, the
    /// drawn value `call.output` and each particle's own numbers from
    /// `streams` (common random numbers: both parts of a pair read the same draws).
    func fillMeasureValued(_ call: RandomCall, worlds: UnsafeMutablePointer<Double>, stride: Int,
                           streams: ParticleStreams)
    /// Measure-valued: adds `c_θ (f⁺ − f⁻)` to each carried parameter's
    /// adjoint, where row w of `costs` (stride `stride`) is the cost in
    /// world w and `sampled` the cost with the value drawn.
    func addMeasureValued(_ call: RandomCall, costs: UnsafePointer<Double>, sampled: UnsafePointer<Double>, stride: Int)
}

extension Distribution {
    /// Whether it admits `estimator`: one it lists, or a registered
    /// estimator whose rule takes it.
    public func admits(_ estimator: Estimator) -> Bool {
        if estimators.contains(estimator) { return true }
        // A built-in estimator takes the distributions that list it.
        return Int(estimator.index) >= EstimatorRegistry.builtins.count && estimator.rule.admits(self)
    }

    /// By default a distribution has no outcomes to enumerate.
    public var outcomes: [Double] { [] }
    /// By default the outcomes do not depend on the parameters.
    public func outcomes(parameterCount: Int) -> [Double] { outcomes }
    /// By default a distribution takes its named parameters.
    public var takesProbabilityList: Bool { false }
    /// By default parameters valid one by one are valid together.
    public func problem(parameters: [Double]) -> (ParameterProblem, Double, index: Int)? { nil }

    /// Only reached for an estimator the distribution admits: a distribution
    /// that lists it implements it.
    public func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>) {}
    /// See ``addPathwise(_:adjoint:)``.
    public func addEnumeration(_ call: RandomCall, costs: UnsafePointer<Double>, stride: Int) {}
    /// By default there is no measure-valued derivative.
    public var measureValuedWorldCount: Int { 0 }
    /// See ``measureValuedWorldCount``.
    public func measureValuedWorlds(parameter index: Int) -> Range<Int> { 0..<0 }
    /// By default, the worlds against the value drawn.
    public func measureValuedPairs(worlds: Set<Int>) -> String { "the worlds against the value drawn" }
    /// See ``addPathwise(_:adjoint:)``.
    public func fillMeasureValued(_ call: RandomCall, worlds: UnsafeMutablePointer<Double>, stride: Int,
                                  streams: ParticleStreams) {}
    /// See ``addPathwise(_:adjoint:)``.
    public func addMeasureValued(_ call: RandomCall, costs: UnsafePointer<Double>, sampled: UnsafePointer<Double>,
                                 stride: Int) {}
}

extension RandomCall {
    /// The first invalid lane's problem, counting every lane with that
    /// problem; `problem(l)` says what is wrong in lane l (and with which
    /// value), or nil. Called once a chunk is known to hold a bad lane.
    public func failure(_ problem: (Int) -> (ParameterProblem, Double)?) -> SampleFailure? {
        var first: (ParameterProblem, Double)?
        for l in 0..<count {
            if let found = problem(l) {
                first = found
                break
            }
        }
        guard let first else { return nil }
        var matching = 0
        for l in 0..<count where problem(l)?.0 == first.0 { matching += 1 }
        return SampleFailure(first.0, value: first.1, count: matching)
    }
}

/// A distribution of one parameter whose score-function weight can be made
/// and used in the same pass: for a node whose weight is one cost term of
/// its own, `w = c − (total − c) · inverse` with `c = sign · cost`, `total`
/// the chunk's sum of `c` and `inverse` 1/(m − 1) (0 without a baseline),
/// added as `w · ∂log p/∂θ` — without writing the weights out and reading
/// them back. Not a requirement of ``Distribution`` (plugins need not
/// know it); the engine looks for it once per workspace.
package protocol FusedScore {
    func addScore(_ call: RandomCall, cost: UnsafePointer<Double>, sign: Double, total: Double, inverse: Double)
}

extension Bernoulli: FusedScore {}

/// A distribution whose score, for a parameter every lane shares, takes
/// one value per outcome: a loop whose score terms add up as it runs adds
/// each lane's ∂log p/∂θ straight to its particle's sum, `sums[ids[l]]`
/// (the bits of a weight of 1 walked back to the parameter and added
/// there, without the pass over an adjoint row between). Returns false,
/// having done nothing, when the lanes' parameters differ.
package protocol ScoreSums {
    func addScore(_ call: RandomCall, toSums sums: UnsafeMutablePointer<Double>, lanes ids: UnsafePointer<Int32>) -> Bool
}

extension Bernoulli: ScoreSums {
    package func addScore(_ call: RandomCall, toSums sums: UnsafeMutablePointer<Double>, lanes ids: UnsafePointer<Int32>) -> Bool {
        guard let (one, zero) = Bernoulli.logDerivatives(call) else { return false }
        let o = call.output
        for l in 0..<call.count { sums[Int(ids[l])] += o[l] == 1 ? one : zero }
        return true
    }
}
extension Exponential: FusedScore {}
extension Poisson: FusedScore {}

