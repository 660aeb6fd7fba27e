// EstimatorChoice.swift — what the analysis decides for a random node and
// what a plan is compiled with: the estimator and, in words, why.

import WiggleCore
import WiggleDistributions

/// The estimator chosen for each random node, and why (in words, for people).
public struct EstimatorChoice: Sendable, Equatable {
    /// The estimator the node uses.
    public var estimator: Estimator
    /// Why it was chosen (worded by WiggleLang's ReasonWords).
    public var clauses: [ReasonClause]
    /// For a node that is the score function only for the terms it reaches
    /// through a jump, and pathwise for the others: which are which.
    public var split: TermSplit?
    /// True when no pilot may change it: the exact derivative of a
    /// probability sitting at 0 or 1 that moves with a parameter (the score
    /// function would never see the other outcome).
    public var pinned = false

    /// The estimator's name for people and JSON: "pathwise", "score",
    /// "exact", "mvd", or "pathwise+score" / "pathwise+mvd" for a node split by term.
    public var name: String { split.map { "pathwise+\($0.jumpEstimator.rawValue)" } ?? estimator.rawValue }

    /// A choice of `estimator`, for the reasons `clauses`.
    public init(_ estimator: Estimator, _ clauses: [ReasonClause]) {
        self.estimator = estimator
        self.clauses = clauses
    }

    /// The estimator a random node uses when no analysis has run (a plan
    /// compiled without choices): as requested, else pathwise where it can
    /// be reparametrised, else the score function.
    public static func `default`(for node: Node) -> EstimatorChoice {
        guard let distribution = node.op.distribution else { return EstimatorChoice(.pathwise, [.notRandom]) }
        if let requested = node.requestedEstimator { return EstimatorChoice(requested, [.requested(requested)]) }
        if distribution.admits(.pathwise) {
            return EstimatorChoice(.pathwise, [.reparametrisable(distribution: distribution.name, true)])
        }
        return EstimatorChoice(.score, [.reparametrisable(distribution: distribution.name, false)])
    }
}

extension EstimatorChoice {
    /// A choice with a clause before its reasons.
    package init(_ choice: EstimatorChoice, note: ReasonClause) {
        self = choice
        clauses = [note] + choice.clauses
    }

    /// A choice with a clause after its reasons.
    package init(_ choice: EstimatorChoice, suffix: ReasonClause) {
        self = choice
        clauses = choice.clauses + [suffix]
    }
}
