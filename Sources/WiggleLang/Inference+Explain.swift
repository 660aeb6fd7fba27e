// Inference+Explain.swift — explain(e): the traced graph with each
// random node's estimator and why; explain(e, order = 2) names each node's
// estimator at both orders of a second derivative, as hessian would choose.

import WiggleGraph
import WiggleSyntax

extension Inference {
    /// `explain(e)`, `explain(e, order = 2)`: the traced graph of e with each random node's estimator.
    func explain(_ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        try interpreter.noKeywords("explain", arguments, allowed: ["order"])
        let positional = arguments.filter { $0.label == nil }
        guard positional.count == 1 else {
            throw interpreter.fail("explain expects 1 argument, got \(positional.count)", at: range)
        }
        var order = 1
        if let option = interpreter.keyword("order", arguments) {
            order = try interpreter.wholeNumber(option.value, what: "explain's order", at: option.range)
            guard order == 1 || order == 2 else {
                throw interpreter.fail("explain's order is 1 (the gradient's estimators) or 2 (a Hessian's), got \(order)", at: option.range)
            }
        }
        var value = positional[0].value
        if case .estimate = value {
            throw interpreter.fail("explain shows how a value is traced: write explain(e), not explain(E[e])", at: positional[0].range)
        }
        if let x = value.asNumber { value = .node(interpreter.tracer.constantNode(x)) }
        let root = try interpreter.tracer.nodeID(value, what: "explain's argument", at: positional[0].range)
        let wrt = interpreter.graph.parameters(reaching: root)
        if order == 2 {
            try interpreter.tracer.refuseInRandomBranch("explain(..., order = 2)", at: range)
            let directions = wrt.indices.map { row in wrt.indices.map { $0 == row ? 1.0 : 0.0 } }
            let made = try derivativePrograms(of: root, wrt: wrt, directions: directions, particles: interpreter.settings.particles,
                                              at: positional[0].range)
            var warnings = made.firstOrder.warnings
            for program in made.programs {
                warnings += cachedRunner(for: program.node, gradient: wrt).warnings.filter { !warnings.contains($0) }
            }
            return .report(.explanation(Explanation(graph: interpreter.graph.render(roots: [made.root], estimators: made.firstOrder.choices),
                                                    estimators: secondOrderReports(root: made.root, wrt: wrt, programs: made.programs,
                                                                                   folds: made.folds),
                                                    warnings: diagnostics(warnings), sampling: samplingWords(root))))
        }
        let analysis = interpreter.executor.analyse(root, parameters: wrt, in: interpreter.graph)
        let plan = Plan(graph: interpreter.graph, outputs: [root], estimators: analysis.choices)
        return .report(.explanation(Explanation(graph: interpreter.graph.render(roots: [root], estimators: analysis.choices),
                                                estimators: estimatorReports(plan),
                                                warnings: diagnostics(analysis.warnings), sampling: samplingWords(root))))
    }

    /// Under antithetic sampling, in words: the draws paired by inversion,
    /// and those that draw independent numbers in both halves of a pair.
    func samplingWords(_ root: NodeID) -> String? {
        if interpreter.settings.sampling == .rqmc {
            let plan = Plan(graph: interpreter.graph, outputs: [root], estimators: [:])
            let (quasi, pseudo) = plan.quasiDimensionCounts
            let replicates = interpreter.settings.replicates
            let points = Executor.pointsPerReplicate(particles: interpreter.settings.particles, replicates: replicates)
            return "randomised QMC: \(quasi) draw\(quasi == 1 ? "" : "s") on scrambled Sobol' points (one dimension each)"
                + (pseudo > 0 ? ", \(pseudo) on pseudo-random numbers (sampled by rejection, past iteration \(Plan.quasiLoopIterations) of a loop, or past dimension \(Plan.quasiDimensionLimit))" : "")
                + "; \(replicates) replicates of \(points) points, the standard error from their spread"
        }
        guard interpreter.settings.sampling == .antithetic else { return nil }
        var paired = 0
        var independent: [String] = []
        for id in interpreter.graph.ancestors(of: [root]) {
            let node = interpreter.graph[id]
            guard let distribution = node.op.distribution else { continue }
            let name = node.label ?? "\(distribution.name)@\(node.site.line):\(node.site.column)"
            if distribution is any InverseSampling {
                paired += 1
                if distribution is Poisson { independent.append("\(name) where its rate is over \(formatNumber(Poisson.largestInvertedRate))") }
            } else {
                independent.append("\(name) (\(distribution.name): sampled by rejection)")
            }
        }
        var words = "antithetic pairs (u, 1 − u) for \(paired) draw\(paired == 1 ? "" : "s") sampled by inversion"
        if !independent.isEmpty { words += "; independent numbers in both halves for " + independent.joined(separator: ", ") }
        return words + "; standard errors from the pairs' means"
    }
}
