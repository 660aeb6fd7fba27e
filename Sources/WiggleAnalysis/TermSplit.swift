// TermSplit.swift — the estimator choice per additive term: a node whose
// value reaches some terms of the objective smoothly and others through a
// jump is pathwise for the first and the score function (or the
// measure-valued derivative) for the second.
//
// E[Σ_j T_j] is differentiated term by term, and each term may use its own
// estimator for each node: the gradient stays unbiased term by term. The
// smooth terms then lose the score function's noise.

import WiggleCore
import WiggleDistributions

/// One additive term of an objective: `sign · multiplier · node`.
public struct ObjectiveTerm: Sendable, Equatable {
    /// The term's value.
    public var node: NodeID
    /// A node the same in every particle that scales the term, or nil.
    public var multiplier: NodeID?
    /// +1 or -1: whether the term is added or subtracted.
    public var sign: Double
}

/// For a node that is pathwise for some terms and the score function for
/// others: the terms (their nodes) where it takes the score function.
public struct TermSplit: Sendable, Equatable {
    /// The term nodes whose value the node reaches through a jump.
    public var scoreTerms: Set<NodeID>
    /// How many terms it reaches smoothly (pathwise).
    public var pathwiseCount: Int
    /// How many terms it reaches through a jump (score function).
    public var scoreCount: Int
    /// The first jump it reaches, in words: "`>` at line 4".
    public var jump: String
    /// The estimator for the terms reached through a jump: the score
    /// function, or the measure-valued derivative.
    public var jumpEstimator: Estimator = .score
}

extension Graph {
    /// The objective split into its top-level additive terms (Schulman et
    /// al.'s cost nodes): sums and differences are opened, and so is a product
    /// with a factor that is the same in every particle.
    public func additiveTerms(of root: NodeID) -> [ObjectiveTerm] {
        var terms: [ObjectiveTerm] = []
        func visit(_ id: NodeID, sign: Double, multiplier: NodeID?) {
            let node = self[id]
            switch node.op {
            case .binary(.add, let a, let b) where node.isRandom:
                visit(a, sign: sign, multiplier: multiplier)
                visit(b, sign: sign, multiplier: multiplier)
            case .binary(.subtract, let a, let b) where node.isRandom:
                visit(a, sign: sign, multiplier: multiplier)
                visit(b, sign: -sign, multiplier: multiplier)
            case .unary(.negate, let a) where node.isRandom:
                visit(a, sign: -sign, multiplier: multiplier)
            case .binary(.multiply, let a, let k) where multiplier == nil && node.isRandom && !self[k].isRandom:
                visit(a, sign: sign, multiplier: k)
            case .binary(.multiply, let k, let a) where multiplier == nil && node.isRandom && !self[k].isRandom:
                visit(a, sign: sign, multiplier: k)
            default:
                terms.append(ObjectiveTerm(node: id, multiplier: multiplier, sign: sign))
            }
        }
        visit(root, sign: 1, multiplier: nil)
        return terms
    }
}

extension EstimatorAnalysis {
    /// Splits by term the nodes that chose the score function because their
    /// value reaches a jump, where some terms see no jump from them.
    static func splitByTerm(_ graph: Graph, root: NodeID, order: [NodeID], ancestry: RandomAncestry?,
                            reaching discontinuity: [NodeID: Jump], choices: inout [NodeID: EstimatorChoice]) {
        let candidates = order.filter { id in
            let node = graph[id]
            guard let choice = choices[id], choice.estimator == .score, node.requestedEstimator == nil,
                  node.op.distribution?.admits(.pathwise) == true else { return false }
            return discontinuity[id] != nil
        }
        // A sweep per group of terms would walk a loop of random length
        // once per group: such plans keep one sweep.
        guard !candidates.isEmpty, let ancestry,
              !order.contains(where: { graph[$0].loop != nil && graph[$0].isRandom }) else { return }
        let terms = graph.additiveTerms(of: root)
        guard terms.count > 1, let jumped = JumpTaint(graph: graph, order: order, sources: candidates) else { return }
        for (bit, id) in candidates.enumerated() {
            guard let randomBit = ancestry.index(of: id) else { continue }
            var scoreTerms: Set<NodeID> = []
            var scoreCount = 0, pathwiseCount = 0
            for term in terms where ancestry.depends(term.node, on: randomBit) {
                if jumped.reaches(term.node, from: bit) {
                    scoreTerms.insert(term.node)
                    scoreCount += 1
                } else {
                    pathwiseCount += 1
                }
            }
            guard scoreCount > 0, pathwiseCount > 0, let jump = discontinuity[id] else { continue }
            var choice = EstimatorChoice(.score, [.splitScore(pathwise: pathwiseCount, jumped: scoreCount, jump: jump.description)])
            choice.split = TermSplit(scoreTerms: scoreTerms, pathwiseCount: pathwiseCount, scoreCount: scoreCount,
                                     jump: jump.description)
            choices[id] = choice
        }
    }
}

/// For every node, which of some source nodes reach it through a jump: a
/// path from the source through deterministic smooth or continuous ops into
/// a discontinuous input, then on through anything. (A path that enters a
/// random node's parameter smoothly ends there: that node's own estimator
/// accounts for what lies beyond.)
struct JumpTaint {
    private let words: Int
    private let jumped: [UInt64]
    private let position: [NodeID: Int]

    init?(graph: Graph, order: [NodeID], sources: [NodeID]) {
        let words = (sources.count + 63) / 64
        guard sources.count * order.count * 2 <= RandomAncestry.limit else { return nil }
        var position: [NodeID: Int] = [:]
        for (index, id) in order.enumerated() { position[id] = index }
        var sourceBit: [NodeID: Int] = [:]
        for (bit, id) in sources.enumerated() { sourceBit[id] = bit }
        var smooth = [UInt64](repeating: 0, count: max(1, words * order.count))
        var jumped = smooth
        for (index, id) in order.enumerated() {
            let base = index * words
            let op = graph[id].op
            for (slot, input) in op.inputs.enumerated() {
                guard let inputIndex = position[input] else { continue }
                let inputBase = inputIndex * words
                if op.isSampler {
                    for w in 0..<words { jumped[base + w] |= jumped[inputBase + w] }
                } else if EstimatorAnalysis.discontinuousInput(op, slot) != nil {
                    for w in 0..<words { jumped[base + w] |= smooth[inputBase + w] | jumped[inputBase + w] }
                } else {
                    for w in 0..<words {
                        smooth[base + w] |= smooth[inputBase + w]
                        jumped[base + w] |= jumped[inputBase + w]
                    }
                }
            }
            if let bit = sourceBit[id] { smooth[base + bit / 64] |= 1 << UInt64(bit % 64) }
        }
        self.words = words
        self.jumped = jumped
        self.position = position
    }

    /// True when source number `bit` reaches `node` through a jump.
    func reaches(_ node: NodeID, from bit: Int) -> Bool {
        guard let index = position[node] else { return false }
        return jumped[index * words + bit / 64] & (1 << UInt64(bit % 64)) != 0
    }
}
