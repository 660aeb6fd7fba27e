// Ancestry.swift — which random nodes each node depends on.

import WiggleCore

/// For every node of a plan's order, the set of random nodes among its
/// ancestors (itself included), as bit sets: the basis of Rao-Blackwellisation
/// (a score node's cost is the terms downstream of it) and of the exact
/// derivative (which re-runs what lies downstream of a bernoulli).
package struct RandomAncestry {
    /// The random nodes, in order; bit i stands for `randoms[i]`.
    package let randoms: [NodeID]
    /// Words per node.
    package let words: Int
    /// Bits, `words` per node, in the order given.
    private let bits: [UInt64]
    private let position: [NodeID: Int]
    private let randomIndex: [NodeID: Int]

    /// Sets bigger than this (randoms × nodes, in bits) are not built.
    package static let limit = 200_000_000

    /// Builds the sets, or returns nil when they would be too large.
    package init?(graph: Graph, order: [NodeID]) {
        let randoms = order.filter { graph[$0].op.isSampler }
        let words = (randoms.count + 63) / 64
        guard randoms.count * order.count <= RandomAncestry.limit else { return nil }
        var position: [NodeID: Int] = [:]
        for (index, id) in order.enumerated() { position[id] = index }
        var randomIndex: [NodeID: Int] = [:]
        for (index, id) in randoms.enumerated() { randomIndex[id] = index }
        var bits = [UInt64](repeating: 0, count: max(1, words * order.count))
        // A repeating loop's template also reads, in later iterations, its
        // own nodes: passes until nothing changes close that cycle.
        let wraps = graph.repetitionInputs()
        var changed = true
        while changed {
            changed = false
            for (index, id) in order.enumerated() {
                let base = index * words
                for input in graph[id].op.inputs + (wraps[id] ?? []) {
                    guard let inputIndex = position[input] else { continue }
                    let inputBase = inputIndex * words
                    for w in 0..<words where bits[inputBase + w] & ~bits[base + w] != 0 {
                        bits[base + w] |= bits[inputBase + w]
                        changed = changed || inputIndex >= index
                    }
                }
                if let r = randomIndex[id] { bits[base + r / 64] |= 1 << UInt64(r % 64) }
            }
            if wraps.isEmpty { break }
        }
        self.randoms = randoms
        self.words = words
        self.bits = bits
        self.position = position
        self.randomIndex = randomIndex
    }

    /// True when `random` is an ancestor of `node` (or is `node`).
    package func depends(_ node: NodeID, on randomIndex: Int) -> Bool {
        guard let index = position[node] else { return false }
        return depends(at: index, on: randomIndex)
    }

    /// True when `random` is an ancestor of the node at `index` of the order.
    package func depends(at index: Int, on randomIndex: Int) -> Bool {
        bits[index * words + randomIndex / 64] & (1 << UInt64(randomIndex % 64)) != 0
    }

    /// A node's position in the order.
    package func position(of node: NodeID) -> Int? { position[node] }

    /// The bit index of a random node.
    package func index(of random: NodeID) -> Int? { randomIndex[random] }
}
