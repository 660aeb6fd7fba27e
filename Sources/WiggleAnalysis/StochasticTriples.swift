// StochasticTriples.swift — the derivative through Bernoulli draws as one
// program over each particle: its own path, its smooth tangent, and at most
// one alternative path (stochastic triples with pruning, after Arya,
// Schauer, Schäfer and Rackauckas, "Automatic differentiation of programs
// with discrete randomness", NeurIPS 2022). DerivativeProgram.build uses it
// for the draws whose estimator is `@triple`.
//
// A Bernoulli draw b = [u < q] whose q moves with the direction by dq flips
// as q moves: with dq > 0, a particle that drew 0 goes to 1 at the rate
// dq / (1 − q); with dq < 0, one that drew 1 goes to 0 at the rate −dq / q.
// Each such flip is a candidate alternative path with that weight. A
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
    private(set) var weight = ProgramScalar.Part.number(0)
    /// `seen` of each node since the last flip.
    private var seenNow: [NodeID: ProgramScalar.Part] = [:]

    init(builder: ProgramBuilder) {
        self.builder = builder
    }

    /// The node `id` as the alternative path sees it now.
    func seen(_ id: NodeID) -> ProgramScalar.Part {
        guard let alternative = alternatives[id] else { return .node(id) }
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

    /// The Bernoulli draw `id` of probability `q`, whose tangent is `dq`: a
    /// candidate flip, which the particle takes with probability its
    /// weight over the total.
    func flip(_ id: NodeID, probability q: NodeID, tangent dq: ProgramScalar.Part) {
        let node = builder.graph[id]
        guard case .random = node.op, let uniform = DistributionRegistry.id(named: "uniform") else { return }
        // The rate of the flip: from 1 at −dq / q, from 0 at dq / (1 − q),
        // where positive. (The branch not taken may divide by 0: a drawn 1
        // has q > 0, a drawn 0 has q < 1.)
        let fromOne = builder.binary(.divide, builder.binary(.subtract, .number(0), dq), .node(q))
        let fromZero = builder.binary(.divide, dq, builder.binary(.subtract, .number(1), .node(q)))
        let candidate = builder.binary(.max, builder.select(.node(id), fromOne, fromZero), .number(0))
        let total = builder.binary(.add, weight, candidate)
        // The choice's own number: a stream of its own, derived from the draw's.
        let zero = builder.node(.number(0)), one = builder.node(.number(1))
        let coin = builder.graph.appendCopy(of: node, op: .random(uniform, [zero, one]),
                                            stream: DrawAddresses.derived(node.stream, world: AlternativePath.choiceWorld))
        builder.note(coin)
        let takes = builder.binary(.less, builder.binary(.multiply, .node(coin), total), candidate)
        let flipped = builder.binary(.subtract, .number(1), .node(id))
        alternatives[id] = builder.select(takes, flipped, alternatives[id] ?? .node(id))
        held = builder.select(takes, .number(Double(id.index)), held)
        weight = total
        seenNow = [:]
    }

    /// W · (root on the alternative path − root), or nil where no flip reaches it.
    func jump(_ root: NodeID) -> ProgramScalar.Part? {
        guard alternatives[root] != nil else { return nil }
        return builder.binary(.multiply, weight, builder.binary(.subtract, seen(root), .node(root)))
    }

    /// The sub-address of a draw's stream that its flip's choice draws from
    /// (no estimator's worlds use it: they count from 1).
    static let choiceWorld: UInt64 = 0x7472_6970_6C65
}
