// Pilot.swift — the engine's half of the pilot (WiggleAnalysis's
// EstimatorPilot decides what to compare and words the answer): two sets of
// choices compiled into plans and run on the pilot's own streams, their
// gradient variances and work compared.

import Foundation
import WiggleCore
import WiggleDistributions
import WiggleAnalysis

extension EstimatorPilot {
    /// The analysis's choices with each decision between two unbiased
    /// estimators made by running both on a pilot with `configuration`'s seed.
    public static func refine(_ analysis: AnalysisResult, graph: Graph, root: NodeID, parameters: [Int],
                              configuration: EngineConfiguration, estimateParticles: Int = 0) -> AnalysisResult {
        refine(analysis, graph: graph, root: root, parameters: parameters, configuration: configuration,
               estimateParticles: estimateParticles, built: PilotBuilt())
    }

    /// As above, keeping in `built` the last forward program with
    /// stochastic triples the pilot compiled (for the gradient to run).
    static func refine(_ analysis: AnalysisResult, graph: Graph, root: NodeID, parameters: [Int],
                       configuration: EngineConfiguration, estimateParticles: Int, built: PilotBuilt) -> AnalysisResult {
        let pilot = Pilot(graph: graph, root: root, parameters: parameters, configuration: configuration, built: built)
        return refine(analysis, graph: graph, root: root, parameters: parameters, estimateParticles: estimateParticles,
                      measure: pilot.compare)
    }
}

/// The forward program with stochastic triples a pilot compiled: the
/// estimators it was compiled for, the graph the program extends, its
/// runner, and the nodes it added with the nodes they were made for.
final class PilotBuilt {
    var triples: (estimators: [NodeID: Estimator], graph: Graph, runner: Runner,
                  madeFor: [(node: NodeID, source: NodeID)])?
    /// The score rule's baseline beside triples, once measured (the same
    /// for every comparison of one analysis).
    var baseline: Double??
}

/// Runs two plans for one gradient on the pilot's streams.
struct Pilot {
    let graph: Graph
    let root: NodeID
    let parameters: [Int]
    let configuration: EngineConfiguration
    let built: PilotBuilt

    /// Compares two sets of choices on the pilot's stages; nil when a run fails.
    func compare(_ first: [NodeID: EstimatorChoice], _ second: [NodeID: EstimatorChoice],
                 _ stages: [Int]) -> PilotMeasurement? {
        // Choices with stochastic triples run as their forward program, on
        // the graph that program extends.
        var graphs: [Graph] = []
        var plans: [Plan] = []
        var runners: [Runner] = []
        for choices in [first, second] {
            var extended = graph
            var programs: [DerivativeProgram] = []
            if Executor.hasTriples(choices) {
                guard let made = try? Executor.forwardPrograms(of: root, parameters: parameters, choices: choices, baseline: {
                    if let known = built.baseline { return known }
                    let measured = Executor.baselineEstimate(of: root, graph: graph, configuration: configuration)
                    built.baseline = .some(measured)
                    return measured
                }, in: &extended) else { return nil }
                programs = made
            }
            let plan = Plan(graph: extended, outputs: [root], gradientParameters: parameters, estimators: choices,
                            tangents: programs.map(\.node))
            graphs.append(extended)
            plans.append(plan)
            runners.append(Runner(plan: plan))
            if !programs.isEmpty, let runner = runners.last {
                built.triples = (choices.mapValues(\.estimator), extended, runner, programs.flatMap(\.madeFor))
            }
        }
        let work = plans.map { max(1, $0.workPerParticle) }
        let workRatio = work[0] / work[1]
        var measurement: PilotMeasurement?
        for stage in stages {
            // A plan that costs twice the other's work or more runs fewer
            // particles, in proportion and down to a quarter of the stage,
            // so that the pilot stays small beside the estimate it serves.
            let cheaper = min(work[0], work[1])
            let particles = work.map { $0 < 2 * cheaper ? stage : max(stage / 4, Int(Double(stage) * cheaper / $0)) }
            func run(_ index: Int) -> EngineResult? {
                var pilot = configuration
                pilot.particles = particles[index]
                pilot.draw = EstimatorPilot.draw
                pilot.collectRange = false
                return try? runners[index].run(graph: graphs[index], configuration: pilot)
            }
            guard let a = run(0), let b = run(1) else { return nil }
            // Components the decision leaves alone come out the same on the
            // same streams: only those it moves are compared.
            var logRatio = 0.0, compared = 0, varies = false
            for (x, y) in zip(a.gradient, b.gradient) where x.variance > 0 || y.variance > 0 {
                varies = true
                guard x.variance != y.variance || particles[0] != particles[1] else { continue }
                logRatio += log(max(x.variance, .leastNormalMagnitude)) - log(max(y.variance, .leastNormalMagnitude))
                compared += 1
            }
            guard logRatio.isFinite else { return nil }
            let found = PilotMeasurement(varianceRatio: compared == 0 ? 1 : exp(logRatio / Double(compared)),
                                    workRatio: workRatio, particles: particles, noVariance: !varies)
            measurement = found
            // A variance from n particles is off by about √(2/n) of itself:
            // stop when the answer is clear by four times that, for both.
            let margin = 4 * (2 / Double(particles[0]) + 2 / Double(particles[1])).squareRoot()
            if found.noVariance || abs(log(found.varianceRatio * workRatio)) > margin { break }
        }
        return measurement
    }
}

