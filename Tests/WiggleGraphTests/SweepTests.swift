import Foundation
import Testing
@testable import WiggleGraph

/// The reverse sweeps of nodes split by term, compiled from the analysis's
/// choices directly (the pilot, which may prefer one estimator for every
/// term, does not run here): two split nodes whose terms fall into four
/// groups, their jump terms by the score function (the analysis's
/// alternatives) and by the measure-valued derivative (its choices).
/// f = x1² + x2² + 1{x1 > 0} + 1{x2 > 0.5} + 1{x1 + x2 > 1}, xi ~ N(a|b, 1):
/// d/da = 2a + φ(a) + φ((a + b − 1)/√2)/√2, and alike for b.
@Suite struct SweepTests {
    static func phi(_ x: Double) -> Double { exp(-x * x / 2) / (2 * Double.pi).squareRoot() }

    @Test func twoSplitNodesInFourSweeps() throws {
        var b = Builder()
        let pa = b.parameter("a", 0.2), pb = b.parameter("b", -0.3)
        let one = b.constant(1)
        let x1 = b.normal(pa, one), x2 = b.normal(pb, one)
        let two = b.constant(2)
        var f = b.binary(.add, b.binary(.power, x1, two), b.binary(.power, x2, two))
        f = b.binary(.add, f, b.binary(.greater, x1, b.constant(0)))
        f = b.binary(.add, f, b.binary(.greater, x2, b.constant(0.5)))
        f = b.binary(.add, f, b.binary(.greater, b.binary(.add, x1, x2), one))
        let analysis = EstimatorAnalysis.analyse(b.graph, root: f)
        let joint = Self.phi((0.2 - 0.3 - 1) / 2.0.squareRoot()) / 2.0.squareRoot()
        let exact = [0.4 + Self.phi(0.2) + joint, -0.6 + Self.phi(-0.8) + joint]
        let scoreSplit = analysis.choices.merging(analysis.alternatives) { $1 }
        for (choices, name) in [(scoreSplit, "pathwise+score"), (analysis.choices, "pathwise+mvd")] {
            #expect(choices[x1]?.name == name && choices[x2]?.name == name)
            let plan = Plan(graph: b.graph, outputs: [f], gradientParameters: [0, 1], estimators: choices)
            #expect(plan.sweeps.count == 4)
            let result = try Runner(plan: plan).run(graph: b.graph,
                                        configuration: EngineConfiguration(particles: 200_000, seed: 14, threads: 2))
            #expect(within(result.gradient[0], exact[0], 5))
            #expect(within(result.gradient[1], exact[1], 5))
        }
    }
}
