// Interpreter+Gradient.swift — grad(E[...]) and the calls that take an
// objective (grad, minimize, maximize).

import WiggleGraph
import WiggleSyntax

extension Interpreter {
    // MARK: grad, minimize, maximize

    /// `grad(E[e], wrt = [...])`, `minimize(E[e], ...)`, `maximize(E[e], ...)`.
    func callWithObjective(_ builtin: Builtin, _ argumentExprs: [Argument], in scope: Scope,
                           at range: SourceRange) throws -> Value {
        let name = builtin.rawValue
        guard let first = argumentExprs.first, first.label == nil, case .expectation(let inner) = first.value.kind else {
            throw fail("\(name) needs an expectation as its first argument: \(name)(E[...])", at: range)
        }
        let objective = try evaluate(inner, in: scope)
        var options: [String: CallArgument] = [:]
        for argument in argumentExprs.dropFirst() {
            guard let label = argument.label else {
                throw fail("\(name) takes one expectation, then named options", at: argument.value.range)
            }
            let allowed = builtin == .grad ? ["wrt", "particles"] : ["steps", "lr", "optimizer", "particles", "wrt"]
            guard allowed.contains(label.name) else {
                throw fail("\(name) has no option '\(label.name)' (it takes \(allowed.joined(separator: ", ")))", at: label.range)
            }
            options[label.name] = CallArgument(label: label, value: try evaluate(argument.value, in: scope),
                                               range: argument.value.range)
        }
        try refuseInRandomBranch(name, at: range)
        let root = try nodeID(objective, what: "the objective", at: inner.range)
        let wrt = try gradientParameters(options["wrt"], objective: root)
        var particles = settings.particles
        if let option = options["particles"] {
            particles = try wholeNumber(option.value, what: "particles", at: option.range)
            guard particles >= 1 && particles <= Settings.maxParticles else {
                throw fail("particles must be between 1 and \(Settings.maxParticles), got \(particles)", at: option.range)
            }
        }
        if graph[root].isRandom { try requireTwoParticles(particles, at: range) }
        if builtin == .grad {
            return .gradient(try gradient(of: root, wrt: wrt, particles: particles))
        }
        return try optimise(root, wrt: wrt, maximize: builtin == .maximize, options: options, particles: particles,
                            at: range)
    }

    /// The parameter indices of `wrt = [...]`, or every parameter the objective reads.
    func gradientParameters(_ option: CallArgument?, objective: NodeID) throws -> [Int] {
        guard let option else { return graph.parameters(reaching: objective) }
        var items: [Value] = []
        func flatten(_ value: Value) {
            if case .list(let values) = value { values.forEach(flatten) } else { items.append(value) }
        }
        flatten(option.value)
        var indices: [Int] = []
        for item in items {
            guard case .node(let id) = item, case .parameter(let index) = graph[id].op else {
                throw fail("wrt lists parameters, but it holds \(item.isNode ? "a value computed from them" : item.typeDescription)",
                           at: option.range)
            }
            if !indices.contains(index) { indices.append(index) }
        }
        return indices
    }

    /// The gradient of E[root] with respect to some parameters.
    func gradient(of root: NodeID, wrt: [Int], particles: Int) throws -> GradientResult {
        let isRandom = graph[root].isRandom
        let (runner, warnings) = cachedRunner(for: root, gradient: wrt)
        let plan = runner.plan
        let result = try runEngine(plan, configuration: nextConfiguration(particles: isRandom ? particles : 1), runner: runner)
        let objectiveRange = origin(of: root)?.range ?? currentRange
        try requireFinite(result.outputs[0].mean, result.outputs[0].standardError, at: objectiveRange)
        for moments in result.gradient { try requireFinite(moments.mean, moments.standardError, at: objectiveRange) }
        let entries = zip(wrt, result.gradient).map { index, moments in
            // Below rounding level (an exact estimator) the error is 0.
            let stderr = !isRandom || moments.standardError <= 1e-12 * abs(moments.mean) ? 0 : moments.standardError
            let bias = warnings.first { $0.parameters.contains(index) }?.bias
            return (name: graph.parameters[index].name, value: moments.mean, stderr: stderr, bias: bias)
        }
        return GradientResult(entries: entries,
                              objective: (result.outputs[0].mean, isRandom ? result.outputs[0].standardError : 0),
                              estimators: estimatorReports(plan),
                              warnings: diagnostics(warnings))
    }

    /// The estimator of every random node of a plan, for people.
    func estimatorReports(_ plan: Plan) -> [EstimatorReport] {
        plan.randomNodes.map { id, choice in
            let node = graph[id]
            let distribution = node.op.distribution
            let name = distribution?.name ?? "?"
            var method: String
            switch choice.estimator {
            case .pathwise: method = "pathwise"
            case .score: method = "score function"
            case .enumeration: method = "exact \(distribution?.outcomes.count ?? 2)-point derivative"
            }
            if choice.split != nil {
                method = "pathwise and score function, by term"
            }
            return EstimatorReport(node: node.label ?? "\(name)@\(node.site.line):\(node.site.column)",
                                   file: node.site.file, line: node.site.line, column: node.site.column,
                                   distribution: name, estimator: choice.name, method: method,
                                   reason: choice.reason)
        }
    }
}
