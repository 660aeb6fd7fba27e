// Reasons.swift — why the analysis and the pilot chose an estimator, as
// typed clauses. The words people read are WiggleLang's (ReasonWords); here
// is only what was found, so that a later step (the pilot, a term split, a
// second-order analysis) can read and rework a reason without parsing text.

import WiggleCore
import WiggleDistributions

/// Where a loop of random length stands to a node.
public enum LoopPlace: Sendable, Equatable {
    /// The node is inside the loop at this line.
    case inside(line: Int)
    /// What lies downstream of the node runs the loop at this line.
    case downstream(line: Int)
}

/// Why an estimator that re-runs what lies downstream could not run.
public enum RerunRefusal: Error, Sendable, Equatable {
    /// A loop of random length would have to be re-run.
    case loop(LoopPlace)
    /// The graph is too large to track what lies downstream.
    case untracked
    /// Re-running `runs` more times `downstream` nodes is past the budget.
    case tooLarge(runs: Int, downstream: Int)
    /// The derivative cannot be written as a program that carries
    /// alternative paths (stochastic triples): why, in words.
    case noTriples(String)
}

/// What the pilot compared a choice with.
public enum PilotAlternative: Sendable, Equatable {
    case measureValued
    case score
    case pathwise
    /// Pathwise for the smooth terms and the score function for the others.
    case pathwiseAndScoreByTerm
    /// Pathwise for the terms a split node reaches smoothly.
    case pathwiseForSmoothTerms
    case measureValuedForEveryTerm
    case scoreForEveryTerm
    /// The exact k-point derivative.
    case exact(points: Int)
    case triples
}

/// One clause of a reason.
public indirect enum ReasonClause: Sendable, Equatable {
    /// The program asked for it.
    case requested(Estimator)
    /// Every use of the value is smooth.
    case smooth
    /// The value reaches a jump (described: "`>` at line 5").
    case reaches(String)
    /// It reaches a jump, and the distribution has no score function.
    case reachesWithoutScore(String, distribution: String)
    /// Pathwise though it reaches a jump moved by a parameter, with no unbiased alternative.
    case biasedWithoutAlternative(String, distribution: String)
    /// Pathwise by request though it reaches a jump.
    case biased(String)
    /// It reaches a jump that no parameter moves.
    case unmoved(String)
    /// An estimator that re-runs what lies downstream once per world:
    /// its title, its worlds in words, the nodes re-run and how many worlds.
    case worlds(title: String, worlds: String, downstream: Int, count: Int)
    /// The requested estimator could not run.
    case notPossible(Estimator, RerunRefusal)
    /// The score function's baseline.
    case leaveOneOut
    /// Stochastic triples: one alternative path per particle, pruned.
    case triples
    /// Whether the distribution can be reparametrised (no analysis ran).
    case reparametrisable(distribution: String, Bool)
    /// Not a random node.
    case notRandom
    /// A draw whose distribution no parameter moves: nothing to differentiate.
    case parameterFree
    /// A normal drawn with the parameters' map of it folded in ("P · exp(a + b·z)").
    case folded(String)
    /// Second order: its outcomes were enumerated at the first, so the
    /// contribution reads only their probabilities, differentiated exactly.
    case enumerated(points: Int)
    /// Second order: the first order's contribution does not read it (x in E[x]).
    case unread
    /// The exact k-point derivative: the nodes re-run, once per outcome.
    case outcomes(downstream: Int, count: Int, commonNumbers: Bool)
    /// Too much downstream for the exact derivative (nil: untracked).
    case tooLargeForOutcomes(count: Int, downstream: Int?)
    /// A loop of random length stands in the way of re-running once per outcome.
    case loopCannotRerun(LoopPlace)
    /// A probability exactly 0 or 1 that moves (shown as "0" or "1").
    case certain(String)
    /// Split by term: pathwise for `pathwise` terms, the score function
    /// for the `jumped` terms that reach the jump.
    case splitScore(pathwise: Int, jumped: Int, jump: String)
    /// Split by term with a re-running estimator (`worlds`, a ``worlds`` clause) for the jumped terms.
    case splitWorlds(pathwise: Int, jumped: Int, jump: String, worlds: ReasonClause)
    /// The measure-valued derivative for every term, not split.
    case measureValuedForEveryTerm
    /// The pilot kept this choice over an alternative.
    case pilotKept(PilotMeasurement, over: PilotAlternative)
    /// The pilot took this choice over the analysis's.
    case pilotTaken(PilotMeasurement, over: PilotAlternative)
    /// The pilot took the whole node over splitting it by term.
    case notSplit(PilotMeasurement)
}

extension LoopPlace: CustomStringConvertible {
    /// "it is inside the loop of random length at line 4" (also in warnings).
    public var description: String {
        switch self {
        case .inside(let line): return "it is inside the loop of random length at line \(line)"
        case .downstream(let line): return "what lies downstream of it runs the loop of random length at line \(line)"
        }
    }
}

extension RerunRefusal: CustomStringConvertible {
    /// Why it could not run, in words (also in warnings).
    public var description: String {
        switch self {
        case .loop(let place): return place.description
        case .untracked: return "the graph is too large to track what lies downstream"
        case .tooLarge(let runs, let downstream): return "downstream graph too large to run \(runs) more times (\(downstream) nodes)"
        case .noTriples(let why): return why
        }
    }
}
