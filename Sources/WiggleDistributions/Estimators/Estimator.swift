// Estimator.swift — the estimators a random node can take, as a table of
// plug-ins. Each estimator is one type conforming to ``EstimatorRule``
// (which distributions it serves, how the engine runs it, its worlds, its
// forward and backward work, its cost and its words) and one line in
// ``EstimatorRegistry/builtins``; a program or a test may register more.
// Its name is the one word people see: the annotation (`@mvd`), explain and
// JSON.

import Synchronization
import WiggleCore

/// How the engine runs an estimator. Each mechanism is a kind of work the
/// plan and the workspace know how to do; an estimator picks one and
/// supplies the mathematics.
public enum EstimatorMechanism: Sendable, Equatable {
    /// The drawn value carries the derivative along the path
    /// (``Distribution/addPathwise(_:adjoint:)`` in the reverse sweep).
    case pathwise
    /// ∇log p(x) times the node's downstream cost less a leave-one-out
    /// baseline (``Distribution/addScore(_:weights:)``).
    case score
    /// What lies downstream re-run once per outcome of a finite
    /// distribution, with common random numbers
    /// (``Distribution/addEnumeration(_:costs:stride:)``).
    case outcomes
    /// What lies downstream re-run once per counterfactual value — a
    /// "world" — the estimator draws for each particle, the costs then
    /// combined by the estimator (``EstimatorRule/fillWorlds(_:_:worlds:stride:streams:)``
    /// and ``EstimatorRule/addGradient(_:_:costs:sampled:stride:)``).
    case worlds
    /// A program over each particle that carries, beside its own path, one
    /// alternative path where a discrete draw's outcome would flip as the
    /// parameters move, with its weight (stochastic triples, run forward
    /// with the values: WiggleAnalysis's DerivativeProgram). In a reverse
    /// sweep, where no such program runs, the node is the score function.
    case triples
}

/// An estimator: everything the analysis, the plan, the engine and the
/// printer need to know about one way of differentiating through a random node.
public protocol EstimatorRule: Sendable {
    /// The word programs write after `@` and explain and JSON report: `mvd`.
    var name: String { get }
    /// What it is, for people: "measure-valued".
    var title: String { get }
    /// The engine's work it runs on.
    var mechanism: EstimatorMechanism { get }
    /// Whether a node of `distribution` may take it.
    func admits(_ distribution: any Distribution) -> Bool

    /// For ``EstimatorMechanism/worlds``: how many worlds each lane gets.
    func worldCount(for distribution: any Distribution) -> Int
    /// Which worlds parameter `index`'s derivative reads (worlds of
    /// parameters that carry no derivative are not run).
    func worlds(for distribution: any Distribution, parameter index: Int) -> Range<Int>
    /// What the worlds are, for people: "Weibull pair for mu".
    func describe(worlds: Set<Int>, of distribution: any Distribution) -> String
    /// Writes row w (at `worlds + w · stride`) with the value the node takes
    /// in world w for every lane, from the parameters, the value drawn
    /// (`call.output`) and each particle's own numbers from `streams` (a
    /// sub-address of the node's: never the numbers of its draw).
    func fillWorlds(_ distribution: any Distribution, _ call: RandomCall, worlds: UnsafeMutablePointer<Double>,
                    stride: Int, streams: ParticleStreams)
    /// Adds each carried parameter's derivative to its adjoint, from row w
    /// of `costs` (the cost in world w) and `sampled` (the cost with the value drawn).
    func addGradient(_ distribution: any Distribution, _ call: RandomCall, costs: UnsafePointer<Double>,
                     sampled: UnsafePointer<Double>, stride: Int)
    /// Its cost model: how many node runs per particle it adds when it runs
    /// `worlds` worlds over `downstream` nodes (the analysis spends its
    /// re-run budget by it; by default one run of everything downstream per world).
    func rerunCost(worlds: Int, downstream: Int) -> Int
}

extension EstimatorRule {
    public func worldCount(for distribution: any Distribution) -> Int { 0 }
    public func worlds(for distribution: any Distribution, parameter index: Int) -> Range<Int> { 0..<0 }
    public func describe(worlds: Set<Int>, of distribution: any Distribution) -> String { title }
    public func fillWorlds(_ distribution: any Distribution, _ call: RandomCall, worlds: UnsafeMutablePointer<Double>,
                           stride: Int, streams: ParticleStreams) {}
    public func addGradient(_ distribution: any Distribution, _ call: RandomCall, costs: UnsafePointer<Double>,
                            sampled: UnsafePointer<Double>, stride: Int) {}
    public func rerunCost(worlds: Int, downstream: Int) -> Int { max(1, worlds) * max(1, downstream) }
}

extension Estimator: CustomStringConvertible {
    /// The estimator called `name` (`mvd`), if there is one.
    public init?(rawValue name: String) {
        guard let found = EstimatorRegistry.estimator(named: name) else { return nil }
        self = found
    }

    /// Every registered estimator, in table order.
    public static var allCases: [Estimator] { EstimatorRegistry.all }

    /// Its rule.
    public var rule: any EstimatorRule { EstimatorRegistry[self] }
    /// Its one word: the annotation, explain's and JSON's.
    public var rawValue: String { rule.name }
    public var description: String { rawValue }
    /// How the engine runs it.
    public var mechanism: EstimatorMechanism { rule.mechanism }
}

/// The estimators, by position and by name.
public enum EstimatorRegistry {
    /// The estimators every program has, in the order of ``Estimator``'s constants.
    public static let builtins: [any EstimatorRule] = [
        PathwiseEstimator(),
        ScoreFunctionEstimator(),
        ExactEstimator(),
        MeasureValuedEstimator(),
        StochasticTripleEstimator(),
    ]

    private static let table = Mutex<[any EstimatorRule]>(builtins)

    /// Adds an estimator (or returns the one already registered under its
    /// name); programs annotate draws with `@name` from then on. A
    /// registered estimator runs on the worlds mechanism (the engine's other
    /// mechanisms call the distributions' own pathwise, score and exact
    /// loops, which the built-ins already name). Nil for a rule on another
    /// mechanism, or when the table is full (255 estimators).
    @discardableResult
    public static func register(_ rule: any EstimatorRule) -> Estimator? {
        guard rule.mechanism == .worlds else { return nil }
        return table.withLock { table in
            if let index = table.firstIndex(where: { $0.name == rule.name }) { return Estimator(index: UInt8(index)) }
            guard table.count < Int(UInt8.max) else { return nil }
            table.append(rule)
            return Estimator(index: UInt8(table.count - 1))
        }
    }

    /// The rule of an estimator (the built-ins' without taking the lock:
    /// the analysis and the plan ask often).
    public static subscript(estimator: Estimator) -> any EstimatorRule {
        let index = Int(estimator.index)
        if index < builtins.count { return builtins[index] }
        return table.withLock { $0[index] }
    }

    /// The estimator called `name`.
    public static func estimator(named name: String) -> Estimator? {
        table.withLock { table in table.firstIndex { $0.name == name }.map { Estimator(index: UInt8($0)) } }
    }

    /// Every registered estimator.
    public static var all: [Estimator] {
        table.withLock { table in table.indices.map { Estimator(index: UInt8($0)) } }
    }
}
