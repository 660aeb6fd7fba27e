// DrawFolding.swift — parameters where users write them. Quants write
// `ST = S0 * exp(m + s * z)` with `z = normal(0, 1)`: the parameters sit
// outside the draw, so when ST meets a jump (a digital's `ST > K`, the kink
// of a call's pathwise delta) no draw's estimator can account for the jump
// and the derivative would be biased. A normal moved by an invertible map
// is another normal, and a positive scale of exp(normal) a shift of its mean
// in log space, so the map can be folded into the draw:
//   a + b·z           →  w = normal(a + b·μ, |b|·σ)
//   P · exp(a + b·z)  →  exp(w), w = normal(log P + a + b·μ, |b|·σ)
// where z = normal(μ, σ), a and b are anything z does not reach (sums,
// differences, products, quotients and negations of it, in any order), and
// P is positive where the parameters are. w draws z's random numbers, so
// the values are those of the program (up to rounding, and the sign of the
// noise where b < 0, which leaves the law unchanged: z has no other use).
// The fold applies only when z is used by nothing else; the objective is
// copied from the folded value down with the new value substituted.

import WiggleCore
import WiggleDistributions

/// An objective with its draws' maps folded into them.
public struct DrawFolding: Sendable {
    /// The folded objective: the same expectation.
    public var root: NodeID
    /// Per fold: the original draw, the draw that replaces it, and the map, in words.
    public var folds: [(draw: NodeID, folded: NodeID, map: String)]
    /// Each node made, with the original node it was made for.
    public var madeFor: [(node: NodeID, source: NodeID)]
}

extension DrawFolding {
    /// Folds every normal draw of `root`'s ancestry that reaches the rest of
    /// the program only through an affine map moved by a parameter (or a
    /// positive scale of its exp), or nil when there is none. Outside loops
    /// of random length only.
    public static func fold(_ root: NodeID, in graph: inout Graph) -> DrawFolding? {
        var root = root
        var folds: [(draw: NodeID, folded: NodeID, map: String)] = []
        var madeFor: [(node: NodeID, source: NodeID)] = []
        var tried = Set<NodeID>()
        while let next = foldOne(root, skipping: &tried, in: &graph) {
            root = next.root
            folds.append((next.draw, next.folded, next.map))
            madeFor += next.madeFor
        }
        return folds.isEmpty ? nil : DrawFolding(root: root, folds: folds, madeFor: madeFor)
    }

    private static func foldOne(_ root: NodeID, skipping tried: inout Set<NodeID>, in graph: inout Graph)
        -> (root: NodeID, draw: NodeID, folded: NodeID, map: String, madeFor: [(node: NodeID, source: NodeID)])? {
        let ancestry = graph.ancestors(of: [root])
        if ancestry.contains(where: { graph[$0].loop != nil }) { return nil }
        var consumers: [NodeID: [NodeID]] = [:]
        for id in ancestry {
            for input in graph[id].op.inputs where !(consumers[input]?.contains(id) ?? false) { consumers[input, default: []].append(id) }
        }
        for z in ancestry where !tried.contains(z) {
            guard case .random(let distribution, let parameters) = graph[z].op, distribution == .normal else { continue }
            tried.insert(z)
            let builder = ProgramBuilder(graph: graph)
            builder.site = graph[z].site
            builder.source = z
            // Walk the one consumer at a time: value = offset + slope · z.
            var offset = ProgramScalar.Part.number(0), slope = ProgramScalar.Part.number(1)
            var current = z
            var scale: NodeID?
            var map = FoldedMap.identity
            walk: while current != root, let users = consumers[current], users.count == 1 {
                let user = users[0]
                switch graph[user].op {
                case .binary(.add, let a, let b) where a != b:
                    offset = builder.binary(.add, offset, builder.simplified(.node(a == current ? b : a)))
                case .binary(.subtract, let a, let b) where a == current && b != current:
                    offset = builder.binary(.subtract, offset, builder.simplified(.node(b)))
                case .binary(.subtract, let a, let b) where b == current && a != current:
                    offset = builder.binary(.subtract, builder.simplified(.node(a)), offset)
                    slope = builder.unary(.negate, slope)
                case .binary(.multiply, let a, let b) where a != b:
                    let factor = builder.simplified(.node(a == current ? b : a))
                    offset = builder.binary(.multiply, offset, factor)
                    slope = builder.binary(.multiply, slope, factor)
                case .binary(.divide, let a, let b) where a == current && b != current:
                    offset = builder.binary(.divide, offset, builder.simplified(.node(b)))
                    slope = builder.binary(.divide, slope, builder.simplified(.node(b)))
                case .unary(.negate, _):
                    offset = builder.unary(.negate, offset)
                    slope = builder.unary(.negate, slope)
                case .unary(.exp, _):
                    current = user
                    map = .exponential
                    // A positive scale of the exp, if it has one.
                    if user != root, let scaling = consumers[user], scaling.count == 1,
                       case .binary(.multiply, let a, let b) = graph[scaling[0]].op, a != b {
                        let factor = a == user ? b : a
                        if let value = graph.evaluate(factor), value > 0 {
                            scale = factor
                            current = scaling[0]
                            map = .scaledExponential
                        }
                    }
                    break walk
                default:
                    break walk
                }
                current = user
                map = .affine
            }
            // Worth folding only when a parameter moves the map (and z no longer needs it).
            guard current != z else { continue }
            let moved = [offset, slope].contains { part in
                if case .node(let id) = part { return builder.graph[id].dependsOnParameter }
                return false
            } || scale.map { graph[$0].dependsOnParameter } ?? false
            guard moved else { continue }
            if case .number(let b) = slope, b == 0 { continue }
            // w = normal(offset + slope·μ (+ log P), |slope|·σ), drawing z's numbers.
            var mean = builder.binary(.add, offset, builder.binary(.multiply, slope, builder.simplified(.node(parameters[0]))))
            if let scale { mean = builder.binary(.add, builder.unary(.log, .node(scale)), mean) }
            // |slope|, by its sign where the parameters are when it is not
            // random (a comparison there would look like a jump).
            var size = builder.unary(.abs, slope)
            if case .node(let id) = slope, let value = builder.graph.evaluate(id), value != 0 {
                size = value > 0 ? slope : builder.unary(.negate, slope)
            }
            let sd = builder.binary(.multiply, size, builder.simplified(.node(parameters[1])))
            let w = builder.graph.appendCopy(of: builder.graph[z], op: .random(.normal, [builder.node(mean), builder.node(sd)]))
            builder.note(w)
            tried.insert(w)
            var replaced: [NodeID: NodeID] = [current: map == .affine ? w : builder.node(builder.unary(.exp, .node(w)))]
            // Copy what lies between the folded value and the objective.
            for id in ancestry where id > current {
                let node = builder.graph[id]
                guard node.op.inputs.contains(where: { replaced[$0] != nil }) else { continue }
                builder.source = id
                let copy = builder.graph.appendCopy(of: node, op: node.op.mappingInputs { replaced[$0] ?? $0 })
                builder.note(copy)
                replaced[id] = copy
            }
            graph = builder.graph
            return (replaced[root] ?? root, z, w, map.rawValue, builder.madeFor)
        }
        return nil
    }
}

/// What a folded draw's value was a map of: z itself (not yet walked), a + b·z,
/// exp(a + b·z), or a positive scale of that; in words, for reasons.
enum FoldedMap: String {
    case identity = "z"
    case affine = "a + b·z"
    case exponential = "exp(a + b·z)"
    case scaledExponential = "P · exp(a + b·z)"
}
