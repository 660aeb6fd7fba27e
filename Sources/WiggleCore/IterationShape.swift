// IterationShape.swift — what one iteration of a loop computes, node by
// node, with its inputs named by place: the check that lets a loop stop
// being traced once two iterations in a row have one shape (the tracer's,
// for loops of random length and for ranges known while tracing) and that
// pairs a repeating loop's template with the iteration before it again
// after a program was written from the loop (Graph.repetitionPairs).

/// One node of an iteration: its op with inputs by place, and what else
/// must be the same for the node of the next iteration to compute alike.
public struct IterationShape: Hashable, Sendable {
    public var op: Op
    public var isRandom: Bool
    public var estimator: Estimator?
    public var site: Site
    /// For a draw: where it is in its iteration (its iteration number
    /// counted from the iteration's own).
    public var address: RelativeAddress?
    /// The parameters that reach it (empty when not asked for).
    public var parameters: Set<Int>
}

/// Consecutive iterations of a loop, each as its nodes in the order made.
public struct LoopIterations {
    public let members: [[NodeID]]
    private var place: [NodeID: (iteration: Int, offset: Int)] = [:]

    public init(_ members: [[NodeID]]) {
        self.members = members
        for (iteration, nodes) in members.enumerated() {
            for (offset, id) in nodes.enumerated() { place[id] = (iteration, offset) }
        }
    }

    /// Which of these iterations a node is in, and where.
    public func place(of id: NodeID) -> (iteration: Int, offset: Int)? { place[id] }

    /// Iteration `k`'s shape: each input in iteration k or k − 1 by its
    /// place; nil when a node reads anything else the loop made
    /// (`madeByLoop`), when a draw has no place in its iteration
    /// (`address`), or when a value the same in every particle reads the
    /// iteration before (it is computed once per run, so it could not go on
    /// changing past a template).
    public func shape(_ k: Int, in graph: Graph, madeByLoop: (NodeID) -> Bool,
                      address: (NodeID) -> RelativeAddress?,
                      parameters: (NodeID) -> Set<Int> = { _ in [] }) -> [IterationShape]? {
        var shapes: [IterationShape] = []
        for id in members[k] {
            var fits = true
            var readsBefore = false
            let op = graph[id].op.mappingInputs { input in
                if let (v, offset) = place[input] {
                    if v == k { return NodeID(-1 - offset) }
                    if v == k - 1 {
                        readsBefore = true
                        return NodeID(-0x2000_0000 - offset)
                    }
                }
                if place[input] != nil || madeByLoop(input) { fits = false }
                return input
            }
            guard fits, graph[id].isRandom || !readsBefore else { return nil }
            var where_: RelativeAddress?
            if op.isSampler {
                guard var found = address(id) else { return nil }
                found.iteration = found.iteration &- UInt64(k)
                where_ = found
            }
            shapes.append(IterationShape(op: op, isRandom: graph[id].isRandom, estimator: graph[id].requestedEstimator,
                                         site: graph[id].site, address: where_, parameters: parameters(id)))
        }
        return shapes
    }

    /// The nodes of iteration `k − 1` that iteration `k` reads, each with
    /// its counterpart in iteration k (the node in the same place), when
    /// the two have the same shape.
    public func pairs(_ k: Int, in graph: Graph) -> [(previous: NodeID, current: NodeID)] {
        var pairs: [(previous: NodeID, current: NodeID)] = []
        var paired = Set<NodeID>()
        for id in members[k] {
            for input in graph[id].op.inputs {
                guard let (v, offset) = place[input], v == k - 1, offset < members[k].count,
                      paired.insert(input).inserted else { continue }
                pairs.append((input, members[k][offset]))
            }
        }
        return pairs
    }
}
