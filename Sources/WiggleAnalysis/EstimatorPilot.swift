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

        // Smooth normals: pathwise, or the measure-valued derivative where
        // the pilot measures it better (variance × work).
        let smooth = refined.smoothAlternatives.filter { id, _ in
            graph[id].requestedEstimator == nil && graph.parameters(reaching: id).contains(where: wanted.contains)
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
                        ? EstimatorChoice(choice, suffix: found.kept(over: "the measure-valued derivative"))
                        : EstimatorChoice(pair, note: "every use is smooth; " + found.taken(over: "pathwise"))
                }
            }
        }
        refined.smoothAlternatives = [:]

        // The measure-valued derivative or the score function (split by
        // term where the analysis would split it), for the nodes whose
        // parameters depend on a parameter of the gradient.
        let measured = refined.alternatives.filter { id, _ in
            graph[id].requestedEstimator == nil && graph.parameters(reaching: id).contains(where: wanted.contains)
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
                let other = alternative.split == nil ? "the score function" : "pathwise and score by term"
                refined.choices[id] = found.prefersFirst
                    ? EstimatorChoice(choice, suffix: found.kept(over: other))
                    : EstimatorChoice(alternative, note: found.taken(over: "the measure-valued derivative"))
            }
        }
        refined.alternatives = [:]

        // Split by term, or the score function for every term.
        let splits = refined.choices.filter { $0.value.split != nil }
        if !splits.isEmpty {
            var whole = refined.choices
            for (id, choice) in splits {
                let jump = choice.split?.jumpEstimator ?? .score
                whole[id] = EstimatorChoice(jump, reason: "reaches \(choice.split?.jump ?? "a jump")"
                    + (jump == .mvd ? "; measure-valued for every term" : ""))
            }
            if let measured = measure(refined.choices, whole, stages) {
                let keep = measured.prefersFirst
                for (id, choice) in splits {
                    let every = choice.split?.jumpEstimator == .mvd
                        ? "the measure-valued derivative for every term" : "the score function for every term"
                    refined.choices[id] = keep
                        ? EstimatorChoice(choice, suffix: measured.kept(over: every))
                        : EstimatorChoice(whole[id] ?? choice, note: "not split by term: "
                            + measured.taken(over: "pathwise for the terms it reaches smoothly"))
                }
            }
        }

        // The exact derivative or the score function, for the nodes whose
        // parameters depend on a parameter of the gradient.
        let candidates = refined.choices.filter { id, choice in
            choice.estimator == .exact && graph[id].requestedEstimator == nil && !choice.pinned
                && graph.parameters(reaching: id).contains(where: wanted.contains)
        }
        if !candidates.isEmpty {
            var score = refined.choices
            for id in candidates.keys { score[id] = EstimatorChoice(.score, reason: "leave-one-out baseline") }
            if let measured = measure(refined.choices, score, stages) {
                for (id, choice) in candidates {
                    let exact = "the exact \(graph[id].op.outcomes.count)-point derivative"
                    refined.choices[id] = measured.prefersFirst
                        ? EstimatorChoice(choice, note: measured.kept(over: "the score function"))
                        : EstimatorChoice(score[id] ?? choice, note: measured.taken(over: exact))
                }
            }
        }
        return refined
    }
}

/// What a pilot found, first plan over second.
public struct PilotMeasurement: Sendable {
    /// The geometric mean, over the gradient's components that vary, of
    /// the ratio of variances.
    public var varianceRatio: Double
    public var workRatio: Double
    /// Particles each plan ran: the costlier runs fewer (see `compare`).
    public var particles: [Int]
    /// True when no component varies under either plan.
    public var noVariance: Bool

    public var prefersFirst: Bool { noVariance || varianceRatio * workRatio <= 1 }

    public var pilot: String {
        let most = particles.max() ?? 0, least = particles.min() ?? 0
        return "on a pilot of \(grouped(most))" + (least < most ? " (\(grouped(least)) for the costlier)" : "")
    }

    /// Why the first plan was kept over `other`.
    public func kept(over other: String) -> String {
        if noVariance { return "no gradient variance either way \(pilot)" }
        if varianceRatio < 1e-6 { return "no gradient variance, unlike \(other), \(pilot)" }
        if varianceRatio > 1 / 1.05 { return "about the gradient variance of \(other) \(pilot), with less work" }
        return "\(ratio(1 / varianceRatio)) lower gradient variance than \(other) \(pilot)"
    }

    /// Why the second plan was taken over `other` (the first).
    public func taken(over other: String) -> String {
        if varianceRatio >= 1.05 { return "\(ratio(varianceRatio)) lower gradient variance than \(other) \(pilot)" }
        if varianceRatio > 1 / 1.05 { return "about the gradient variance of \(other) \(pilot), with less work" }
        return "lower gradient variance × work than \(other) \(pilot), which has \(ratio(1 / varianceRatio)) lower variance at \(ratio(workRatio)) the work"
    }

    /// A measurement of the first plan over the second.
    public init(varianceRatio: Double, workRatio: Double, particles: [Int], noVariance: Bool) {
        self.varianceRatio = varianceRatio
        self.workRatio = workRatio
        self.particles = particles
        self.noVariance = noVariance
    }
}

/// "3.1×", "12×", "240×".
func ratio(_ value: Double) -> String {
    if !value.isFinite || value >= 1e6 { return "over 10⁶×" }
    return String(format: value < 9.95 ? "%.1f×" : "%.0f×", value)
}

/// 2048 as "2,048".
func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    var text = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { text += "," }
        text.append(digit)
    }
    return text
}
