// EstimatorAnalysis.swift — which estimator each random node uses, and why.

/// Chooses an estimator for every random node of a graph.
///
/// First pass: a normal is reparametrised (pathwise), a bernoulli uses the
/// score function with a leave-one-out baseline; an annotation overrides.
public enum EstimatorAnalysis {
    /// The choice for every random ancestor of `root`.
    public static func choose(in graph: Graph, for root: NodeID) -> [NodeID: EstimatorChoice] {
        var choices: [NodeID: EstimatorChoice] = [:]
        for id in graph.ancestors(of: [root]) {
            let node = graph[id]
            switch node.op {
            case .normal:
                switch node.requestedEstimator {
                case .score?:
                    choices[id] = EstimatorChoice(.score, reason: "requested by @score")
                case .pathwise?:
                    choices[id] = EstimatorChoice(.pathwise, reason: "requested by @pathwise")
                default:
                    choices[id] = EstimatorChoice(.pathwise, reason: "a normal can be reparametrised")
                }
            case .bernoulli:
                switch node.requestedEstimator {
                case .score?:
                    choices[id] = EstimatorChoice(.score, reason: "requested by @score")
                case .exact?:
                    choices[id] = EstimatorChoice(.score, reason: "@exact is not available yet; using the score function")
                default:
                    choices[id] = EstimatorChoice(.score, reason: "a bernoulli cannot be reparametrised; leave-one-out baseline")
                }
            default:
                break
            }
        }
        return choices
    }
}
