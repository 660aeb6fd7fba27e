// DerivativeProgram.swift — a first-order estimator's contribution written as
// a program: nodes appended to the graph whose expectation is a directional
// derivative of E[root]. Second derivatives are the first-order analysis run
// again on that program (Hessian rows, Hessian-vector products): where the
// contribution has a jump the original had only a kink (a call's pathwise
// delta 1{S > K}·S/S0), that analysis finds it and gives the draw the score
// function or a measure-valued derivative, as it would for any program.
//
// Each draw the direction reaches contributes by one of two rules:
//   - pathwise, where the first-order analysis chose it and the distribution
//     writes its movement (``PathwiseTangent``): the draw's tangent is
//     carried forward like any value's;
//   - the score function otherwise: (root − b) · ∂log p(x | θ), with the
//     log-density's derivative in the direction built from its one generic
//     definition, and b a constant (an independent estimate of E[root]),
//     which keeps E[(root − b)·∂log p] and its derivatives unchanged.
// The program is g = ∂root + (root − b) · Σ ∂log p, forward mode over the
// graph: E[g] = Σᵢ vᵢ ∂E[root]/∂θᵢ.

import WiggleCore
import WiggleDistributions

/// The nodes of a directional derivative's first-order contribution.
public struct DerivativeProgram: Sendable {
    /// How a draw enters the contribution.
    public enum Rule: Sendable, Equatable {
        /// Its tangent is carried forward.
        case pathwise
        /// Its log-density's derivative weighs the objective.
        case score
        /// Its outcomes are enumerated: Σₖ ∂P(oₖ)·f(oₖ), with what lies
        /// downstream copied once per outcome (fresh numbers for the copies'
        /// draws, so that every estimator at the second order stays unbiased).
        case exact
        /// Its flips make the particle's alternative path, with their
        /// weights (stochastic triples: StochasticTriples.swift).
        case triple
    }

    /// g: E[g] is the directional derivative.
    public var node: NodeID
    /// The rule of each draw the direction moves.
    public var rules: [NodeID: Rule]
    /// Each node the program added, with the node of the original it was
    /// made for (whose place in the source is its place).
    public var madeFor: [(node: NodeID, source: NodeID)]
    /// True when some draw takes the score function (g reads the baseline).
    public var usesScore: Bool { rules.values.contains(.score) }
}

/// Why a contribution cannot be written as a program.
public struct DerivativeProgramError: Error, Sendable {
    /// In words.
    public var message: String
    /// The node it is about.
    public var node: NodeID

    /// Why, about `node`.
    public init(message: String, node: NodeID) {
        self.message = message
        self.node = node
    }
}

extension DerivativeProgram {
    /// Appends to `graph` the contribution to Σᵢ vᵢ ∂E[root]/∂θᵢ, where
    /// `direction[i]` is vᵢ for parameter i, the draws taking the rules the
    /// first-order `choices` allow. `baseline` is the constant b.
    public static func build(of root: NodeID, direction: [Int: Double], choices: [NodeID: EstimatorChoice],
                             baseline: Double, in graph: inout Graph) throws -> DerivativeProgram {
        let builder = ProgramBuilder(graph: graph)
        let savedLoop = builder.graph.currentLoop
        builder.graph.currentLoop = nil
        defer {
            builder.graph.currentLoop = savedLoop
            // The program wrote each iteration of a repeating loop alike: its
            // template reads the program's nodes of the iteration before too.
            builder.graph.refreshRepetitions()
            graph = builder.graph
        }
        var tangents: [NodeID: ProgramScalar.Part] = [:]
        var rules: [NodeID: Rule] = [:]
        var scores: ProgramScalar.Part?
        // The scores of draws inside loops of random length, by iteration:
        // summed along the loop and leaving it through an exit of their own.
        var loopScores: [LoopTag: ProgramScalar.Part] = [:]
        // Σₖ ∂P(oₖ)·f(oₖ) of the draws whose outcomes are enumerated.
        var worlds: ProgramScalar.Part?
        let order = builder.graph.ancestors(of: [root])
        // The particle's alternative path, where `@triple` draws flip:
        // carried beside each value, or replayed where it reaches a loop
        // of random length (StochasticTriples+Loops.swift).
        let path = AlternativePath(builder: builder)
        let replay = AlternativeReplay.isNeeded(order: order, choices: choices, graph: builder.graph)
            ? AlternativeReplay(builder: builder) : nil
        func dual(_ id: NodeID) -> ProgramScalar {
            ProgramScalar(.node(id), tangent: tangents[id], builder)
        }
        for id in order {
            let node = builder.graph[id]
            guard node.dependsOnParameter else { continue }
            builder.site = node.site
            builder.source = id
            // A node's tangent is made in its loop iteration, if it has one.
            builder.graph.currentLoop = node.loop
            if replay == nil { try path.follow(id) }
            let result: ProgramScalar
            switch node.op {
            case .constant: continue
            case .parameter(let index):
                guard let weight = direction[index], weight != 0 else { continue }
                result = ProgramScalar(.node(id), tangent: .number(weight), builder)
            case .unary(let f, let a):
                result = try dual(a).applying(f)
            case .binary(let f, let a, let b):
                result = try ProgramScalar.binary(f, dual(a), dual(b))
            case .select(let c, let a, let b):
                let (ta, tb) = (tangents[a], tangents[b])
                guard ta != nil || tb != nil else { continue }
                result = ProgramScalar(.node(id), tangent: builder.select(.node(c), ta ?? .number(0), tb ?? .number(0)), builder)
            case .pick(let index, let items):
                guard items.contains(where: { tangents[$0] != nil }) else { continue }
                let picked = builder.pick(index, items.map { tangents[$0] ?? .number(0) })
                result = ProgramScalar(.node(id), tangent: picked, builder)
            case .loopExit(_, let alive):
                // The tangent leaves the loop as the value does: what a
                // particle leaving after t iterations holds, per t.
                guard let loop = builder.graph.loops.firstIndex(where: { $0.exits.contains { $0.exit == id } }),
                      let exit = builder.graph.loops[loop].exits.first(where: { $0.exit == id }),
                      exit.values.contains(where: { tangents[$0] != nil }) else { continue }
                let values = exit.values.map { builder.node(tangents[$0] ?? .number(0)) }
                result = ProgramScalar(.node(id), tangent: .node(builder.exit(values, alive: alive, loop: loop)), builder)
            case .random(let distributionID, let inputs):
                guard inputs.contains(where: { tangents[$0] != nil }) else { continue }
                let distribution = DistributionRegistry[distributionID]
                let parameters = inputs.map { ProgramScalar(.node($0), tangent: nil, builder) }
                let moves = inputs.map { ProgramScalar(tangents[$0] ?? .number(0), tangent: nil, builder) }
                let choice = choices[id] ?? EstimatorChoice.default(for: node)
                if choice.estimator.mechanism == .triples, distribution.estimators.contains(.triple),
                   let flips = builder.tripleFlips(of: id, distribution, parameters: inputs,
                                                   moves: inputs.map { tangents[$0] ?? .number(0) }) {
                    rules[id] = .triple
                    if let replay { try replay.flip(id, flips) } else { path.flip(id, flips) }
                    continue
                } else if choice.estimator == .pathwise, choice.split == nil, let reparametrised = distribution as? any PathwiseTangent {
                    let moved = try reparametrised.pathwiseTangent(of: ProgramScalar(.node(id), tangent: nil, builder),
                                                                   parameters, moving: moves)
                    rules[id] = .pathwise
                    result = ProgramScalar(.node(id), tangent: moved.value, builder)
                } else if choice.estimator == .exact,
                          let term = try enumerated(id, outcomes: node.op.outcomes, order: order, root: root, builder: builder,
                                                    parameters: zip(inputs, moves).map { ProgramScalar(.node($0), tangent: $1.value, builder) }) {
                    rules[id] = .exact
                    worlds = builder.add(worlds, term)
                    continue
                } else if distribution.admits(.score) {
                    let movingParameters = zip(inputs, moves).map { ProgramScalar(.node($0), tangent: $1.value, builder) }
                    let logDensity = try distribution.logDensity(ProgramScalar(.node(id), tangent: nil, builder), movingParameters)
                    rules[id] = .score
                    if let tag = node.loop {
                        loopScores[tag] = builder.add(loopScores[tag], logDensity.tangent)
                    } else {
                        scores = builder.add(scores, logDensity.tangent)
                    }
                    continue
                } else {
                    throw DerivativeProgramError(
                        message: "\(distribution.name)'s first-order estimator here (\(choice.estimator.rawValue)) has no form as a program to differentiate again, and it has no score function",
                        node: id)
                }
            }
            if let tangent = result.tangent {
                if let tag = node.loop, Int(tag.loop) < builder.graph.loops.count, builder.graph.loops[Int(tag.loop)].repetition != nil {
                    tangents[id] = builder.carried(tangent, in: tag)
                } else {
                    tangents[id] = builder.simplified(tangent)
                }
            }
        }
        builder.graph.currentLoop = nil
        // Each loop's scores, summed over the iterations a particle runs
        // (a draw of iteration t is drawn where alive[t] is 1).
        for loop in Set(loopScores.keys.map(\.loop)).sorted() {
            let trace = builder.graph.loops[Int(loop)]
            guard trace.iterations > 0 else { continue }
            builder.site = trace.site
            var sum = ProgramScalar.Part.number(0)
            var values = [builder.node(sum)]
            for t in 0..<trace.iterations {
                let tag = LoopTag(loop: Int(loop), iteration: t)
                builder.graph.currentLoop = tag
                if let score = loopScores[tag] {
                    sum = builder.select(.node(trace.alive[t]), builder.binary(.add, sum, score), sum)
                }
                values.append(builder.node(sum))
            }
            builder.graph.currentLoop = nil
            scores = builder.add(scores, .node(builder.exit(values, alive: trace.alive[trace.iterations], loop: Int(loop))))
        }
        let jump = try replay != nil ? replay?.jump(root, order: order) : path.jump(root)
        var g = builder.add(builder.add(tangents[root], worlds), jump) ?? .number(0)
        if let scores {
            builder.site = builder.graph[root].site
            builder.source = root
            let centred = builder.binary(.subtract, .node(root), .number(baseline))
            g = builder.add(g, builder.binary(.multiply, centred, scores)) ?? .number(0)
        }
        let node = builder.node(g)
        return DerivativeProgram(node: node, rules: rules, madeFor: builder.madeFor)
    }
}

extension DerivativeProgram {
    /// Σₖ ∂P(oₖ)·f(oₖ) for the draw `id`: the objective with the draw
    /// replaced by each outcome, what lies between copied (its draws with
    /// numbers of their own), weighed by the outcome's probability's
    /// derivative. Nil where what lies downstream runs a loop of random length.
    static func enumerated(_ id: NodeID, outcomes: [Double], order: [NodeID], root: NodeID, builder: ProgramBuilder,
                           parameters: [ProgramScalar]) throws -> ProgramScalar.Part? {
        guard !outcomes.isEmpty, case .random(let distributionID, _) = builder.graph[id].op else { return nil }
        let distribution = DistributionRegistry[distributionID]
        let downstream = order.filter { $0 > id }
        var reached: Set<NodeID> = [id]
        for other in downstream where builder.graph[other].op.inputs.contains(where: reached.contains) {
            if builder.graph[other].loop != nil { return nil }
            if case .loopExit = builder.graph[other].op { return nil }
            reached.insert(other)
        }
        guard reached.contains(root) else { return .number(0) }
        var total: ProgramScalar.Part?
        for (k, outcome) in outcomes.enumerated() {
            // ∂P(oₖ) = P(oₖ)·∂log P(oₖ), from the log-density at the outcome.
            let probability = try distribution.logDensity(ProgramScalar(outcome), parameters).applying(.exp)
            guard let slope = probability.tangent else { continue }
            var replaced: [NodeID: NodeID] = [id: builder.node(.number(outcome))]
            for other in downstream where reached.contains(other) {
                let node = builder.graph[other]
                builder.source = other
                let copy = builder.graph.appendCopy(of: node, op: node.op.mappingInputs { replaced[$0] ?? $0 },
                                                    stream: node.op.isSampler ? DrawAddresses.derived(node.stream, world: UInt64(k + 1)) : nil)
                builder.note(copy)
                replaced[other] = copy
            }
            total = builder.add(total, builder.binary(.multiply, slope, .node(replaced[root] ?? root)))
        }
        return total
    }
}

/// Appends the program's nodes, folding numbers and dropping zeros.
final class ProgramBuilder {
    var graph: Graph
    /// Where the nodes being made come from.
    var site = Site.unknown
    /// The original node they are made for.
    var source = NodeID(0)
    /// Each node made, with the node it was made for.
    var madeFor: [(node: NodeID, source: NodeID)] = []

    init(graph: Graph) {
        self.graph = graph
    }

    func node(_ part: ProgramScalar.Part) -> NodeID {
        switch part {
        case .number(let value): return append(.constant(value))
        case .node(let id): return id
        }
    }

    /// A new exit of loop `loop`: `values[t]` is what a particle leaving after t iterations holds.
    func exit(_ values: [NodeID], alive: NodeID, loop: Int) -> NodeID {
        let saved = graph.currentLoop
        graph.currentLoop = nil
        defer { graph.currentLoop = saved }
        let id = append(.loopExit(value: values[values.count - 1], alive: alive))
        graph.loops[loop].exits.append(LoopExitTrace(exit: id, values: values))
        return id
    }

    /// Notes a node made for the current source.
    func note(_ id: NodeID) { madeFor.append((id, source)) }

    /// Appends an op (or finds it), noting what a new node was made for.
    private func append(_ op: Op) -> NodeID {
        let before = graph.count
        let id = graph.append(op, at: site)
        if graph.count > before { madeFor.append((id, source)) }
        return id
    }

    /// A tangent made in iteration `tag` of a repeating loop, as its later
    /// iterations must read it: never a number (its template stands for
    /// every later iteration, so dh = dh' + 1 must stay an addition, not
    /// the count folded in the iterations traced), and never a node of
    /// another iteration of the loop (a copy in this one, so that what the
    /// next reads comes from the iteration before it).
    func carried(_ part: ProgramScalar.Part, in tag: LoopTag) -> ProgramScalar.Part {
        switch part {
        case .number(let value): return .node(append(.constant(value)))
        case .node(let id):
            guard let other = graph[id].loop, other.loop == tag.loop, other.iteration != tag.iteration else { return part }
            return .node(append(.binary(.multiply, id, append(.constant(1)))))
        }
    }

    /// `part` as a node of iteration `tag` itself (a number and a node of
    /// elsewhere too), for the iteration after to read in the same place in
    /// every iteration.
    func pinned(_ part: ProgramScalar.Part, in tag: LoopTag) -> ProgramScalar.Part {
        if case .node(let id) = part, graph[id].loop == tag { return part }
        let saved = graph.currentLoop
        graph.currentLoop = tag
        defer { graph.currentLoop = saved }
        return .node(append(.binary(.multiply, node(part), append(.constant(1)))))
    }

    func simplified(_ part: ProgramScalar.Part) -> ProgramScalar.Part {
        if case .node(let id) = part, case .constant(let value) = graph[id].op { return .number(value) }
        return part
    }

    func unary(_ f: UnaryFunction, _ a: ProgramScalar.Part) -> ProgramScalar.Part {
        if case .number(let x) = a { return .number(f.apply(x)) }
        return .node(append(.unary(f, node(a))))
    }

    func binary(_ f: BinaryFunction, _ a: ProgramScalar.Part, _ b: ProgramScalar.Part) -> ProgramScalar.Part {
        switch (a, b) {
        case (.number(let x), .number(let y)): return .number(f.apply(x, y))
        case (.number(0), _) where f == .add: return b
        case (_, .number(0)) where f == .add || f == .subtract: return a
        case (.number(1), _) where f == .multiply: return b
        case (_, .number(1)) where f == .multiply || f == .divide: return a
        case (.number(0), _) where f == .multiply || f == .divide: return .number(0)
        case (_, .number(0)) where f == .multiply: return .number(0)
        default: return .node(append(.binary(f, node(a), node(b))))
        }
    }

    /// A sum where nil is 0.
    func add(_ a: ProgramScalar.Part?, _ b: ProgramScalar.Part?) -> ProgramScalar.Part? {
        guard let a else { return b }
        guard let b else { return a }
        return binary(.add, a, b)
    }

    func select(_ condition: ProgramScalar.Part, _ a: ProgramScalar.Part, _ b: ProgramScalar.Part) -> ProgramScalar.Part {
        if case .number(let c) = condition { return c != 0 ? a : b }
        if a == b { return a }
        return .node(append(.select(node(condition), node(a), node(b))))
    }

    func pick(_ index: NodeID, _ choices: [ProgramScalar.Part]) -> ProgramScalar.Part {
        .node(append(.pick(index: index, choices: choices.map(node))))
    }
}

/// A value of the program and its tangent in the direction (nil: 0), each a
/// number or a node: forward mode over graph nodes, so the one generic
/// log-density (``DensityScalar``) gives the score's nodes.
struct ProgramScalar: DensityScalar {
    enum Part: Equatable {
        case number(Double)
        case node(NodeID)
    }

    var value: Part
    var tangent: Part?
    /// The builder, for anything not a number (a number needs none).
    let builder: ProgramBuilder?

    init(_ value: Part, tangent: Part?, _ builder: ProgramBuilder) {
        self.value = value
        self.tangent = tangent
        self.builder = builder
    }

    init(_ constant: Double) {
        value = .number(constant)
        tangent = nil
        builder = nil
    }

    var known: Double? {
        if case .number(let x) = value, tangent == nil { return x }
        return nil
    }

    private static func builder(_ a: ProgramScalar, _ b: ProgramScalar) -> ProgramBuilder? { a.builder ?? b.builder }

    /// f(a, b) and its tangent.
    static func binary(_ f: BinaryFunction, _ a: ProgramScalar, _ b: ProgramScalar) throws -> ProgramScalar {
        guard let p = builder(a, b) else {
            guard case .number(let x) = a.value, case .number(let y) = b.value else { return ProgramScalar(.nan) }
            return ProgramScalar(f.apply(x, y))
        }
        let y = p.binary(f, a.value, b.value)
        let (ta, tb) = (a.tangent, b.tangent)
        var tangent: Part?
        if ta != nil || tb != nil {
            switch f {
            case .add: tangent = p.add(ta, tb)
            case .subtract:
                tangent = tb.map { p.binary(.subtract, ta ?? .number(0), $0) } ?? ta
            case .multiply:
                tangent = p.add(ta.map { p.binary(.multiply, $0, b.value) }, tb.map { p.binary(.multiply, a.value, $0) })
            case .divide:
                // (da − y·db)/b
                let numerator = tb.map { p.binary(.subtract, ta ?? .number(0), p.binary(.multiply, y, $0)) } ?? ta
                tangent = numerator.map { p.binary(.divide, $0, b.value) }
            case .power:
                // b·a^(b−1)·da + y·log(a)·db
                let fromBase = ta.map { ta in
                    p.binary(.multiply, p.binary(.multiply, b.value, p.binary(.power, a.value, p.binary(.subtract, b.value, .number(1)))), ta)
                }
                let fromExponent = tb.map { p.binary(.multiply, p.binary(.multiply, y, p.unary(.log, a.value)), $0) }
                tangent = p.add(fromBase, fromExponent)
            case .min, .max:
                let first = p.binary(f == .min ? .lessEqual : .greaterEqual, a.value, b.value)
                tangent = p.select(first, ta ?? .number(0), tb ?? .number(0))
            case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual:
                tangent = nil
            }
        }
        return ProgramScalar(y, tangent: tangent.map(p.simplified), p)
    }

    static func + (a: ProgramScalar, b: ProgramScalar) throws -> ProgramScalar { try binary(.add, a, b) }
    static func - (a: ProgramScalar, b: ProgramScalar) throws -> ProgramScalar { try binary(.subtract, a, b) }
    static func * (a: ProgramScalar, b: ProgramScalar) throws -> ProgramScalar { try binary(.multiply, a, b) }
    static func / (a: ProgramScalar, b: ProgramScalar) throws -> ProgramScalar { try binary(.divide, a, b) }

    func applying(_ f: UnaryFunction) throws -> ProgramScalar {
        guard let p = builder else {
            guard case .number(let x) = value else { return ProgramScalar(.nan) }
            return ProgramScalar(f.apply(x))
        }
        let y = p.unary(f, value)
        guard let t = tangent else { return ProgramScalar(y, tangent: nil, p) }
        let slope: Part?
        switch f {
        case .negate: slope = .number(-1)
        case .exp: slope = y
        case .log: slope = p.binary(.divide, .number(1), value)
        case .sqrt: slope = p.binary(.divide, .number(0.5), y)
        case .abs:
            // sign(x): a number where x is not random (a comparison would look like a jump).
            if case .node(let id) = value, !p.graph[id].isRandom, let x = p.graph.evaluate(id) {
                slope = .number(x > 0 ? 1 : x < 0 ? -1 : 0)
            } else {
                slope = p.binary(.subtract, p.binary(.greater, value, .number(0)), p.binary(.less, value, .number(0)))
            }
        case .sin: slope = p.unary(.cos, value)
        case .cos: slope = p.unary(.negate, p.unary(.sin, value))
        case .tanh: slope = p.binary(.subtract, .number(1), p.binary(.multiply, y, y))
        case .sigmoid: slope = p.binary(.multiply, y, p.binary(.subtract, .number(1), y))
        case .softplus: slope = p.unary(.sigmoid, value)
        case .lgamma: slope = p.unary(.digamma, value)
        case .floor, .round, .not: slope = nil
        case .digamma:
            throw DerivativeProgramError(message: "a second derivative through digamma needs the trigamma function, which Wiggle does not have",
                                         node: p.node(y))
        }
        return ProgramScalar(y, tangent: slope.map { p.simplified(p.binary(.multiply, $0, t)) }, p)
    }

    static func equal(_ a: ProgramScalar, _ b: ProgramScalar) throws -> ProgramScalar {
        var result = try binary(.equal, a, b)
        result.tangent = nil
        return result
    }

    static func atLeast(_ a: ProgramScalar, _ b: ProgramScalar) throws -> ProgramScalar {
        var result = try binary(.greaterEqual, a, b)
        result.tangent = nil
        return result
    }

    static func restricted(to condition: ProgramScalar, _ body: () throws -> ProgramScalar) throws -> ProgramScalar {
        if let c = condition.known { return c != 0 && !c.isNaN ? try body() : ProgramScalar(-.infinity) }
        // log of a 0/1 indicator: −inf outside, no slope inside.
        var indicator = condition
        indicator.tangent = nil
        return try body() + indicator.applying(.log)
    }

    static func inside(_ distance: ProgramScalar, closed: Bool, _ body: () throws -> ProgramScalar) throws -> ProgramScalar {
        if let d = distance.known { return (closed ? d >= 0 : d > 0) ? try body() : ProgramScalar(-.infinity) }
        // As the tracer's: 0 · log(distance), nan outside, no slope.
        var outside = distance
        outside.tangent = nil
        return try body() + ProgramScalar(0) * outside.applying(.log)
    }
}
