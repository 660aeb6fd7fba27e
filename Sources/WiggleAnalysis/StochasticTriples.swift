// StochasticTriples.swift — the derivative through discrete draws as one
// program over each particle: its own path, its smooth tangent, and at most
// one alternative path (stochastic triples with pruning, after Arya,
// Schauer, Schäfer and Rackauckas, "Automatic differentiation of programs
// with discrete randomness", NeurIPS 2022). DerivativeProgram.build uses it
// for the draws whose estimator is `@triple`.
//
// A Bernoulli draw b = [u < q] whose q moves with the direction by dq flips
// as q moves: with dq > 0, a particle that drew 0 goes to 1 at the rate
// dq / (1 − q); with dq < 0, one that drew 1 goes to 0 at the rate −dq / q
// (a Poisson count and a categorical outcome step to their neighbours:
// ``ProgramBuilder/tripleFlips(of:_:parameters:moves:)``). Each such flip is a
// candidate alternative path with that weight. A
// particle keeps one: a new candidate of weight w replaces the one it holds
// (total weight W) with probability w / (W + w), and the total becomes
// W + w — unbiased, since each candidate is then held with probability
// proportional to its weight and weighed by the total. The alternative path
// runs on with the particle's own numbers (each later draw from the same
// stream, with the alternative's parameters: coupled), so it differs from
// the particle's path only where the flip reaches. The derivative is then
// E[tangent of f + W · (f on the alternative path − f)].
//
// As a graph: every node downstream of a flip gets an alternative node,
// computed from its inputs as the alternative path sees them now. The
// alternative a particle holds was made at the draw whose node number is T;
// an input computed before T belongs to the path before that flip, so the
// alternative path sees the input itself: seen(u) = T > u ? u : alt(u).

import WiggleCore
import WiggleDistributions

/// The alternative path of a derivative program, built node by node in the
/// order of the graph.
final class AlternativePath {
    let builder: ProgramBuilder
    /// Each node's value on the alternative path, where it may differ.
    private var alternatives: [NodeID: ProgramScalar.Part] = [:]
    /// The node number of the flip held (−1: none), and the total weight.
    private var held = ProgramScalar.Part.number(-1)
    private var weight = ProgramScalar.Part.number(0)
    /// `seen` of each node since the last flip.
    private var seenNow: [NodeID: ProgramScalar.Part] = [:]
    /// The last draw with flips so far: T is never past it.
    private var lastFlip = NodeID(0)

    init(builder: ProgramBuilder) {
        self.builder = builder
    }

    /// The node `id` as the alternative path sees it now.
    func seen(_ id: NodeID) -> ProgramScalar.Part {
        guard let alternative = alternatives[id] else { return .node(id) }
        // Made after every flip a particle may hold: its alternative as it is.
        if id.index >= lastFlip.index { return alternative }
        if let known = seenNow[id] { return known }
        let before = builder.binary(.greater, held, .number(Double(id.index)))
        let result = builder.select(before, .node(id), alternative)
        seenNow[id] = result
        return result
    }

    /// Writes node `id`'s alternative when one of its inputs has one: the
    /// same op on the inputs as the alternative path sees them (a draw from
    /// the same stream: the particle's own numbers).
    func follow(_ id: NodeID) throws {
        let node = builder.graph[id]
        guard node.op.inputs.contains(where: { alternatives[$0] != nil }) else { return }
        var inLoop = node.loop != nil
        if case .loopExit = node.op { inLoop = true }
        if inLoop {
            throw DerivativeProgramError(message: "stochastic triples do not run through loops of random length yet", node: id)
        }
        let op = node.op.mappingInputs { builder.node(seen($0)) }
        let copy = builder.graph.appendCopy(of: node, op: op, stream: node.op.isSampler ? node.stream : nil)
        builder.note(copy)
        alternatives[id] = .node(copy)
    }

    /// The draw `id`'s flips: each a candidate alternative path, which the
    /// particle takes with probability its rate over the total so far.
    func flip(_ id: NodeID, _ flips: [(rate: ProgramScalar.Part, to: ProgramScalar.Part)]) {
        var alternative = alternatives[id] ?? .node(id)
        for (index, candidate) in flips.enumerated() {
            let total = builder.binary(.add, weight, candidate.rate)
            guard let coin = builder.choiceCoin(for: id, candidate: index) else { return }
            let takes = builder.binary(.less, builder.binary(.multiply, coin, total), candidate.rate)
            alternative = builder.select(takes, candidate.to, alternative)
            held = builder.select(takes, .number(Double(id.index)), held)
            weight = total
        }
        alternatives[id] = alternative
        lastFlip = id
        seenNow = [:]
    }

    /// W · (root on the alternative path − root), or nil where no flip reaches it.
    func jump(_ root: NodeID) -> ProgramScalar.Part? {
        guard alternatives[root] != nil else { return nil }
        return builder.binary(.multiply, weight, builder.binary(.subtract, seen(root), .node(root)))
    }

}

extension ProgramBuilder {
    /// The flips of draw `id` as its parameters move by `moves`: each an
    /// alternative outcome and its rate, as programs; nil for a
    /// distribution without flips. The rates are those of the draw by
    /// inversion (its outcomes in order): a boundary between two outcomes
    /// that moves carries the particles next to it across, at the speed
    /// of the boundary over the probability of the outcome left.
    /// - bernoulli(q), b = [u < q]: from 0 to 1 at dq / (1 − q), from 1 to
    ///   0 at −dq / q, where positive: dq / ((1 − b) − q) (a drawn 1 has
    ///   q > 0, a drawn 0 has q < 1).
    /// - poisson(λ), k: up to k + 1 at dλ (a Poisson(λ + ε) is k plus a
    ///   Poisson(ε) count), down to k − 1 at −dλ · k / λ (each of the k
    ///   thinned with probability −ε/λ), where positive.
    /// - categorical(p₀ … p_{K−1}), k, with Cⱼ = (p₀ + … + pⱼ) / Σp: up to
    ///   k + 1 at −dC_k / π_k, down to k − 1 at dC_{k−1} / π_k, where
    ///   positive (C_{K−1} = 1 does not move; there is no C₋₁).
    func tripleFlips(of id: NodeID, _ distribution: any Distribution, parameters: [NodeID],
                     moves: [ProgramScalar.Part]) -> [(rate: ProgramScalar.Part, to: ProgramScalar.Part)]? {
        let b = self
        let zero = ProgramScalar.Part.number(0)
        func positive(_ x: ProgramScalar.Part) -> ProgramScalar.Part { b.binary(.max, x, zero) }
        func negated(_ x: ProgramScalar.Part) -> ProgramScalar.Part { b.binary(.subtract, zero, x) }
        let value = ProgramScalar.Part.node(id)
        switch distribution.name {
        case "bernoulli":
            guard let q = parameters.first, let dq = moves.first else { return nil }
            // dq / ((1 − b) − q): dq / (1 − q) from 0, −dq / q from 1.
            let other = b.binary(.subtract, .number(1), value)
            return [(positive(b.binary(.divide, dq, b.binary(.subtract, other, .node(q)))), other)]
        case "poisson":
            guard let rate = parameters.first, let moved = moves.first else { return nil }
            let down = b.binary(.divide, b.binary(.multiply, positive(negated(moved)), value), .node(rate))
            return [(positive(moved), b.binary(.add, value, .number(1))),
                    (down, b.binary(.subtract, value, .number(1)))]
        case "categorical":
            let count = parameters.count
            guard count >= 2, moves.count == count else { return nil }
            var total = ProgramScalar.Part.number(0), slope = ProgramScalar.Part.number(0)
            var sums: [ProgramScalar.Part] = [], slopes: [ProgramScalar.Part] = []
            for (p, dp) in zip(parameters, moves) {
                total = b.binary(.add, total, .node(p))
                slope = b.binary(.add, slope, dp)
                sums.append(total)
                slopes.append(slope)
            }
            // dCⱼ = (d(p₀ + … + pⱼ) − Cⱼ · dΣp) / Σp; the last is 0.
            var boundaries: [ProgramScalar.Part] = (0..<(count - 1)).map { j in
                let share = b.binary(.divide, sums[j], total)
                return b.binary(.divide, b.binary(.subtract, slopes[j], b.binary(.multiply, share, slope)), total)
            }
            boundaries.append(zero)
            let probability = b.binary(.divide, b.pick(id, parameters.map { .node($0) }), total)
            let above = b.pick(id, boundaries)
            let below = b.select(b.binary(.greaterEqual, value, .number(1)),
                                 b.pick(b.node(b.binary(.max, b.binary(.subtract, value, .number(1)), zero)), boundaries), zero)
            return [(b.binary(.divide, positive(negated(above)), probability), b.binary(.add, value, .number(1))),
                    (b.binary(.divide, positive(below), probability), b.binary(.subtract, value, .number(1)))]
        default:
            return nil
        }
    }

    /// The number that decides whether the particle takes draw `id`'s
    /// flip `candidate`: a uniform on a stream of its own, derived from the
    /// draw's, in the draw's loop iteration (and, past a repeating loop's
    /// template, derived from the draw's stream in each iteration).
    func choiceCoin(for id: NodeID, candidate: Int) -> ProgramScalar.Part? {
        guard let uniform = DistributionRegistry.id(named: "uniform") else { return nil }
        let node = graph[id]
        let zero = self.node(.number(0)), one = self.node(.number(1))
        let world = ProgramBuilder.choiceWorld + UInt64(candidate)
        let stream = DrawAddresses.derived(node.stream, world: world)
        let coin = graph.appendCopy(of: node, op: .random(uniform, [zero, one]), stream: stream, loop: node.loop)
        note(coin)
        if let tag = node.loop, let address = graph.loops[Int(tag.loop)].repetition?.streams[node.stream] {
            graph.loops[Int(tag.loop)].repetition?.streams[stream] = address.derived(world: world)
        }
        return .node(coin)
    }

    /// The sub-address of a draw's stream that its flip's choice draws from
    /// (no estimator's worlds use it: they count from 1).
    static let choiceWorld: UInt64 = 0x7472_6970_6C65
}
