// EstimatorAnalysis.swift — which estimator each random node uses, and why;
// and where no estimator can make the gradient unbiased.
//
// The rules (DESIGN.md, "Estimators"):
// - A normal is pathwise unless its value reaches, through smooth ops, a
//   discontinuous input: a comparison, floor, round, not, the condition of a
//   select. There the pathwise derivative misses the jump, so it uses the
//   score function. abs, min and max are continuous and keep it pathwise. A
//   path ends where it enters another random node's parameter: that node's
//   own estimator accounts for the jump.
// - A bernoulli uses the exact 2-point derivative when the graph downstream of
//   it is small enough to run twice, else the score function.
// - A parameter that reaches a discontinuity through deterministic ops alone
//   gets a warning: no node's estimator can fix that.
// - Annotations override; a biased override is honoured with a warning.

/// A place where the gradient is biased, in words.
public struct AnalysisWarning: Sendable, Equatable {
    /// Where the biased node was made.
    public var site: Site
    /// Why the gradient is biased there.
    public var message: String
}

/// What the analysis decided for one objective.
public struct EstimatorPlan: Sendable {
    /// The estimator of every random ancestor of the objective.
    public var choices: [NodeID: EstimatorChoice]
    /// Where the gradient may be biased.
    public var warnings: [AnalysisWarning]
}

/// Chooses an estimator for every random node of a graph.
public enum EstimatorAnalysis {
    /// A bernoulli whose downstream graph has at most this many per-particle
    /// nodes gets the exact derivative.
    public static let exactDownstreamLimit = 2_000
    /// And all exact nodes together may re-run at most this many times the plan.
    public static let exactBudgetFactor = 20

    /// The choice for every random ancestor of `root`, with the warnings for
    /// the gradient with respect to `parameters` (all reaching `root` if nil).
    public static func analyse(_ graph: Graph, root: NodeID, parameters: [Int]? = nil) -> EstimatorPlan {
        let order = graph.ancestors(of: [root])
        let discontinuity = reachedDiscontinuities(graph, order: order)
        let ancestry = RandomAncestry(graph: graph, order: order)
        var choices: [NodeID: EstimatorChoice] = [:]
        var warnings: [AnalysisWarning] = []
        let perParticleCount = order.filter { graph[$0].isRandom }.count
        var exactBudget = exactBudgetFactor * max(1, perParticleCount)

        // Bernoullis later in the order have smaller downstream graphs: decide
        // from the end so the budget goes to as many as possible.
        for id in order.reversed() {
            let node = graph[id]
            switch node.op {
            case .normal:
                let jump = discontinuity[id]
                switch node.requestedEstimator {
                case .score?:
                    choices[id] = EstimatorChoice(.score, reason: "requested by @score")
                case .pathwise?:
                    if let jump {
                        choices[id] = EstimatorChoice(.pathwise, reason: "requested by @pathwise; biased: reaches \(jump.description)")
                        warnings.append(AnalysisWarning(site: node.site, message:
                            "\(name(of: node)) is pathwise by @pathwise but reaches \(jump.description); its pathwise derivative misses the jump there, so the gradient is biased"))
                    } else {
                        choices[id] = EstimatorChoice(.pathwise, reason: "requested by @pathwise; every use is smooth")
                    }
                default:
                    if let jump {
                        choices[id] = EstimatorChoice(.score, reason: "reaches \(jump.description)")
                    } else {
                        choices[id] = EstimatorChoice(.pathwise, reason: "every use is smooth")
                    }
                }
            case .bernoulli:
                let downstream = ancestry.map { ancestry in
                    guard let bit = ancestry.index(of: id) else { return 0 }
                    return order.filter { $0 != id && graph[$0].isRandom && ancestry.depends($0, on: bit) }.count
                }
                switch node.requestedEstimator {
                case .score?:
                    choices[id] = EstimatorChoice(.score, reason: "requested by @score; leave-one-out baseline")
                case .exact? where downstream != nil:
                    choices[id] = EstimatorChoice(.exact, reason: "requested by @exact; runs \(count(downstream ?? 0)) downstream twice")
                case .exact?:
                    choices[id] = EstimatorChoice(.score, reason: "@exact is not possible: the graph is too large to track what lies downstream; leave-one-out baseline")
                default:
                    if let downstream, downstream <= exactDownstreamLimit, 2 * downstream <= exactBudget {
                        exactBudget -= 2 * downstream
                        choices[id] = EstimatorChoice(.exact, reason: "runs \(count(downstream)) downstream twice, with common random numbers")
                    } else {
                        let size = downstream.map { "\($0) nodes" } ?? "too many nodes to track"
                        choices[id] = EstimatorChoice(.score, reason: "downstream graph too large to run twice (\(size)); leave-one-out baseline")
                    }
                }
            default:
                break
            }
        }

        // Parameters whose jump no estimator sees.
        let wanted = parameters.map(Set.init) ?? Set(graph.parameters(reaching: root))
        for id in order {
            guard case .parameter(let index) = graph[id].op, wanted.contains(index), let jump = discontinuity[id] else { continue }
            let parameter = graph.parameters[index].name
            warnings.append(AnalysisWarning(site: jump.site, message:
                "the gradient with respect to '\(parameter)' misses a jump: '\(parameter)' reaches \(jump.description) through deterministic operations, where no random node's estimator can account for it"))
        }
        return EstimatorPlan(choices: choices, warnings: warnings)
    }

    /// The choice for every random ancestor of `root` (without warnings).
    public static func choose(in graph: Graph, for root: NodeID) -> [NodeID: EstimatorChoice] {
        analyse(graph, root: root).choices
    }

    static func count(_ nodes: Int) -> String { nodes == 1 ? "1 node" : "\(nodes) nodes" }

    static func name(of node: Node) -> String {
        let label = node.label.map { "'\($0)'" } ?? "the \(node.op.distributionName ?? "node")"
        return "\(label) (line \(node.site.line))"
    }

    /// A discontinuity a value reaches, for messages: "`>` at line 7".
    struct Jump {
        var what: String
        var site: Site
        var description: String { "\(what) at line \(site.line)" }
    }

    /// For every node, the first discontinuous input it reaches through
    /// deterministic smooth or continuous ops (paths stop at random nodes).
    static func reachedDiscontinuities(_ graph: Graph, order: [NodeID]) -> [NodeID: Jump] {
        var consumers: [NodeID: [(NodeID, Int)]] = [:]
        for id in order {
            for (position, input) in graph[id].op.inputs.enumerated() {
                consumers[input, default: []].append((id, position))
            }
        }
        var reached: [NodeID: Jump] = [:]
        for id in order.reversed() {
            for (consumer, position) in consumers[id] ?? [] {
                let node = graph[consumer]
                if node.op.isRandom { continue }
                if let what = discontinuousInput(node.op, position) {
                    reached[id] = Jump(what: what, site: node.site)
                    break
                }
                if let further = reached[consumer] {
                    reached[id] = further
                    break
                }
            }
        }
        return reached
    }

    /// How an op is named when one of its inputs jumps, or nil when the op
    /// is continuous in that input.
    static func discontinuousInput(_ op: Op, _ position: Int) -> String? {
        switch op {
        case .unary(let f, _) where f.continuity == .discontinuous:
            return "`\(f.rawValue)`"
        case .binary(let f, _, _) where f.continuity == .discontinuous:
            let symbols: [BinaryFunction: String] = [.less: "<", .lessEqual: "<=", .greater: ">", .greaterEqual: ">=",
                                                     .equal: "==", .notEqual: "!="]
            return "`\(symbols[f] ?? f.rawValue)`"
        case .select where position == 0:
            return "the condition of an if"
        case .pick where position == 0:
            return "an index"
        default:
            return nil
        }
    }
}
