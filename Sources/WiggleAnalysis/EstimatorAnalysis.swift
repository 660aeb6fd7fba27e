// EstimatorAnalysis.swift — which estimator each random node uses, and why;
// and where no estimator can make the gradient unbiased.
//
// The rules:
// - A normal is pathwise unless its value reaches, through smooth ops, a
//   discontinuous input: a comparison, floor, round, not, the condition of a
//   select. There the pathwise derivative misses the jump, so it uses the
//   score function. abs, min and max are continuous and keep it pathwise. A
//   path ends where it enters another random node's parameter: that node's
//   own estimator accounts for the jump.
// - A node with finitely many outcomes (a bernoulli) enumerates them (the
//   exact 2-point derivative) when the graph downstream of it is small
//   enough to run once per outcome, else uses the score function.
// - A node that can do neither uses the score function.
// - A node whose value reaches some additive terms of the objective
//   smoothly and others through a jump is pathwise for the first and the
//   score function for the second (TermSplit.swift).
// - A parameter that reaches a discontinuity through deterministic ops alone
//   gets a warning: no node's estimator can fix that.
// - Annotations override; a biased override is honoured with a warning.

import WiggleCore
import WiggleDistributions

/// A place where the gradient is biased, in words.
public struct AnalysisWarning: Sendable, Equatable {
    /// The node the warning is about.
    public var node: NodeID
    /// Where that node was made.
    public var site: Site
    /// Why the gradient is biased there.
    public var message: String
    /// The gradient parameters whose components it makes biased.
    public var parameters: [Int] = []
    /// Why those components are biased, in a few words: "misses the jump at line 7".
    public var bias = ""
}

/// What the analysis decided for one objective: an estimator per random
/// node, and where the gradient may be biased.
public struct AnalysisResult: Sendable {
    /// The estimator of every random ancestor of the objective.
    public var choices: [NodeID: EstimatorChoice]
    /// Where the gradient may be biased.
    public var warnings: [AnalysisWarning]
    /// For nodes given the measure-valued derivative where the score
    /// function (or a split by term) is also unbiased: that alternative,
    /// for the pilot to measure against.
    public var alternatives: [NodeID: EstimatorChoice] = [:]
    /// For normals that are pathwise because every use is smooth, where a
    /// measure-valued derivative would also fit the re-run budget: that
    /// derivative, for the pilot to measure against pathwise (E[cos(2x)]:
    /// a tenth of the variance; E[exp(−x²)] at μ = 1, σ = 0.3: pathwise wins).
    public var smoothAlternatives: [NodeID: EstimatorChoice] = [:]

    /// A result with these choices and warnings.
    public init(choices: [NodeID: EstimatorChoice], warnings: [AnalysisWarning],
                alternatives: [NodeID: EstimatorChoice] = [:]) {
        self.choices = choices
        self.warnings = warnings
        self.alternatives = alternatives
    }
}

/// Chooses an estimator for every random node of a graph.
public enum EstimatorAnalysis {
    /// A bernoulli whose downstream graph has at most this many per-particle
    /// nodes gets the exact derivative.
    public static let exactDownstreamLimit = 2_000
    /// And all exact nodes together may re-run at most this many times the plan.
    public static let exactBudgetFactor = 20

    /// The choice for every random ancestor of `root`, with the warnings for
    /// the gradient with respect to `parameters` (all reaching `root` if nil).
    public static func analyse(_ graph: Graph, root: NodeID, parameters: [Int]? = nil) -> AnalysisResult {
        let order = graph.ancestors(of: [root])
        let discontinuity = reachedDiscontinuities(graph, order: order)
        let ancestry = RandomAncestry(graph: graph, order: order)
        var choices: [NodeID: EstimatorChoice] = [:]
        var alternatives: [NodeID: EstimatorChoice] = [:]
        var warnings: [AnalysisWarning] = []
        let perParticleCount = order.filter { graph[$0].isRandom }.count
        var exactBudget = exactBudgetFactor * max(1, perParticleCount)
        var smoothAlternatives: [NodeID: EstimatorChoice] = [:]
        // The nodes some parameter of the gradient moves (a node's
        // derivative is needed only for the parameters that reach it).
        let differentiated = parameters.map(Set.init)
        var moved = Set<NodeID>()
        for id in order {
            if case .parameter(let index) = graph[id].op {
                if differentiated?.contains(index) ?? true { moved.insert(id) }
                continue
            }
            if graph[id].op.inputs.contains(where: moved.contains) { moved.insert(id) }
        }
        // The random nodes downstream of a node, or nil when the graph is too
        // large to track.
        func downstreamCount(_ id: NodeID) -> Int? {
            ancestry.map { ancestry in
                guard let bit = ancestry.index(of: id), let start = ancestry.position(of: id) else { return 0 }
                // Only nodes after it in the order can depend on it.
                var count = 0
                for index in (start + 1)..<order.count where graph[order[index]].isRandom && ancestry.depends(at: index, on: bit) {
                    count += 1
                }
                return count
            }
        }
        // An estimator that re-runs what lies downstream once per world of
        // the node's moved parameters (the measure-valued derivative, or one
        // registered), when it can run; else why not.
        func rerunWorlds(_ id: NodeID, _ node: Node, _ distribution: any Distribution,
                           _ estimator: Estimator = .mvd) -> Result<EstimatorChoice, RerunRefusal> {
            let rule = estimator.rule
            if let loop = loopDownstream(of: id, graph, order: order, ancestry: ancestry) {
                return .failure(.loop(loop))
            }
            guard let downstream = downstreamCount(id) else { return .failure(.untracked) }
            var worlds = Set<Int>()
            for (index, input) in node.op.inputs.enumerated() where moved.contains(input) {
                worlds.formUnion(rule.worlds(for: distribution, parameter: index))
            }
            let runs = rule.rerunCost(worlds: worlds.count, downstream: downstream)
            let requested = node.requestedEstimator == estimator
            guard requested || (downstream <= exactDownstreamLimit && runs <= exactBudget) else {
                return .failure(.tooLarge(runs: worlds.count, downstream: downstream))
            }
            exactBudget -= requested ? 0 : runs
            let clause = ReasonClause.worlds(title: rule.title, worlds: rule.describe(worlds: worlds, of: distribution),
                                             downstream: downstream, count: worlds.count)
            return .success(EstimatorChoice(estimator, requested ? [.requested(estimator), clause] : [clause]))
        }

        // Nodes later in the order have smaller downstream graphs: decide
        // from the end so the budget of re-runs goes to as many as possible.
        for id in order.reversed() {
            let node = graph[id]
            guard let distribution = node.op.distribution else { continue }
            let choice: EstimatorChoice
            let wantsWorlds = node.requestedEstimator?.mechanism == .worlds
            if let requested = node.requestedEstimator, wantsWorlds, requested != .mvd {
                // A registered estimator that re-runs worlds, by request.
                switch rerunWorlds(id, node, distribution, requested) {
                case .success(let found): choice = found
                case .failure(let refusal):
                    choice = EstimatorChoice(distribution.admits(.score) ? .score : .pathwise,
                                             [.notPossible(requested, refusal)])
                }
            } else if distribution.admits(.pathwise) && !distribution.admits(.score), let jump = discontinuity[id],
               moved.contains(id), distribution.admits(.mvd), case .success(let found) = rerunWorlds(id, node, distribution) {
                // A uniform whose bounds move reaching a jump: its value at
                // the bounds against the value drawn is the one unbiased choice.
                choice = EstimatorChoice(found, note: .reachesWithoutScore(jump.description, distribution: distribution.name))
            } else if distribution.admits(.pathwise) && !distribution.admits(.score), let jump = discontinuity[id] {
                // Pathwise misses the jump and there is no score function (a
                // uniform's support moves with its bounds): biased, said so
                // when a parameter moves it.
                let moved = moved.contains(id)
                choice = EstimatorChoice(.pathwise, [moved ? .biasedWithoutAlternative(jump.description, distribution: distribution.name)
                                                           : .unmoved(jump.description)])
                if moved {
                    warnings.append(AnalysisWarning(node: id, site: node.site, message:
                        "\(name(of: node)) reaches \(jump.description), where its pathwise derivative misses the jump, and a \(distribution.name) has no score function (its support moves with its parameters): the gradient through it is biased",
                        bias: "misses the jump at line \(jump.site.line)"))
                }
            } else if distribution.admits(.pathwise) && !wantsWorlds {
                let found = choosePathwiseOrScore(id, node, reaching: discontinuity[id], warnings: &warnings)
                // At a jump the measure-valued derivative is also unbiased:
                // taken, and measured against the score function by the pilot.
                if found.estimator == .score, node.requestedEstimator == nil, distribution.admits(.mvd),
                   moved.contains(id), case .success(let better) = rerunWorlds(id, node, distribution) {
                    choice = EstimatorChoice(better, note: .reaches(discontinuity[id]?.description ?? "a jump"))
                    alternatives[id] = found
                } else {
                    choice = found
                    // Smooth: pathwise, unless the pilot measures the
                    // measure-valued derivative better. Offered without
                    // spending the re-run budget (it stays pathwise unless taken).
                    if found.estimator == .pathwise, node.requestedEstimator == nil, discontinuity[id] == nil,
                       distribution.admits(.mvd), moved.contains(id) {
                        let budget = exactBudget
                        if case .success(let pair) = rerunWorlds(id, node, distribution) { smoothAlternatives[id] = pair }
                        exactBudget = budget
                    }
                }
            } else if wantsWorlds {
                switch rerunWorlds(id, node, distribution) {
                case .success(let found): choice = found
                case .failure(let refusal):
                    choice = EstimatorChoice(distribution.admits(.score) ? .score : .pathwise, [.notPossible(.mvd, refusal)])
                    if !distribution.admits(.score), let jump = discontinuity[id], moved.contains(id) {
                        warnings.append(AnalysisWarning(node: id, site: node.site, message:
                            "\(name(of: node)) reaches \(jump.description), and its measure-valued derivative is not possible (\(refusal)): the gradient through it is biased",
                            bias: "misses the jump at line \(jump.site.line)"))
                    }
                }
            } else if let requested = node.requestedEstimator, requested.mechanism == .triples {
                // Stochastic triples, by request, where no loop of random
                // length inside another must carry them.
                if let loop = nestedLoopDownstream(of: id, graph, order: order, ancestry: ancestry) {
                    choice = EstimatorChoice(.score, [.notPossible(requested, .loop(loop)), .leaveOneOut])
                } else {
                    choice = EstimatorChoice(requested, [.requested(requested), .triples])
                }
            } else if distribution.admits(.exact), let loop = loopDownstream(of: id, graph, order: order, ancestry: ancestry) {
                // Re-running what lies downstream would re-run the rest of a
                // loop whose length is random: the score function instead.
                choice = EstimatorChoice(.score, node.requestedEstimator == .exact
                    ? [.notPossible(.exact, .loop(loop)), .leaveOneOut] : [.loopCannotRerun(loop), .leaveOneOut])
            } else if distribution.admits(.exact) {
                choice = chooseEnumerationOrScore(node, distribution, downstream: downstreamCount(id), budget: &exactBudget)
            } else if node.requestedEstimator == nil, distribution.admits(.mvd), moved.contains(id),
                      case .success(let found) = rerunWorlds(id, node, distribution) {
                // A Poisson: the shift, measured against the score function by the pilot.
                choice = found
                alternatives[id] = EstimatorChoice(.score, [.reparametrisable(distribution: distribution.name, false), .leaveOneOut])
            } else {
                choice = EstimatorChoice(.score, node.requestedEstimator == .score
                    ? [.requested(.score), .leaveOneOut]
                    : [.reparametrisable(distribution: distribution.name, false), .leaveOneOut])
            }
            choices[id] = choice
        }
        splitByTerm(graph, root: root, order: order, ancestry: ancestry, reaching: discontinuity, choices: &choices)
        if !alternatives.isEmpty {
            // The alternatives to the measure-valued derivative, split by
            // term where the score function would be.
            var fallback = choices.merging(alternatives) { $1 }
            splitByTerm(graph, root: root, order: order, ancestry: ancestry, reaching: discontinuity, choices: &fallback)
            for id in alternatives.keys {
                alternatives[id] = fallback[id]
                // Where the alternative splits by term, so does the
                // measure-valued derivative: pathwise for the smooth terms.
                guard let split = fallback[id]?.split, var choice = choices[id] else { continue }
                choice.split = split
                choice.split?.jumpEstimator = .mvd
                if let worlds = choice.clauses.first(where: { if case .worlds = $0 { return true } else { return false } }) {
                    choice.clauses = [.splitWorlds(pathwise: split.pathwiseCount, jumped: split.scoreCount, jump: split.jump,
                                                   worlds: worlds)]
                }
                choices[id] = choice
            }
        }

        // Certain outcomes that move: a probability known while tracing (from
        // parameters alone) at exactly 0 or 1 whose parameters are being
        // differentiated. The score function never sees the other outcome
        // there; the exact derivative does, so it is kept (no pilot may
        // trade it away), and where it cannot run the gradient is biased.
        for id in choices.keys.sorted() {
            guard let choice = choices[id], let distribution = graph[id].op.distribution,
                  distribution.admits(.exact), let certain = certainProbability(id, graph, moved: moved) else { continue }
            if choice.estimator == .exact {
                choices[id]?.pinned = true
                choices[id]?.clauses = [.certain(certain)] + choice.clauses
                continue
            }
            let node = graph[id]
            warnings.append(AnalysisWarning(node: id, site: node.site, message:
                "the probability of \(name(of: node)) is exactly \(certain) at the parameters' values and moves with them: the score function never sees the other outcome, so the gradient through it is biased (the exact derivative sees it: write @exact where what lies downstream can be re-run)",
                bias: "a certain outcome that moves, at line \(node.site.line)"))
        }

        let wanted = parameters.map(Set.init) ?? Set(graph.parameters(reaching: root))
        // A biased @pathwise node biases the components of the parameters it reads.
        for index in warnings.indices {
            let node = warnings[index].node
            warnings[index].parameters = graph.parameters(reaching: node).filter(wanted.contains)
        }
        // Parameters whose jump no estimator sees.
        for id in order {
            guard case .parameter(let index) = graph[id].op, wanted.contains(index), let jump = discontinuity[id] else { continue }
            let parameter = graph.parameters[index].name
            var message = "the gradient with respect to '\(parameter)' misses a jump: '\(parameter)' reaches \(jump.description) through deterministic operations, where no random node's estimator can account for it"
            if let fix = suggestedFix(graph, order: order, parameter: id, name: parameter) { message += "; \(fix)" }
            warnings.append(AnalysisWarning(node: jump.node, site: jump.site, message: message, parameters: [index],
                                            bias: "misses the jump at line \(jump.site.line)"))
        }
        var result = AnalysisResult(choices: choices, warnings: onePerPlace(warnings), alternatives: alternatives)
        result.smoothAlternatives = smoothAlternatives.filter { choices[$0.key]?.estimator == .pathwise && choices[$0.key]?.split == nil }
        return result
    }

    /// "0" or "1" when a discrete node's probability is known while tracing
    /// (it depends on parameters alone), sits at exactly that bound, and
    /// moves off it when a parameter moves; nil otherwise (a probability computed from random
    /// values is checked by nothing: left alone).
    static func certainProbability(_ id: NodeID, _ graph: Graph, moved: Set<NodeID>) -> String? {
        for input in graph[id].op.inputs where moved.contains(input) && !graph[input].isRandom {
            guard case .success(let value)? = graph.evaluateChecked(input), value == 0 || value == 1 else { continue }
            // It moves when nudging a parameter either way moves it off the
            // bound: exp(−x/p) at x = 0 stays 1 (dp/dθ = 0, the certain
            // outcome is exact), p = θ does not.
            for index in graph.parameters(reaching: input) {
                for sign in [-1.0, 1.0] {
                    var probe = graph
                    let current = probe.parameters[index].value
                    probe.parameters[index].value = current + sign * Swift.max(1e-6, Swift.abs(current) * 1e-6)
                    if case .success(let nudged)? = probe.evaluateChecked(input), nudged != value {
                        return value == 0 ? "0" : "1"
                    }
                }
            }
        }
        return nil
    }

    /// One warning per source place and message, with a count: a draw in a
    /// loop is a node per iteration traced, and its warning is one.
    static func onePerPlace(_ warnings: [AnalysisWarning]) -> [AnalysisWarning] {
        var merged: [AnalysisWarning] = []
        var counts: [Int] = []
        var index: [String: Int] = [:]
        for warning in warnings {
            let key = "\(warning.site)\u{1}\(warning.message)"
            if let at = index[key] {
                counts[at] += 1
                merged[at].parameters = Array(Set(merged[at].parameters).union(warning.parameters)).sorted()
            } else {
                index[key] = merged.count
                merged.append(warning)
                counts.append(1)
            }
        }
        for at in merged.indices where counts[at] > 1 {
            merged[at].message += " (one warning for the \(counts[at]) nodes traced from this place, one per loop iteration or call)"
        }
        return merged
    }

    /// How to make a parameter's jump visible to an estimator, where there is
    /// a way: a parameter that shifts or scales a random value can move into
    /// the distribution's parameters, and then the random node's own
    /// estimator accounts for the jump. Found by following the parameter
    /// through deterministic ops to the first op that combines it with a
    /// random value.
    static func suggestedFix(_ graph: Graph, order: [NodeID], parameter: NodeID, name: String) -> String? {
        var consumers: [NodeID: [NodeID]] = [:]
        for id in order where id > parameter {
            for input in graph[id].op.inputs where input >= parameter {
                consumers[input, default: []].append(id)
            }
        }
        var pending = [parameter]
        var seen: Set<NodeID> = [parameter]
        while !pending.isEmpty {
            let id = pending.removeFirst()
            for consumer in consumers[id] ?? [] where seen.insert(consumer).inserted {
                let node = graph[consumer]
                if node.op.isSampler { continue }
                let meetsRandom = node.op.inputs.contains { $0 != id && graph[$0].isRandom && !graph[id].isRandom }
                if meetsRandom {
                    switch node.op {
                    case .binary(let f, let a, let b) where f == .multiply || f == .divide:
                        // What the parameter scales decides the rewrite: the
                        // exp of a normal takes it as a shift of the log; a
                        // normal draw itself takes it into its mean and sd.
                        let other = a == id ? b : a
                        let divisor = f == .divide && b == id
                        let scaled = graph[other]
                        if case .unary(.exp, let inner) = scaled.op, graph[inner].op.distribution?.name == "normal" {
                            // θ·e^N = e^(N + log θ), e^N/θ = e^(N − log θ), θ/e^N = e^(log θ − N).
                            let (rewrite, written): (String, String)
                            if f == .multiply {
                                (rewrite, written) = ("exp(normal(m + log(\(name)), s))", "\(name) * exp(normal(m, s))")
                            } else if divisor {
                                (rewrite, written) = ("exp(normal(m - log(\(name)), s))", "exp(normal(m, s)) / \(name)")
                            } else {
                                (rewrite, written) = ("exp(normal(log(\(name)) - m, s))", "\(name) / exp(normal(m, s))")
                            }
                            return "to fix it, move '\(name)' into the distribution's mean in log space: \(rewrite) in place of \(written) (for a positive \(name))"
                        }
                        if case .unary(.exp, _) = scaled.op {
                            return "to fix it, write the exp's argument as one normal draw and move '\(name)' into its mean in log space (exp(normal(m + log(\(name)), s)) in place of \(name) * exp(normal(m, s)), a scale inside the exp into s)"
                        }
                        if scaled.op.isSampler, scaled.op.distribution?.name == "normal", f == .multiply || divisor {
                            let op = divisor ? "/" : "*"
                            return "to fix it, put the scale into the distribution: normal(m \(op) \(name), s \(op) \(name)) in place of "
                                + (divisor ? "normal(m, s) / \(name)" : "\(name) * normal(m, s)") + " (for a positive \(name))"
                        }
                        return "no rewrite is known that moves '\(name)' into a random node here: it scales a value computed from random ones at line \(node.site.line); to make the gradient unbiased, make '\(name)' a parameter of a distribution (a mean or a scale)"
                    case .binary(.add, _, _):
                        return "to fix it, move '\(name)' into the distribution: normal(m + \(name), s) in place of normal(m, s) + \(name)"
                    case .binary(.subtract, let a, _):
                        // θ − N(m, s) is N(θ − m, s); N(m, s) − θ is N(m − θ, s).
                        return a == id
                            ? "to fix it, move '\(name)' into the distribution: normal(\(name) - m, s) in place of \(name) - normal(m, s)"
                            : "to fix it, move '\(name)' into the distribution: normal(m - \(name), s) in place of normal(m, s) - \(name)"
                    case .binary(let f, _, _) where f.continuity == .discontinuous:
                        return "to fix it, move '\(name)' into the distribution: normal(... - \(name), ...) \(f.symbol) 0 in place of normal(...) \(f.symbol) \(name)"
                    default:
                        return "to fix it, make '\(name)' a parameter of the random node it meets at line \(node.site.line)"
                    }
                }
                // Past a jump with no random value in it, nothing can help.
                let position = node.op.inputs.firstIndex(of: id) ?? 0
                if discontinuousInput(node.op, position) == nil && !node.isRandom { pending.append(consumer) }
            }
        }
        return nil
    }

    /// A reparametrisable node: pathwise unless its value reaches a jump.
    static func choosePathwiseOrScore(_ id: NodeID, _ node: Node, reaching jump: Jump?,
                                      warnings: inout [AnalysisWarning]) -> EstimatorChoice {
        switch node.requestedEstimator {
        case .score?:
            return EstimatorChoice(.score, [.requested(.score)])
        case .pathwise?:
            guard let jump else { return EstimatorChoice(.pathwise, [.requested(.pathwise), .smooth]) }
            warnings.append(AnalysisWarning(node: id, site: node.site, message:
                "\(name(of: node)) is pathwise by @pathwise but reaches \(jump.description); its pathwise derivative misses the jump there, so the gradient is biased",
                bias: "misses the jump at line \(jump.site.line)"))
            return EstimatorChoice(.pathwise, [.requested(.pathwise), .biased(jump.description)])
        default:
            if let jump { return EstimatorChoice(.score, [.reaches(jump.description)]) }
            return EstimatorChoice(.pathwise, [.smooth])
        }
    }

    /// Where a node is inside a loop of random length, or has one
    /// downstream: "it is inside the loop at line 4"; nil otherwise.
    static func loopDownstream(of id: NodeID, _ graph: Graph, order: [NodeID], ancestry: RandomAncestry?) -> LoopPlace? {
        guard !graph.loops.isEmpty else { return nil }
        if let tag = graph[id].loop {
            return .inside(line: graph.loops[Int(tag.loop)].site.line)
        }
        guard let start = order.firstIndex(of: id) else { return nil }
        let bit = ancestry?.index(of: id)
        for index in (start + 1)..<order.count {
            guard let tag = graph[order[index]].loop, graph[order[index]].isRandom else { continue }
            // Without the ancestry, any loop after it may be downstream.
            if let ancestry, let bit, !ancestry.depends(at: index, on: bit) { continue }
            return .downstream(line: graph.loops[Int(tag.loop)].site.line)
        }
        return nil
    }

    /// Where a loop of random length that stochastic triples cannot carry
    /// (one that holds loops, or is held by one) is in or downstream of
    /// node `id`, as ``loopDownstream(of:_:order:ancestry:)`` says; nil
    /// where the program has none.
    static func nestedLoopDownstream(of id: NodeID, _ graph: Graph, order: [NodeID], ancestry: RandomAncestry?) -> LoopPlace? {
        guard graph.loops.contains(where: AlternativeReplay.isNested) else { return nil }
        return loopDownstream(of: id, graph, order: order, ancestry: ancestry)
    }

    /// A node with finitely many outcomes: enumerate them when what lies
    /// downstream is small enough to re-run once per outcome, else the score function.
    static func chooseEnumerationOrScore(_ node: Node, _ distribution: any Distribution, downstream: Int?,
                                         budget: inout Int) -> EstimatorChoice {
        let runs = node.op.outcomes.count
        switch node.requestedEstimator {
        case .score?:
            return EstimatorChoice(.score, [.requested(.score), .leaveOneOut])
        case .exact? where downstream != nil:
            return EstimatorChoice(.exact, [.requested(.exact), .outcomes(downstream: downstream ?? 0, count: runs, commonNumbers: false)])
        case .exact?:
            return EstimatorChoice(.score, [.notPossible(.exact, .untracked), .leaveOneOut])
        default:
            // Every outcome costs at least its own cost row, even with
            // nothing downstream to re-run.
            if let downstream, downstream <= exactDownstreamLimit, runs * max(1, downstream) <= budget {
                budget -= runs * max(1, downstream)
                return EstimatorChoice(.exact, [.outcomes(downstream: downstream, count: runs, commonNumbers: true)])
            }
            return EstimatorChoice(.score, [.tooLargeForOutcomes(count: runs, downstream: downstream), .leaveOneOut])
        }
    }


    static func name(of node: Node) -> String {
        let label = node.label.map { "'\($0)'" } ?? "the \(node.op.distribution?.name ?? "node")"
        return "\(label) (line \(node.site.line))"
    }

    /// A discontinuity a value reaches, for messages: "`>` at line 7".
    struct Jump {
        var what: String
        var node: NodeID
        var site: Site
        var description: String { "\(what) at line \(site.line)" }
    }

    /// For every node, the first discontinuous input it reaches through
    /// deterministic smooth or continuous ops (paths stop at random nodes).
    static func reachedDiscontinuities(_ graph: Graph, order: [NodeID]) -> [NodeID: Jump] {
        // A loop's masks are where its condition decides who runs on.
        let guards = Set(graph.loops.flatMap(\.alive))
        var consumers: [NodeID: [(NodeID, Int)]] = [:]
        for id in order {
            for (position, input) in graph[id].op.inputs.enumerated() {
                consumers[input, default: []].append((id, position))
            }
        }
        // A repeating loop's template reads, in the iterations after it, its
        // own nodes where it reads the iteration before: the consumers form
        // a cycle, walked in passes until nothing changes.
        var cyclic = false
        for (index, loop) in graph.loops.enumerated() {
            guard let repetition = loop.repetition else { continue }
            let template = LoopTag(loop: index, iteration: repetition.template)
            for pair in repetition.carried {
                for (consumer, position) in consumers[pair.previous] ?? [] where graph[consumer].loop == template {
                    consumers[pair.current, default: []].append((consumer, position))
                    cyclic = true
                }
            }
        }
        var reached: [NodeID: Jump] = [:]
        var changed = true
        while changed {
            changed = false
            for id in order.reversed() where reached[id] == nil {
                for (consumer, position) in consumers[id] ?? [] {
                    let node = graph[consumer]
                    if node.op.isSampler { continue }
                    if guards.contains(consumer), case .select = node.op, position == 0 {
                        reached[id] = Jump(what: "the condition of the loop", node: consumer, site: node.site)
                        break
                    }
                    if let what = discontinuousInput(node.op, position) {
                        reached[id] = Jump(what: what, node: consumer, site: node.site)
                        break
                    }
                    if let further = reached[consumer] {
                        reached[id] = further
                        break
                    }
                }
                changed = changed || (cyclic && reached[id] != nil)
            }
        }
        return reached
    }

    /// How an op is named when one of its inputs jumps, or nil when the op
    /// is continuous in that input.
    static func discontinuousInput(_ op: Op, _ position: Int) -> String? {
        switch op {
        case .unary(let f, _) where f.continuity == .discontinuous:
            return "`\(f.rawValue)`"
        case .binary(let f, _, _) where f.continuity == .discontinuous:
            return "`\(f.symbol)`"
        case .select where position == 0:
            return "the condition of an if"
        case .pick where position == 0:
            return "an index"
        default:
            return nil
        }
    }
}
