// Workspace+Reverse.swift — the reverse sweep over a chunk: micrograd's
// "seed, walk in reverse, accumulate with +=", one instruction at a time,
// each calling the same rule the forward pass used.

import WiggleCore
import WiggleDistributions

extension Workspace {
    /// The reverse sweep: seeds the objective's adjoint with 1, adds every
    /// score-function and enumeration term, and accumulates adjoints down to
    /// the parameters. A lane whose adjoint into an instruction is exactly 0
    /// passes nothing back, whatever the local derivative (a branch not taken).
    /// When nodes are split by term, one sweep per group of terms instead,
    /// each seeding its terms, with the parameters' adjoints added up.
    /// With `locate`, checks the adjoints after every instruction and returns
    /// the first node whose local derivative made one infinite or undefined.
    @discardableResult
    func reverse(lanes m: Int, locate: Bool = false) -> NodeID? {
        let C = chunkSize
        guard !sweeps.isEmpty else {
            if adjointsClean {
                for slot in leftoverAdjointSlots { (adjoints + Int(slot) * C).update(repeating: 0, count: C) }
            } else {
                zeroAdjoints(lanes: C)
            }
            if rootCarries {
                (adjoints + Int(outputSlots[0]) * C).update(repeating: 1, count: m)
            }
            let clean = cleansAdjoints && !locate
            let broken = walk(UnsafeBufferPointer(backward), lanes: m, locate: locate, values: values, adjoints: adjoints,
                              carries: carriesSlot, weights: weights, clean: clean)
            adjointsClean = clean && broken == nil
            return broken
        }
        adjointsClean = false
        for index in 0..<gradientSlots.count {
            (gradientSums + index * C).update(repeating: 0, count: m)
        }
        for sweep in sweeps {
            zeroAdjoints(lanes: m)
            seed(sweep.terms, lanes: m)
            if let broken = walk(UnsafeBufferPointer(sweep.backward), lanes: m, locate: locate, values: values,
                                 adjoints: adjoints, carries: carriesSlot, weights: weights) { return broken }
            for index in 0..<gradientSlots.count where gradientSlots[index] >= 0 {
                let g = adjoints + Int(gradientSlots[index]) * C
                let sum = gradientSums + index * C
                for l in 0..<m { sum[l] += g[l] }
            }
        }
        for index in 0..<gradientSlots.count where gradientSlots[index] >= 0 {
            (adjoints + Int(gradientSlots[index]) * C).update(from: gradientSums + index * C, count: m)
        }
        return nil
    }

    func zeroAdjoints(lanes m: Int) {
        for slot in adjointSlots {
            (adjoints + Int(slot) * chunkSize).update(repeating: 0, count: m)
        }
    }

    /// Seeds the adjoints of some terms of the objective: `sign · k` into
    /// each term and `sign · term` into its multiplier k (where they carry one).
    func seed(_ terms: [CostTerm], lanes m: Int) {
        let C = chunkSize
        for term in terms {
            let slot = Int(term.slot), multiplier = Int(term.multiplier)
            let sign = term.sign
            if carriesSlot[slot] {
                let g = adjoints + slot * C
                if multiplier >= 0 {
                    let k = values + multiplier * C
                    for l in 0..<m { g[l] += sign * k[l] }
                } else {
                    for l in 0..<m { g[l] += sign }
                }
            }
            if multiplier >= 0 && carriesSlot[multiplier] {
                let g = adjoints + multiplier * C
                let t = values + slot * C
                for l in 0..<m { g[l] += sign * t[l] }
            }
        }
    }

    /// Walks instructions in reverse order, adding to the adjoints of their
    /// inputs: in the main buffers, or in a loop iteration's block (with its
    /// slots' carry flags and its lanes' score-function weights).
    func walk(_ backward: UnsafeBufferPointer<Instruction>, lanes m: Int, locate: Bool,
              values v: UnsafeMutablePointer<Double>, adjoints adj: UnsafeMutablePointer<Double>,
              carries carriesSlot: UnsafeMutablePointer<Bool>, weights: UnsafeMutablePointer<Double>,
              stride: Int? = nil, clean: Bool = false,
              pickSums: (rows: UnsafeMutablePointer<Int32>, sums: UnsafeMutablePointer<Double>,
                         lanes: UnsafeMutablePointer<Int32>)? = nil) -> NodeID? {
        let C = stride ?? chunkSize
        for instruction in backward {
            let o = v + Int(instruction.out) * C
            let g = adj + Int(instruction.out) * C
            let a = v + Int(Swift.max(instruction.a, 0)) * C
            let b = v + Int(Swift.max(instruction.b, 0)) * C
            let ga = adj + Int(Swift.max(instruction.a, 0)) * C
            let gb = adj + Int(Swift.max(instruction.b, 0)) * C
            let toA = instruction.aCarries, toB = instruction.bCarries
            switch instruction.code {
            case .unary(let function):
                if !VectorMath.backward(function, adjoint: g, a: a, out: o, toA: ga, lanes: m, scratch: vectorScratch) {
                    function.withRule(BackwardUnary(adjoint: g, a: a, out: o, toA: ga, lanes: m))
                }
            case .square:
                if !VectorMath.squareBackward(adjoint: g, a: a, toA: ga, lanes: m) {
                    BackwardUnary(adjoint: g, a: a, out: o, toA: ga, lanes: m).visit(BinaryRules.Square.self)
                }
            case .binary(let function):
                if !VectorMath.backward(function, adjoint: g, a: a, b: b, out: o, toA: toA ? ga : nil,
                                        toB: toB ? gb : nil, lanes: m) {
                    function.withRule(BackwardBinary(adjoint: g, a: a, b: b, out: o, toA: toA ? ga : nil,
                                                     toB: toB ? gb : nil, lanes: m, uniform: instruction.isUniform))
                }
            case .select:
                let c = v + Int(instruction.c) * C
                if !VectorMath.selectBackward(c, adjoint: g, toA: toA ? ga : nil, toB: toB ? gb : nil, lanes: m) {
                    for l in 0..<m {
                        if c[l] != 0 { if toA { ga[l] += g[l] } } else if toB { gb[l] += g[l] }
                    }
                }
            case .pick:
                // The adjoint goes to the element each particle picked (if it carries one).
                let table = pickTables[Int(instruction.table)]
                if let direct = pickSums {
                    // A score-summing loop's import: straight to its sum (LoopWork.Iteration.pickSums).
                    let sumStride = chunkSize
                    for l in 0..<m {
                        guard let k = Graph.resolveIndex(a[l], count: table.count) else { continue }
                        let slot = Int(table[k])
                        let row = Int(direct.rows[slot])
                        if row >= 0 {
                            direct.sums[row * sumStride + Int(direct.lanes[l])] += g[l]
                        } else if carriesSlot[slot] {
                            adj[slot * C + l] += g[l]
                        }
                    }
                } else {
                    for l in 0..<m {
                        guard let k = Graph.resolveIndex(a[l], count: table.count) else { continue }
                        let slot = Int(table[k])
                        if carriesSlot[slot] { adj[slot * C + l] += g[l] }
                    }
                }
            case .loopExit:
                if toA { for l in 0..<m { ga[l] += g[l] } }
            case .loop:
                if let broken = reverseLoop(Int(instruction.table), lanes: m, locate: locate) { return broken }
                continue
            case .random:
                let call = randomCall(instruction, base: v, adjoints: adj, lanes: m, stride: C)
                let index = Int(instruction.table)
                switch instruction.estimator {
                case .pathwise:
                    calls[index].distribution.addPathwise(call, adjoint: g)
                case .score:
                    let group = calls[index].weightGroup
                    if !antithetic, !quasi, let fused = fusedScores[index] {
                        // One term of its own: baseline and score in one pass.
                        let term = groupTerms[group][0]
                        let cost = v + Int(term.slot) * C
                        let total = term.sign * Moments.sum(cost, count: m)
                        let inverse = usesBaseline && m > 1 ? 1 / Double(m - 1) : 0
                        fused.addScore(call, cost: cost, sign: term.sign, total: total, inverse: inverse)
                    } else if calls[index].mask >= 0 {
                        // Only the particles that ran the draw's iteration made it.
                        let weight = weights + group * C, mask = v + calls[index].mask * C
                        for l in 0..<m { vectorScratch[l] = weight[l] * mask[l] }
                        calls[index].distribution.addScore(call, weights: vectorScratch)
                    } else {
                        calls[index].distribution.addScore(call, weights: weights + group * C)
                    }
                case .exact:
                    calls[index].distribution.addEnumeration(call, costs: outcomeCosts + calls[index].costRow * C, stride: C)
                default:
                    // An estimator that re-ran worlds combines their costs.
                    let costs = outcomeCosts + calls[index].costRow * C
                    calls[index].worldsRule?.addGradient(calls[index].distribution, call, costs: costs,
                                                         sampled: costs + calls[index].worlds * C, stride: C)
                }
            }
            if locate, let broken = firstNonFiniteInput(of: instruction, lanes: m, adjoints: adj, stride: C) { return broken }
            // Its adjoint is complete and used: zero it while it is in cache.
            if clean { g.update(repeating: 0, count: m) }
        }
        return nil
    }

    /// The instruction's node, when one of the adjoints it writes to is not
    /// finite in some lane.
    func firstNonFiniteInput(of instruction: Instruction, lanes m: Int, adjoints: UnsafeMutablePointer<Double>,
                             stride: Int) -> NodeID? {
        var written: [Int32] = []
        if instruction.code == .random {
            let index = Int(instruction.table)
            for i in 0..<calls[index].parameterCount where calls[index].carries[i] { written.append(calls[index].slots[i]) }
        } else {
            if instruction.aCarries && instruction.a >= 0 { written.append(instruction.a) }
            if instruction.bCarries && instruction.b >= 0 { written.append(instruction.b) }
        }
        for slot in written {
            let g = adjoints + Int(slot) * stride
            for l in 0..<m where !g[l].isFinite { return instruction.node }
        }
        return nil
    }
}

/// `a̅ += g · f′(a)` over the lanes, skipping lanes whose adjoint g is 0.
struct BackwardUnary: UnaryRuleVisitor {
    let adjoint: UnsafeMutablePointer<Double>
    let a: UnsafeMutablePointer<Double>
    let out: UnsafeMutablePointer<Double>
    let toA: UnsafeMutablePointer<Double>
    let lanes: Int

    @inline(__always)
    func visit<Rule: UnaryRule>(_ rule: Rule.Type) {
        for l in 0..<lanes {
            // Computed in every lane and then selected: no branch, so the loop vectorises.
            let g = adjoint[l]
            let d = Rule.backward(g, a[l], out[l])
            toA[l] += g != 0 ? d : 0
        }
    }
}

/// `a̅ += g · ∂f/∂a`, `b̅ += g · ∂f/∂b` over the lanes (for the inputs that
/// carry a derivative), skipping lanes whose adjoint g is 0.
struct BackwardBinary: BinaryRuleVisitor {
    let adjoint: UnsafeMutablePointer<Double>
    let a: UnsafeMutablePointer<Double>
    let b: UnsafeMutablePointer<Double>
    let out: UnsafeMutablePointer<Double>
    let toA: UnsafeMutablePointer<Double>?
    let toB: UnsafeMutablePointer<Double>?
    let lanes: Int
    /// True when a, b and the output are the same in every lane.
    var uniform = false

    @inline(__always)
    func visit<Rule: BinaryRule>(_ rule: Rule.Type) {
        if uniform && Rule.scalesAdjoint && lanes > 0 {
            // The partials once (a power's pow and log), then g times them: the same bits.
            let (da, db) = Rule.backward(1, a[0], b[0], out[0])
            if let ga = toA { for l in 0..<lanes { let g = adjoint[l]; ga[l] += g != 0 ? g * da : 0 } }
            if let gb = toB { for l in 0..<lanes { let g = adjoint[l]; gb[l] += g != 0 ? g * db : 0 } }
            return
        }
        // One loop per input (as micrograd adds to each child in turn): a
        // loop writing one row vectorises; when a and b are one slot (x * x)
        // the two adds still happen in order.
        if let ga = toA {
            for l in 0..<lanes {
                let g = adjoint[l]
                let d = Rule.backward(g, a[l], b[l], out[l]).0
                ga[l] += g != 0 ? d : 0
            }
        }
        if let gb = toB {
            for l in 0..<lanes {
                let g = adjoint[l]
                let d = Rule.backward(g, a[l], b[l], out[l]).1
                gb[l] += g != 0 ? d : 0
            }
        }
    }
}
