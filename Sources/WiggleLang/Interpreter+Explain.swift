// Interpreter+Explain.swift — explain(e): the traced graph with each
// random node's estimator and why.

import WiggleGraph
import WiggleSyntax

extension Interpreter {
    /// `explain(e)`: the traced graph of e with each random node's estimator.
    func explain(_ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        try noKeywords("explain", arguments)
        guard arguments.count == 1 else {
            throw fail("explain expects 1 argument, got \(arguments.count)", at: range)
        }
        var value = arguments[0].value
        if case .estimate = value {
            throw fail("explain shows how a value is traced: write explain(e), not explain(E[e])", at: arguments[0].range)
        }
        if let x = value.asNumber { value = .node(tracer.constantNode(x)) }
        let root = try tracer.nodeID(value, what: "explain's argument", at: arguments[0].range)
        let analysis = executor.analyse(root, parameters: graph.parameters(reaching: root), in: graph)
        let plan = Plan(graph: graph, outputs: [root], estimators: analysis.choices)
        return .report(.explanation(Explanation(graph: graph.render(roots: [root], estimators: analysis.choices),
                                                estimators: estimatorReports(plan),
                                                warnings: diagnostics(analysis.warnings))))
    }
}
