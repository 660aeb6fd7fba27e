// Pilot.swift — where more than one unbiased estimator is valid, measure
// which is better instead of trusting a fixed rule. A fixed rule can lose: on
// 300 bernoullis summed and compared to a threshold, the exact 2-point
// derivative gives several times the standard error of the score function
// with its leave-one-out baseline (each node's exact term is small, but they
// all move together), while on a small downstream graph it wins by far.
//
// The pilot runs the gradient twice on a few chunks — as the analysis chose,
// and with the nodes that could take either estimator switched to the score
// function — with streams of its own (the session's seed, a draw number no
// estimate uses), and keeps the plan with the lower gradient variance × work.
// The variance is the whole gradient's, covariances between nodes included;
// work is counted in instructions, so the same seed gives the same choice on
// any machine and for any thread count.

import Foundation

/// Chooses between the unbiased estimators of nodes by measured variance.
public enum EstimatorPilot {
    /// Particles in a pilot run.
    public static let particles = 2_048
    /// The draw number of pilot runs (estimates count their draws up from 1).
    public static let draw = UInt64.max - 1

    /// The analysis's choices, with the nodes that could use either the
    /// exact derivative or the score function (and were not annotated) given
    /// the one the pilot measures as better. Returns the analysis unchanged
    /// when there is nothing to choose, or when a pilot run fails (the real
    /// run then reports what went wrong).
    public static func refine(_ analysis: AnalysisResult, graph: Graph, root: NodeID, parameters: [Int],
                              configuration: EngineConfiguration) -> AnalysisResult {
        // Nodes whose estimator matters: their parameters depend on a
        // parameter of the gradient.
        let wanted = Set(parameters)
        let candidates = analysis.choices.filter { id, choice in
            choice.estimator == .enumeration && graph[id].requestedEstimator == nil
                && graph.parameters(reaching: id).contains(where: wanted.contains)
        }
        guard !candidates.isEmpty, !parameters.isEmpty, graph[root].isRandom else { return analysis }
        var scoreChoices = analysis.choices
        for id in candidates.keys { scoreChoices[id] = EstimatorChoice(.score, reason: "") }
        let exactPlan = Plan(graph: graph, outputs: [root], gradientParameters: parameters, estimators: analysis.choices)
        let scorePlan = Plan(graph: graph, outputs: [root], gradientParameters: parameters, estimators: scoreChoices)
        var pilot = configuration
        pilot.particles = particles
        pilot.draw = draw
        pilot.collectRange = false
        guard let exact = try? Runner(plan: exactPlan).run(graph: graph, configuration: pilot),
              let score = try? Runner(plan: scorePlan).run(graph: graph, configuration: pilot) else { return analysis }

        // The variance ratio, exact over score: the geometric mean over the
        // gradient's components that vary under either.
        var logRatio = 0.0, compared = 0
        for (e, s) in zip(exact.gradient, score.gradient) where e.variance > 0 || s.variance > 0 {
            logRatio += log(max(e.variance, .leastNormalMagnitude)) - log(max(s.variance, .leastNormalMagnitude))
            compared += 1
        }
        guard logRatio.isFinite else { return analysis }
        let varianceRatio = compared == 0 ? 1 : exp(logRatio / Double(compared))
        let workRatio = exactPlan.workPerParticle / max(1, scorePlan.workPerParticle)
        var refined = analysis
        for (id, choice) in candidates {
            let name = "the exact \(graph[id].op.distribution?.outcomes.count ?? 2)-point derivative"
            refined.choices[id] = decide(choice, exactName: name, varianceRatio: varianceRatio, workRatio: workRatio,
                                         noVariance: compared == 0)
        }
        return refined
    }

    /// The exact derivative (`choice`) or the score function, given the
    /// gradient's variance and work with the first over the second.
    static func decide(_ choice: EstimatorChoice, exactName: String, varianceRatio: Double, workRatio: Double,
                       noVariance: Bool) -> EstimatorChoice {
        let pilot = "on a pilot of \(grouped(particles))"
        if noVariance {
            return EstimatorChoice(.enumeration, reason: "no gradient variance either way \(pilot); \(choice.reason)")
        }
        if varianceRatio * workRatio <= 1 {
            let why = varianceRatio < 1e-6
                ? "no gradient variance, unlike the score function, \(pilot)"
                : "\(ratio(1 / varianceRatio)) lower gradient variance than the score function \(pilot)"
            return EstimatorChoice(.enumeration, reason: "\(why); \(choice.reason)")
        }
        if varianceRatio >= 1.05 {
            return EstimatorChoice(.score, reason:
                "\(ratio(varianceRatio)) lower gradient variance than \(exactName) \(pilot); leave-one-out baseline")
        }
        if varianceRatio > 1 / 1.05 {
            return EstimatorChoice(.score, reason:
                "about the gradient variance of \(exactName) \(pilot), with less work; leave-one-out baseline")
        }
        return EstimatorChoice(.score, reason:
            "lower gradient variance × work than \(exactName) \(pilot), which has \(ratio(1 / varianceRatio)) lower variance at \(ratio(workRatio)) the work; leave-one-out baseline")
    }

    /// "3.1×", "12×", "240×".
    static func ratio(_ value: Double) -> String {
        if !value.isFinite || value >= 1e6 { return "over 10⁶×" }
        return String(format: value < 9.95 ? "%.1f×" : "%.0f×", value)
    }

    /// 2048 as "2,048".
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return text
    }
}
