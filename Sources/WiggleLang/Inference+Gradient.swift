// Inference+Gradient.swift — grad(E[...]) and the calls that take an
// objective (grad, minimize, maximize).

import WiggleGraph
import WiggleSyntax

extension Inference {
    // MARK: grad, minimize, maximize

    /// `grad(E[e], wrt = [...])`, `minimize(E[e], ...)`, `maximize(E[e], ...)`.
    func callWithObjective(_ builtin: Builtin, _ argumentExprs: [Argument], in scope: Scope,
                           at range: SourceRange) throws -> Value {
        if builtin.takesSecondOrder { return try callSecondOrder(builtin, argumentExprs, in: scope, at: range) }
        let name = builtin.rawValue
        guard let first = argumentExprs.first, first.label == nil, case .expectation(let inner) = first.value.kind else {
            throw interpreter.fail("\(name) needs an expectation as its first argument: \(name)(E[...])", at: range)
        }
        let objective = try interpreter.evaluate(inner, in: scope)
        var options: [String: CallArgument] = [:]
        for argument in argumentExprs.dropFirst() {
            guard let label = argument.label else {
                throw interpreter.fail("\(name) takes one expectation, then named options", at: argument.value.range)
            }
            let allowed = builtin == .grad ? ["wrt", "particles"] : ["steps", "lr", "optimizer", "particles", "wrt"]
            guard allowed.contains(label.name) else {
                throw interpreter.fail("\(name) has no option '\(label.name)' (it takes \(allowed.joined(separator: ", ")))", at: label.range)
            }
            options[label.name] = CallArgument(label: label, value: try interpreter.evaluate(argument.value, in: scope),
                                               range: argument.value.range)
        }
        try interpreter.tracer.refuseInRandomBranch(name, at: range)
        let root = try interpreter.tracer.nodeID(objective, what: "the objective", at: inner.range)
        let wrt = try gradientParameters(options["wrt"], objective: root)
        let exhaustive = options["wrt"] == nil
        var particles = interpreter.settings.particles
        if let option = options["particles"] {
            particles = try interpreter.wholeNumber(option.value, what: "particles", at: option.range)
            guard particles >= 1 && particles <= Settings.maxParticles else {
                throw interpreter.fail("particles must be between 1 and \(Settings.maxParticles), got \(particles)", at: option.range)
            }
        }
        if interpreter.graph[root].isRandom { try requireTwoParticles(particles, at: range) }
        if builtin == .grad {
            var result = try gradient(of: root, wrt: wrt, particles: particles)
            result.isExhaustive = exhaustive
            return .gradient(result)
        }
        let stepParticles = options["particles"] == nil ? min(particles, Settings.optimisationParticles) : particles
        return try optimise(root, wrt: wrt, maximize: builtin == .maximize, options: options, particles: stepParticles,
                            finalParticles: particles, at: range)
    }

    /// The parameter indices of `wrt = [...]`, or every parameter the objective reads.
    func gradientParameters(_ option: CallArgument?, objective: NodeID) throws -> [Int] {
        guard let option else { return interpreter.graph.parameters(reaching: objective) }
        var items: [Value] = []
        func flatten(_ value: Value) {
            if case .list(let values) = value { values.forEach(flatten) } else { items.append(value) }
        }
        flatten(option.value)
        var indices: [Int] = []
        for item in items {
            guard case .node(let id) = item, case .parameter(let index) = interpreter.graph[id].op else {
                throw interpreter.fail("wrt lists parameters, but it holds \(item.isNode ? "a value computed from them" : item.typeDescription)",
                           at: option.range)
            }
            if !indices.contains(index) { indices.append(index) }
        }
        return indices
    }

    /// The gradient of E[root] with respect to some parameters.
    /// `checking`: a value estimated in the same run, which must be finite
    /// in every particle (the objective whose second derivative `original` is a row of).
    func gradient(of original: NodeID, wrt: [Int], particles: Int, checking: NodeID? = nil) throws -> GradientResult {
        let (root, folds) = derivativeObjective(original, wrt: wrt)
        let isRandom = interpreter.graph[root].isRandom || checking.map { interpreter.graph[$0].isRandom } == true
        // A second derivative's row (`checking`) is always swept back.
        let (runner, fallback, warnings): (Runner, Runner?, [AnalysisWarning])
        if let checking {
            (runner, warnings) = cachedRunner(for: root, gradient: wrt, also: [checking])
            fallback = nil
        } else {
            (runner, fallback, warnings) = gradientRunner(for: root, gradient: wrt)
        }
        interpreter.executor.handedAnalysis = nil
        // Its draws, as the analysis chose (a forward program adds draws of its own).
        let plan = (fallback ?? runner).plan
        var configuration = nextConfiguration(particles: isRandom ? particles : 1)
        configuration.gradientCovariance = true
        let result = try runGradient((runner, fallback), configuration: configuration)
        let objectiveRange = interpreter.origin(of: original)?.range ?? interpreter.currentRange
        try requireFinite(result.outputs[0].mean, result.outputs[0].standardError, at: objectiveRange)
        for moments in result.gradient { try requireFinite(moments.mean, moments.standardError, at: objectiveRange) }
        let entries = zip(wrt, result.gradient).map { index, moments in
            // Below rounding level (an exact estimator) the error is 0.
            let stderr = !isRandom || moments.standardError <= 1e-12 * abs(moments.mean) ? 0 : moments.standardError
            let bias = warnings.first { $0.parameters.contains(index) }?.bias
            return (name: interpreter.graph.parameters[index].name, value: moments.mean, stderr: stderr, bias: bias)
        }
        // Errors for arithmetic on the components: their covariance, or each
        // on its own where the engine did not sum it.
        let sources: [ErrorSource]
        if isRandom, let covariance = result.gradientCovariance {
            let shared = ErrorSource(covariance: covariance, dimension: entries.count)
            sources = entries.map { _ in shared }
        } else {
            // Without a covariance (over 64 components) they are taken as
            // independent; an exact gradient has no error to take.
            let gradient = isRandom && entries.count > 1 ? ErrorSource(covariance: [], dimension: 0) : nil
            sources = entries.map { ErrorSource(stderr: $0.stderr, gradient: gradient) }
        }
        return GradientResult(entries: entries,
                              objective: (result.outputs[0].mean, isRandom ? result.outputs[0].standardError : 0),
                              estimators: estimatorReports(plan, folds: folds),
                              warnings: diagnostics(warnings),
                              parameters: wrt, errorSources: sources)
    }

    /// `g["S0"]`: a component of a gradient as an estimate; `g["w"]` for a
    /// parameter vector, a list of them.
    func component(of gradient: GradientResult, _ index: Value, at range: SourceRange) throws -> Value {
        // The names to offer: each parameter once, vectors by their own name.
        var names: [String] = []
        for entry in gradient.entries {
            let name = entry.name.split(separator: "[").first.map(String.init) ?? entry.name
            if !names.contains(name) { names.append(name) }
        }
        let offered = names.isEmpty ? "it has no components" : "it has " + names.map { "\"\($0)\"" }.joined(separator: ", ")
        guard case .string(let name) = index else {
            throw interpreter.fail("a gradient is indexed by a parameter's name, as in g[\"\(names.first ?? "mu")\"]; got \(index.typeDescription)",
                       at: range)
        }
        func estimate(_ entry: Int) throws -> Value {
            if let bias = gradient.entries[entry].bias {
                throw interpreter.fail("the gradient's component \"\(gradient.entries[entry].name)\" is biased (\(bias)): it is not an estimate to compute with",
                           at: range)
            }
            return .estimate(gradient.estimate(entry))
        }
        if let entry = gradient.entries.firstIndex(where: { $0.name == name }) { return try estimate(entry) }
        // A parameter the gradient does not list: 0 exactly when the
        // gradient was taken for every parameter the objective reads.
        guard let declaration = interpreter.parameters.declaration(of: name) else {
            throw interpreter.fail("the gradient has no component \"\(name)\"; \(offered)", at: range)
        }
        var entryOf: [Int: Int] = [:]
        for (entry, index) in gradient.parameters.enumerated() where entryOf[index] == nil { entryOf[index] = entry }
        let elements = try declaration.indices.map { index -> Value in
            if let entry = entryOf[index] { return try estimate(entry) }
            guard gradient.isExhaustive else {
                throw interpreter.fail("the gradient was taken with respect to \(names.map { "\"\($0)\"" }.joined(separator: ", ")) only (wrt = ...), not \"\(name)\"",
                           at: range)
            }
            return .estimate(Estimate(exact: 0))
        }
        return declaration.shaped(elements)
    }

    /// The estimator of every random node of a plan, for people.
    func estimatorReports(_ plan: Plan, folds: [NodeID: String] = [:]) -> [EstimatorReport] {
        plan.randomNodes.map { id, choice in
            let node = interpreter.graph[id]
            let name = node.op.distribution?.name ?? "?"
            var report = EstimatorReport(node: node.label ?? "\(name)@\(node.site.line):\(node.site.column)",
                                         file: node.site.file, line: node.site.line, column: node.site.column,
                                         distribution: name, estimator: choice.name, method: methodWords(choice, node: node),
                                         clauses: (folds[id].map { [ReasonClause.folded($0)] } ?? []) + choice.clauses)
            report.repeats = repeats(of: node)
            return report
        }
    }

    /// How many draws a node stands for: 1, or for a draw of a repeating
    /// loop's template, it and every iteration after it that the loop may run.
    func repeats(of node: Node) -> Int {
        guard let tag = node.loop, Int(tag.loop) < interpreter.graph.loops.count,
              let repetition = interpreter.graph.loops[Int(tag.loop)].repetition,
              repetition.consistent, repetition.template == Int(tag.iteration) else { return 1 }
        return max(1, repetition.iterations - repetition.template)
    }

    /// The objective whose derivatives are taken: `root` itself, or, where
    /// its first derivative would miss a jump because a parameter sits
    /// outside a normal draw (S0 · exp(m + s·z)), the same expectation with
    /// that map folded into the draw (DrawFolding), when that removes some
    /// of the bias. A second derivative (`always`) folds wherever it can:
    /// the first derivative's contribution may have a jump where the
    /// objective had a kink. With the folded draws and their maps, in words.
    func derivativeObjective(_ root: NodeID, wrt: [Int], always: Bool = false) -> (root: NodeID, folds: [NodeID: String]) {
        let key = FoldKey(root: root, always: always)
        if let known = interpreter.foldedObjectives[key] { return known }
        var result = (root: root, folds: [NodeID: String]())
        defer { interpreter.foldedObjectives[key] = result }
        var warnings: [AnalysisWarning] = []
        if !always {
            let analysis = EstimatorAnalysis.analyse(interpreter.graph, root: root, parameters: wrt)
            warnings = analysis.warnings
            // The plan of this objective, if it is not folded, starts from the same analysis.
            interpreter.executor.handedAnalysis = (root, wrt, interpreter.graph.count, analysis)
        }
        guard always || !warnings.isEmpty else { return result }
        var graph = interpreter.graph
        guard let folding = DrawFolding.fold(root, in: &graph),
              always || EstimatorAnalysis.analyse(graph, root: folding.root, parameters: wrt).warnings.count < warnings.count else {
            return result
        }
        interpreter.graph = graph
        for (node, source) in folding.madeFor {
            if let origin = interpreter.origin(of: source) { interpreter.recordOrigin(node, origin) }
        }
        result = (folding.root, Dictionary(folding.folds.map { ($0.folded, $0.map) }, uniquingKeysWith: { a, _ in a }))
        return result
    }

    /// A random node's estimator in words: "score function", "exact 2-point derivative".
    func methodWords(_ choice: EstimatorChoice, node: Node) -> String {
        if let split = choice.split {
            return "pathwise and \(split.jumpEstimator == .mvd ? "measure-valued derivative" : "score function"), by term"
        }
        switch choice.estimator {
        case .pathwise: return "pathwise"
        case .score: return "score function"
        case .exact: return "exact \(node.op.outcomes.count)-point derivative"
        case .mvd: return "measure-valued derivative"
        default: return choice.estimator.rule.title
        }
    }
}
