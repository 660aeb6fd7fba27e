// EstimatorPilot.swift — where more than one unbiased estimator is valid, measure
// which is better instead of trusting a fixed rule. Fixed rules lose:
// - on 300 bernoullis summed and compared to a threshold, the exact 2-point
//   derivative has several times the variance of the score function with its
//   leave-one-out baseline (each exact term is small, but they all move
//   together), while on a small downstream graph it wins by far;
// - splitting a normal by term removes the noise of the score function from
//   its smooth terms, unless those terms were a control variate for the
//   jump (a hedge beside a digital payoff), which the split takes away.
//
// Each decision compares two plans — the analysis's choice and the
// alternative — by running both on a pilot with streams of its own (the
// session's seed, a draw number no estimate uses) and keeping the one with
// the lower gradient variance × work. The variance is the whole gradient's,
// covariances between nodes included; work is counted in instructions, so
// the same seed gives the same choice on any machine and for any thread
// count. The pilot starts small and grows only when the first answer is close.

import Foundation
import WiggleCore
import WiggleDistributions

/// Runs two sets of choices on a pilot of the given stages and compares
/// them (the engine's part: WiggleGraph's `Pilot`); nil when a run fails.
public typealias PilotMeasure = (_ first: [NodeID: EstimatorChoice], _ second: [NodeID: EstimatorChoice],
                                 _ stages: [Int]) -> PilotMeasurement?

/// Chooses between the unbiased estimators of nodes by measured variance:
/// which alternatives to compare, and the words for what was found. The
/// measuring is the engine's, passed in.
public enum EstimatorPilot {
    /// Particles in the pilot's stages: a clear answer on the first stops it.
    public static let stages = [256, 2_048]
    /// The draw number of pilot runs (estimates count their draws up from 1).
    public static let draw = UInt64.max - 1
    /// Up to this many measure-valued candidates get a pilot each; more are
    /// decided together.
    public static let maximumSeparateDecisions = 4
    /// A smooth normal's measure-valued derivative is measured against
    /// pathwise only on the stages of at most this share of the estimate's
    /// particles (each plan runs at most a stage), so the pilot stays a
    /// small part of the work: at the default 10,000 particles only the
    /// 256-particle stage runs (≤ 2.6% per plan); from 16,384 both.
    public static let smoothShare = 8

    /// The analysis's choices, with each decision between two unbiased
    /// estimators (measure-valued derivative or score function; split by
    /// term or not; exact derivative or score function) made by a pilot. Annotated nodes are left alone; when a pilot run
    /// fails, the analysis's choice stands (the real run reports the problem).
    /// `estimateParticles` is the size of the estimates the plan serves:
    /// the smooth normals' comparison runs only where it is small beside them.
    /// `measure` runs two sets of choices on the pilot's stages and
    /// compares them; nil when a run fails.
    public static func refine(_ analysis: AnalysisResult, graph: Graph, root: NodeID, parameters: [Int],
                              estimateParticles: Int = 0, measure: PilotMeasure) -> AnalysisResult {
        guard !parameters.isEmpty, graph[root].isRandom else { return analysis }
        let wanted = Set(parameters)
        var refined = analysis
        let order = graph.ancestors(of: [root])
        // The nodes a parameter of the gradient reaches, all at once.
        let moved = graph.reached(byParameters: wanted, in: order)

        // Smooth normals: pathwise, or the measure-valued derivative where
        // the pilot measures it better (variance × work).
        let smooth = refined.smoothAlternatives.filter { id, _ in
            graph[id].requestedEstimator == nil && moved.contains(id)
        }
        let smoothStages = stages.filter { smoothShare * $0 <= estimateParticles }
        if !smooth.isEmpty && !smoothStages.isEmpty {
            let groups = smooth.count <= maximumSeparateDecisions ? smooth.keys.sorted().map { [$0] } : [smooth.keys.sorted()]
            for group in groups {
                var others = refined.choices
                for id in group { others[id] = smooth[id] }
                guard let found = measure(refined.choices, others, smoothStages) else { continue }
                for id in group {
                    guard let choice = refined.choices[id], let pair = smooth[id] else { continue }
                    refined.choices[id] = found.prefersFirst
                        ? EstimatorChoice(choice, suffix: .pilotKept(found, over: .measureValued))
                        : EstimatorChoice(EstimatorChoice(pair, note: .pilotTaken(found, over: .pathwise)), note: .smooth)
                }
            }
        }
        refined.smoothAlternatives = [:]

        // The measure-valued derivative or the score function (split by
        // term where the analysis would split it), for the nodes whose
        // parameters depend on a parameter of the gradient.
        let measured = refined.alternatives.filter { id, _ in
            graph[id].requestedEstimator == nil && moved.contains(id)
        }
        // A few nodes are decided one at a time (a Poisson's shift may lose
        // where an exponential's pair wins); many, together.
        let groups = measured.count <= maximumSeparateDecisions
            ? measured.keys.sorted().map { [$0] } : [measured.keys.sorted()]
        for group in groups {
            var others = refined.choices
            for id in group { others[id] = measured[id] }
            guard let found = measure(refined.choices, others, stages) else { continue }
            for id in group {
                guard let choice = refined.choices[id], let alternative = measured[id] else { continue }
                let other: PilotAlternative = alternative.split == nil ? .score : .pathwiseAndScoreByTerm
                refined.choices[id] = found.prefersFirst
                    ? EstimatorChoice(choice, suffix: .pilotKept(found, over: other))
                    : EstimatorChoice(alternative, note: .pilotTaken(found, over: .measureValued))
            }
        }
        refined.alternatives = [:]

        // Split by term, or the score function for every term.
        let splits = refined.choices.filter { $0.value.split != nil }
        if !splits.isEmpty {
            var whole = refined.choices
            for (id, choice) in splits {
                let jump = choice.split?.jumpEstimator ?? .score
                let reaches = ReasonClause.reaches(choice.split?.jump ?? "a jump")
                whole[id] = EstimatorChoice(jump, jump == .mvd ? [reaches, .measureValuedForEveryTerm] : [reaches])
            }
            if let measured = measure(refined.choices, whole, stages) {
                let keep = measured.prefersFirst
                for (id, choice) in splits {
                    let every: PilotAlternative = choice.split?.jumpEstimator == .mvd
                        ? .measureValuedForEveryTerm : .scoreForEveryTerm
                    refined.choices[id] = keep
                        ? EstimatorChoice(choice, suffix: .pilotKept(measured, over: every))
                        : EstimatorChoice(whole[id] ?? choice, note: .notSplit(measured))
                }
            }
        }

        // Stochastic triples for the discrete draws that can take them,
        // against what was chosen for them so far (the score function, or
        // their exact derivative): one decision for all of them, since
        // they share each particle's alternative path. Weighed first
        // against the analysis's choice, so that where triples win no
        // pilot weighs the exact derivative against the score function for
        // draws that take neither; where they lose and that decision then
        // changes a choice, weighed again against the new one (what
        // explain says is then what was measured against what is chosen).
        // Returns the measurement where triples lost.
        func weighTriples() -> (measured: PilotMeasurement, flips: [NodeID])? {
            let flips = refined.choices.filter { id, choice in
                let node = graph[id]
                guard node.requestedEstimator == nil, !choice.pinned, choice.split == nil,
                      [.score, .exact, .mvd].contains(choice.estimator),
                      node.op.distribution?.admits(.triple) == true, moved.contains(id) else { return false }
                return EstimatorAnalysis.nestedLoopDownstream(of: id, graph, order: order, ancestry: nil) == nil
            }
            guard !flips.isEmpty else { return nil }
            var triples = refined.choices
            for id in flips.keys { triples[id] = EstimatorChoice(.triple, [.triples]) }
            // A smooth normal the pilot moved to its measure-valued pair goes
            // back to pathwise beside them (triples run beside pathwise draws).
            var smooth: [NodeID] = []
            for (id, choice) in refined.choices where choice.estimator == .mvd {
                if let original = analysis.choices[id], original.estimator == .pathwise, original.split == nil {
                    triples[id] = original
                    smooth.append(id)
                }
            }
            guard let measured = measure(refined.choices, triples, stages) else { return nil }
            if measured.prefersFirst { return (measured, Array(flips.keys)) }
            for id in smooth { refined.choices[id] = triples[id] }
            for (id, choice) in flips {
                let other: PilotAlternative = choice.estimator == .exact ? .exact(points: graph[id].op.outcomes.count)
                    : choice.estimator == .mvd ? .measureValued : .score
                refined.choices[id] = EstimatorChoice(triples[id] ?? choice, note: .pilotTaken(measured, over: other))
            }
            return nil
        }
        var keptOverTriples = weighTriples()

        // The exact derivative or the score function, for the nodes whose
        // parameters depend on a parameter of the gradient.
        let candidates = refined.choices.filter { id, choice in
            choice.estimator == .exact && graph[id].requestedEstimator == nil && !choice.pinned
                && moved.contains(id)
        }
        if !candidates.isEmpty {
            var score = refined.choices
            for id in candidates.keys { score[id] = EstimatorChoice(.score, [.leaveOneOut]) }
            if let measured = measure(refined.choices, score, stages) {
                for (id, choice) in candidates {
                    refined.choices[id] = measured.prefersFirst
                        ? EstimatorChoice(choice, note: .pilotKept(measured, over: .score))
                        : EstimatorChoice(score[id] ?? choice, note: .pilotTaken(measured, over: .exact(points: graph[id].op.outcomes.count)))
                }
                if keptOverTriples != nil && !measured.prefersFirst { keptOverTriples = weighTriples() }
            }
        }
        if let (measured, flips) = keptOverTriples {
            for id in flips {
                guard let choice = refined.choices[id] else { continue }
                refined.choices[id] = EstimatorChoice(choice, suffix: .pilotKept(measured, over: .triples))
            }
        }
        return refined
    }
}

/// What a pilot found, first plan over second.
public struct PilotMeasurement: Sendable, Equatable {
    /// The geometric mean, over the gradient's components that vary, of
    /// the ratio of variances.
    public var varianceRatio: Double
    public var workRatio: Double
    /// Particles each plan ran: the costlier runs fewer (see `compare`).
    public var particles: [Int]
    /// True when no component varies under either plan.
    public var noVariance: Bool

    public var prefersFirst: Bool { noVariance || varianceRatio * workRatio <= 1 }

    /// A measurement of the first plan over the second.
    public init(varianceRatio: Double, workRatio: Double, particles: [Int], noVariance: Bool) {
        self.varianceRatio = varianceRatio
        self.workRatio = workRatio
        self.particles = particles
        self.noVariance = noVariance
    }
}
