// Inference+Explain.swift — explain(e): the traced graph with each
// random node's estimator and why.

import WiggleGraph
import WiggleSyntax

extension Inference {
    /// `explain(e)`: the traced graph of e with each random node's estimator.
    func explain(_ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        try interpreter.noKeywords("explain", arguments)
        guard arguments.count == 1 else {
            throw interpreter.fail("explain expects 1 argument, got \(arguments.count)", at: range)
        }
        var value = arguments[0].value
        if case .estimate = value {
            throw interpreter.fail("explain shows how a value is traced: write explain(e), not explain(E[e])", at: arguments[0].range)
        }
        if let x = value.asNumber { value = .node(interpreter.tracer.constantNode(x)) }
        let root = try interpreter.tracer.nodeID(value, what: "explain's argument", at: arguments[0].range)
        let analysis = interpreter.executor.analyse(root, parameters: interpreter.graph.parameters(reaching: root), in: interpreter.graph)
        let plan = Plan(graph: interpreter.graph, outputs: [root], estimators: analysis.choices)
        return .report(.explanation(Explanation(graph: interpreter.graph.render(roots: [root], estimators: analysis.choices),
                                                estimators: estimatorReports(plan),
                                                warnings: diagnostics(analysis.warnings))))
    }
}
