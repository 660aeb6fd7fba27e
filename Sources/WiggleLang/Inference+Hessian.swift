// Inference+Hessian.swift — hessian(E[e], wrt = [...]) and
// hvp(E[e], v, wrt = [...]): second derivatives of an expectation. Each
// direction's first-order contribution is written as a program
// (WiggleAnalysis's DerivativeProgram) and its gradient taken like any
// objective's, so the analysis and the pilot choose again, at the second
// order, where the first-order contribution has jumps.

import WiggleGraph
import WiggleSyntax

extension Inference {
    /// `hessian(E[e], wrt = [...], particles = N)`, `hvp(E[e], v, wrt = [...], particles = N)`.
    func callSecondOrder(_ builtin: Builtin, _ argumentExprs: [Argument], in scope: Scope,
                         at range: SourceRange) throws -> Value {
        let name = builtin.rawValue
        let usage = builtin == .hvp ? "hvp(E[...], [v1, v2, ...], wrt = [...])" : "hessian(E[...], wrt = [...])"
        guard let first = argumentExprs.first, first.label == nil, case .expectation(let inner) = first.value.kind else {
            throw interpreter.fail("\(name) needs an expectation as its first argument: \(usage)", at: argumentExprs.first?.value.range ?? range)
        }
        let objective = try interpreter.evaluate(inner, in: scope)
        var rest = argumentExprs.dropFirst()
        var direction: CallArgument?
        if builtin == .hvp {
            guard let second = rest.first, second.label == nil else {
                throw interpreter.fail("hvp needs a direction after the expectation, one number per parameter: \(usage)", at: range)
            }
            direction = CallArgument(label: nil, value: try interpreter.evaluate(second.value, in: scope), range: second.value.range)
            rest = rest.dropFirst()
        }
        var options: [String: CallArgument] = [:]
        for argument in rest {
            guard let label = argument.label else {
                throw interpreter.fail("\(name) takes \(builtin == .hvp ? "an expectation and a direction" : "one expectation"), then named options: \(usage)",
                                       at: argument.value.range)
            }
            let allowed = ["wrt", "particles"]
            guard allowed.contains(label.name) else {
                throw interpreter.fail("\(name) has no option '\(label.name)' (it takes \(allowed.joined(separator: ", ")))", at: label.range)
            }
            guard options[label.name] == nil else {
                throw interpreter.fail("\(name) is given '\(label.name)' twice", at: label.range)
            }
            options[label.name] = CallArgument(label: label, value: try interpreter.evaluate(argument.value, in: scope),
                                               range: argument.value.range)
        }
        try interpreter.tracer.refuseInRandomBranch(name, at: range)
        let root = try interpreter.tracer.nodeID(objective, what: "the objective", at: inner.range)
        if let option = options["wrt"] { try refuseRepeatedParameters(option, in: name) }
        let wrt = try gradientParameters(options["wrt"], objective: root)
        var particles = interpreter.settings.particles
        if let option = options["particles"] {
            particles = try interpreter.wholeNumber(option.value, what: "particles", at: option.range)
            guard particles >= 1 && particles <= Settings.maxParticles else {
                throw interpreter.fail("particles must be between 1 and \(Settings.maxParticles), got \(particles)", at: option.range)
            }
        }
        if interpreter.graph[root].isRandom { try requireTwoParticles(particles, at: range) }
        let names = wrt.map { interpreter.graph.parameters[$0].name }
        if let direction {
            let weights = try directionWeights(direction, names: names)
            let run = try secondOrder(of: root, wrt: wrt, directions: [weights], particles: particles, at: range)
            var result = run.rows[0]
            result.kind = "hvp"
            result.isExhaustive = options["wrt"] == nil
            result.estimators = run.estimators
            result.warnings = run.warnings
            return .gradient(result)
        }
        let directions = wrt.indices.map { row in wrt.indices.map { $0 == row ? 1.0 : 0.0 } }
        let run = try secondOrder(of: root, wrt: wrt, directions: directions, particles: particles, at: range)
        return .hessian(HessianResult(rows: run.rows, firstOrderBias: run.firstOrderBias, names: names, parameters: wrt,
                                      isExhaustive: options["wrt"] == nil, estimators: run.estimators,
                                      warnings: run.warnings))
    }

    /// `wrt = [mu, mu]` names a parameter twice: a Hessian's rows would repeat.
    private func refuseRepeatedParameters(_ option: CallArgument, in name: String) throws {
        var seen: [Int] = []
        func visit(_ value: Value) throws {
            if case .list(let items) = value { return try items.forEach(visit) }
            guard case .node(let id) = value, case .parameter(let index) = interpreter.graph[id].op else { return }
            if seen.contains(index) {
                throw interpreter.fail("\(name)'s wrt names \"\(interpreter.graph.parameters[index].name)\" twice", at: option.range)
            }
            seen.append(index)
        }
        try visit(option.value)
    }

    /// hvp's direction: one finite number per parameter of `wrt`, nested as the parameters are or flat.
    private func directionWeights(_ direction: CallArgument, names: [String]) throws -> [Double] {
        var numbers: [Double] = []
        func flatten(_ value: Value) throws {
            if case .list(let items) = value { return try items.forEach(flatten) }
            guard let x = value.asNumber, x.isFinite else {
                throw interpreter.fail("hvp's direction holds numbers, one per parameter; it holds \(value.typeDescription)", at: direction.range)
            }
            numbers.append(x)
        }
        try flatten(direction.value)
        guard numbers.count == names.count else {
            let listed = names.count == 1 ? "1 parameter (\(names[0]))" : "\(names.count) parameters (\(names.joined(separator: ", ")))"
            throw interpreter.fail("hvp's direction has \(numbers.count) number\(numbers.count == 1 ? "" : "s"), but it differentiates with respect to \(listed)",
                                   at: direction.range)
        }
        return numbers
    }

    /// `h["mu"]`: a row of a Hessian, as the gradient of ∂E/∂mu (so
    /// `h["mu"]["sigma"]` is an entry); `h["w"]` for a parameter vector, a list of rows.
    func row(of hessian: HessianResult, _ index: Value, at range: SourceRange) throws -> Value {
        var names: [String] = []
        for name in hessian.names {
            let base = name.split(separator: "[").first.map(String.init) ?? name
            if !names.contains(base) { names.append(base) }
        }
        let offered = names.isEmpty ? "it has no rows" : "it has " + names.map { "\"\($0)\"" }.joined(separator: ", ")
        guard case .string(let name) = index else {
            throw interpreter.fail("a Hessian is indexed by a parameter's name, as in h[\"\(names.first ?? "mu")\"][\"\(names.last ?? "mu")\"]; got \(index.typeDescription)",
                                   at: range)
        }
        if let row = hessian.names.firstIndex(of: name) { return .gradient(hessian.row(row)) }
        guard let declaration = interpreter.parameters.declaration(of: name),
              declaration.indices.allSatisfy({ hessian.parameters.contains($0) }) else {
            throw interpreter.fail("the Hessian has no row \"\(name)\"; \(offered)", at: range)
        }
        let rows = declaration.indices.compactMap { index in hessian.parameters.firstIndex(of: index) }
        return declaration.shaped(rows.map { .gradient(hessian.row($0)) })
    }

    /// What the second-order runs found.
    struct SecondOrderRun {
        /// Per direction, the gradient of its first-order contribution.
        var rows: [GradientResult]
        /// Per parameter (position in wrt), why its first derivative is biased.
        var firstOrderBias: [String?]
        var estimators: [EstimatorReport]
        var warnings: [Diagnostic]
    }

    /// For each direction v (weights over `wrt`): the gradient of E[g_v],
    /// where g_v is the first-order contribution to Σ vᵢ ∂E[root]/∂θᵢ.
    func secondOrder(of original: NodeID, wrt: [Int], directions: [[Double]], particles: Int,
                     at range: SourceRange) throws -> SecondOrderRun {
        let made = try derivativePrograms(of: original, wrt: wrt, directions: directions, particles: particles, at: range)
        let firstOrder = made.firstOrder
        var rows: [GradientResult] = []
        for (index, program) in made.programs.enumerated() {
            // The objective runs beside the first row, at every particle: its
            // values must be finite (log of a negative draw is an error, as
            // for grad), though the contribution may never read them.
            var row = try gradient(of: program.node, wrt: wrt, particles: particles, checking: index == 0 ? made.root : nil)
            row.objective = (.nan, 0)
            rows.append(row)
        }
        // A first derivative that is biased leaves every second derivative through it biased.
        let firstWarnings = diagnostics(firstOrder.warnings)
        let firstOrderBias = wrt.map { index in firstOrder.warnings.first { $0.parameters.contains(index) }.map { "first order: \($0.bias)" } }
        for row in rows.indices {
            // Entry [v][c] is biased where θ_c's first derivative is, or any θ_r's that v moves.
            let moved = directions[row].indices.first { directions[row][$0] != 0 && firstOrderBias[$0] != nil }
            for column in wrt.indices where rows[row].entries[column].bias == nil {
                rows[row].entries[column].bias = firstOrderBias[column] ?? moved.flatMap { firstOrderBias[$0] }
            }
        }
        var warnings = firstWarnings
        for row in rows {
            for warning in row.warnings where !warnings.contains(where: { $0.location == warning.location && $0.message == warning.message }) {
                warnings.append(warning)
            }
        }
        return SecondOrderRun(rows: rows, firstOrderBias: firstOrderBias,
                              estimators: secondOrderReports(root: made.root, wrt: wrt, programs: made.programs, folds: made.folds),
                              warnings: warnings)
    }

    /// The programs of each direction's first-order contribution, for the
    /// objective with its draws' maps folded in (`root`, `folds`), and the
    /// first-order analysis they were written by.
    func derivativePrograms(of original: NodeID, wrt: [Int], directions: [[Double]], particles: Int, at range: SourceRange) throws
        -> (root: NodeID, folds: [NodeID: String], firstOrder: AnalysisResult, programs: [DerivativeProgram]) {
        let (root, folds) = derivativeObjective(original, wrt: wrt, always: true)
        let firstOrder = EstimatorAnalysis.analyse(interpreter.graph, root: root, parameters: wrt)
        // Each draw's first-order form: the analysis's choice, and where a
        // discrete draw could take its exact derivative or the score
        // function, the pilot's for the gradient. (A measure-valued
        // derivative, which has no program form, becomes pathwise where
        // every use is smooth, else the score function; only the discrete
        // draws' choice is worth a pilot.)
        var choices = firstOrder.choices
        let discreteChoice = firstOrder.choices.contains { id, choice in
            choice.estimator == .exact && !choice.pinned && choice.split == nil
                && interpreter.graph[id].op.distribution?.admits(.score) == true
        }
        if discreteChoice, interpreter.graph[root].isRandom, !wrt.isEmpty {
            for (id, choice) in cachedRunner(for: root, gradient: wrt).runner.plan.randomNodes {
                guard choice.estimator == .mvd else {
                    choices[id] = choice
                    continue
                }
                if let raw = firstOrder.choices[id], raw.estimator == .pathwise, raw.split == nil { continue }
                choices[id] = EstimatorChoice(.score, choice.clauses)
            }
        }
        // A flip's choice between alternative paths is itself a jump in the
        // parameters: a second derivative enumerates the outcomes instead.
        for (id, choice) in choices where choice.estimator.mechanism == .triples {
            choices[id] = EstimatorChoice(.exact, [.notPossible(choice.estimator, .noTriples("a second derivative enumerates the outcomes instead"))])
        }
        func program(_ weights: [Double], baseline: Double) throws -> DerivativeProgram {
            var direction: [Int: Double] = [:]
            for (index, weight) in zip(wrt, weights) where weight != 0 { direction[index, default: 0] += weight }
            do {
                let made = try DerivativeProgram.build(of: root, direction: direction, choices: choices,
                                                       baseline: baseline, in: &interpreter.graph)
                // A node of the program is where the node it was made for was written.
                for (node, source) in made.madeFor {
                    if let origin = interpreter.origin(of: source) { interpreter.recordOrigin(node, origin) }
                }
                return made
            } catch let error as DerivativeProgramError {
                let origin = interpreter.origin(of: error.node)
                throw RuntimeError(error.message, at: origin?.range ?? range, in: origin?.file ?? interpreter.file)
            }
        }
        // The score rule's baseline: E[root] from its own draw (independent
        // of the runs below, so no bias), when some draw takes that rule.
        var baseline = 0.0
        let probes = try directions.map { try program($0, baseline: 0) }
        if probes.contains(where: \.usesScore), interpreter.graph[root].isRandom {
            let (runner, _) = cachedRunner(for: root)
            let pilot = try runEngine(runner, configuration: nextConfiguration(particles: min(particles, 10_000)))
            if pilot.outputs[0].mean.isFinite { baseline = pilot.outputs[0].mean }
        }
        let programs = try directions.indices.map { baseline == 0 ? probes[$0] : try program(directions[$0], baseline: baseline) }
        return (root, folds, firstOrder, programs)
    }

    /// Each draw's estimator at the first order (as its contribution was
    /// written) and at the second (as the analysis and the pilot chose for
    /// that contribution; "none" where no direction moves it).
    func secondOrderReports(root: NodeID, wrt: [Int], programs: [DerivativeProgram],
                                    folds: [NodeID: String]) -> [EstimatorReport] {
        var secondChoices: [NodeID: EstimatorChoice] = [:]
        for program in programs {
            for (id, choice) in cachedRunner(for: program.node, gradient: wrt).runner.plan.randomNodes where secondChoices[id] == nil {
                secondChoices[id] = choice
            }
        }
        let draws = interpreter.graph.ancestors(of: [root]).filter { interpreter.graph[$0].op.isSampler }
        return draws.map { id in
            let node = interpreter.graph[id]
            let name = node.op.distribution?.name ?? "?"
            var rule: DerivativeProgram.Rule?
            for program in programs { rule = rule ?? program.rules[id] }
            let first: String
            switch rule {
            case .pathwise?: first = "pathwise"
            case .score?: first = "score"
            case .exact?: first = "exact"
            case .triple?: first = "triple"
            case nil: first = "none"
            }
            // A draw no parameter reaches is not differentiated at either
            // order; one whose outcomes the first order enumerates, where
            // the contribution no longer reads it, is exact at the second too
            // (through its outcomes' probabilities).
            var second = node.dependsOnParameter ? secondChoices[id] : nil
            if rule == .exact, second == nil {
                second = EstimatorChoice(.exact, [.enumerated(points: node.op.outcomes.count)])
            }
            let unread: [ReasonClause] = node.dependsOnParameter ? [.unread] : [.parameterFree]
            var report = EstimatorReport(node: node.label ?? "\(name)@\(node.site.line):\(node.site.column)",
                                         file: node.site.file, line: node.site.line, column: node.site.column,
                                         distribution: name, estimator: second?.name ?? "none",
                                         method: second.map { methodWords($0, node: node) } ?? "not differentiated",
                                         clauses: (folds[id].map { [ReasonClause.folded($0)] } ?? []) + (second?.clauses ?? unread))
            report.firstOrder = first
            report.repeats = repeats(of: node)
            return report
        }
    }
}

/// The Hessian of an expectation: a symmetric matrix of estimates, each
/// entry [a][b] and [b][a] one estimate (taken from the row of the earlier
/// parameter).
public struct HessianResult: Sendable {
    /// Per direction eᵢ: the gradient of the first-order contribution to ∂E/∂θᵢ.
    var rows: [GradientResult]
    /// Per parameter, why its first derivative is biased.
    var firstOrderBias: [String?]
    /// The parameters' names, in order.
    public var names: [String]
    /// Their indices in the graph.
    var parameters: [Int]
    /// True when taken with respect to every parameter the objective reads.
    var isExhaustive: Bool
    /// Each draw's estimator at both orders.
    public var estimators: [EstimatorReport]
    /// Where an entry may be biased.
    public var warnings: [Diagnostic]

    /// Entry [r][c]: value, standard error and bias, from row min(r, c).
    public func entry(_ r: Int, _ c: Int) -> (value: Double, stderr: Double, bias: String?) {
        let entry = rows[Swift.min(r, c)].entries[Swift.max(r, c)]
        return (entry.value, entry.stderr, entry.bias)
    }

    /// Row r as a gradient (∂/∂θ of ∂E/∂θᵣ), each entry's error tied to the
    /// run it came from.
    func row(_ r: Int) -> GradientResult {
        var result = rows[r]
        result.entries = names.indices.map { c in
            let (value, stderr, bias) = entry(r, c)
            return (name: names[c], value: value, stderr: stderr, bias: bias)
        }
        result.errorSources = names.indices.map { c in rows[Swift.min(r, c)].errorSources[Swift.max(r, c)] }
        result.components = names.indices.map { Swift.max(r, $0) }
        result.isExhaustive = isExhaustive
        result.estimators = estimators
        result.warnings = []
        return result
    }
}
