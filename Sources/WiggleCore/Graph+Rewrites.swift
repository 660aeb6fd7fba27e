// Graph+Rewrites.swift — patterns the tracer asks the graph about while it
// builds: an operation that would give back one of its operands bit for bit
// (x·1, x − 0), and a list of nodes that are all a + b·cᵢ (a regression's
// means, whose likelihood then reduces to a few sums).

extension Graph {
    /// The operand that `a op b` equals bit for bit, for every value it can
    /// take (nan, ±0 and ±inf included), when the other is a constant that
    /// leaves it alone: x·1, 1·x, x/1, x^1, x − (+0), x + (−0), (−0) + x. A
    /// log-density with sigma = 1 is then one node shorter per datum.
    public func identityOperand(_ function: BinaryFunction, _ a: NodeID, _ b: NodeID) -> NodeID? {
        func constant(_ id: NodeID, _ bits: UInt64) -> Bool {
            if case .constant(let value) = self[id].op { return value.bitPattern == bits }
            return false
        }
        let one = (1.0).bitPattern, zero = (0.0).bitPattern, minusZero = (-0.0).bitPattern
        switch function {
        case .multiply: return constant(b, one) ? a : constant(a, one) ? b : nil
        case .divide, .power: return constant(b, one) ? a : nil
        case .subtract: return constant(b, zero) ? a : nil
        case .add: return constant(b, minusZero) ? a : constant(a, minusZero) ? b : nil
        default: return nil
        }
    }

    /// Whether a node's value is 0 or 1 in every particle: a comparison, or
    /// `and` / `or` of such (a product, a max), looked through a few levels.
    /// Its truth is itself, so a condition needs no `!= 0` node.
    public func isTruthValue(_ id: NodeID, depth: Int = 4) -> Bool {
        guard case .binary(let function, let a, let b) = self[id].op else { return false }
        switch function {
        case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return true
        case .multiply, .max: return depth > 0 && isTruthValue(a, depth: depth - 1) && isTruthValue(b, depth: depth - 1)
        default: return false
        }
    }

    /// Nodes that are all `a + b·cᵢ` for the same nodes a and b and numbers
    /// cᵢ (in either order of the sum or the product; `b·1` is b itself).
    public func affineMeans(_ means: [NodeID?]) -> (a: NodeID, b: NodeID, cs: [Double])? {
        func decompositions(_ value: NodeID?) -> [(a: NodeID, b: NodeID, c: Double)] {
            guard let id = value, case .binary(.add, let p, let q) = self[id].op else { return [] }
            var found: [(a: NodeID, b: NodeID, c: Double)] = []
            for (fixed, varying) in [(p, q), (q, p)] {
                if case .binary(.multiply, let u, let v) = self[varying].op {
                    if case .constant(let c) = self[v].op { found.append((fixed, u, c)) }
                    if case .constant(let c) = self[u].op { found.append((fixed, v, c)) }
                }
                found.append((fixed, varying, 1))
            }
            return found
        }
        guard let first = means.first else { return nil }
        let all = means.map(decompositions)
        for candidate in decompositions(first) {
            var cs: [Double] = []
            cs.reserveCapacity(means.count)
            for options in all {
                guard let match = options.first(where: { $0.a == candidate.a && $0.b == candidate.b }) else { break }
                cs.append(match.c)
            }
            if cs.count == means.count { return (candidate.a, candidate.b, cs) }
        }
        return nil
    }
}
