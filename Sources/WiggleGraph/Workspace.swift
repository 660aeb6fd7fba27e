// Workspace.swift — one thread's buffers and the hot loops over a chunk.
//
// Values live slot-major: slot s of lane l is at values[s * chunkSize + l],
// so every instruction is a plain loop over contiguous doubles that the
// compiler can vectorise. Each instruction switches once per chunk, not once
// per particle; the reverse sweep walks the same instructions backwards and
// accumulates adjoints with `+=` (micrograd's rule, one chunk at a time).

import Foundation

/// One worker's buffers for a plan.
///
/// @unchecked Sendable: a workspace is handed to exactly one worker thread
/// per run and touched by no other thread during it.
final class Workspace: @unchecked Sendable {
    let plan: Plan
    let chunkSize: Int
    let values: UnsafeMutablePointer<Double>
    let adjoints: UnsafeMutablePointer<Double>
    /// Per weight group and lane: the score-function weight (the group's cost
    /// minus its leave-one-out baseline).
    let weights: UnsafeMutablePointer<Double>
    /// Per exact bernoulli and lane: cost with the node at 1 minus cost at 0.
    let differences: UnsafeMutablePointer<Double>
    /// A copy of the values for the exact derivative's counterfactual runs.
    let scratch: UnsafeMutablePointer<Double>
    /// Per exact bernoulli: the instructions downstream of it.
    let exactDownstream: [UnsafeMutableBufferPointer<Instruction>]
    /// A lane-sized buffer for sums of terms.
    let lane: UnsafeMutablePointer<Double>
    /// This worker's own copies of the plan's weight groups and exact work.
    let groupTerms: [[CostTerm]]
    /// This worker's copy of the pick tables, and which slots carry a derivative.
    let pickTables: [[Int32]]
    let carriesSlot: [Bool]
    let exactTerms: [[CostTerm]]
    let exactNodes: [Instruction]
    // The plan's arrays, copied into this worker's own memory: iterating a
    // shared Swift array retains and releases it, and those atomic counts on
    // one cache line would make the threads wait on each other.
    let perParticle: UnsafeMutableBufferPointer<Instruction>
    let backward: UnsafeMutableBufferPointer<Instruction>
    let outputSlots: UnsafeMutableBufferPointer<Int32>
    let gradientSlots: UnsafeMutableBufferPointer<Int32>
    let adjointSlots: UnsafeMutableBufferPointer<Int32>
    let rootCarries: Bool
    let hasScoreNodes: Bool
    let usesBaseline: Bool
    let slotCount: Int
    let uniform: UnsafeMutableBufferPointer<Instruction>

    init(plan: Plan, chunkSize: Int, parameterValues: [Double]) {
        self.plan = plan
        self.chunkSize = chunkSize
        let size = max(1, plan.slotCount * chunkSize)
        values = .allocate(capacity: size)
        values.initialize(repeating: 0, count: size)
        adjoints = .allocate(capacity: size)
        adjoints.initialize(repeating: 0, count: size)
        let groups = max(1, plan.weightGroups.count)
        weights = .allocate(capacity: groups * chunkSize)
        weights.initialize(repeating: 0, count: groups * chunkSize)
        differences = .allocate(capacity: max(1, plan.exactWork.count) * chunkSize)
        differences.initialize(repeating: 0, count: max(1, plan.exactWork.count) * chunkSize)
        scratch = .allocate(capacity: plan.exactWork.isEmpty ? 1 : size)
        scratch.initialize(repeating: 0, count: plan.exactWork.isEmpty ? 1 : size)
        lane = .allocate(capacity: chunkSize)
        lane.initialize(repeating: 0, count: chunkSize)
        func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, array.count))
            _ = buffer.initialize(from: array)
            return UnsafeMutableBufferPointer(rebasing: buffer[0..<array.count])
        }
        perParticle = copy(plan.perParticle)
        uniform = copy(plan.uniform)
        exactDownstream = plan.exactWork.map { work in copy(work.downstream.map { plan.perParticle[Int($0)] }) }
        groupTerms = plan.weightGroups.map { $0.map { $0 } }
        pickTables = plan.pickTables.map { $0.map { $0 } }
        var carriesSlot = [Bool](repeating: false, count: max(1, plan.slotCount))
        for slot in plan.adjointSlots { carriesSlot[Int(slot)] = true }
        self.carriesSlot = carriesSlot
        exactTerms = plan.exactWork.map { $0.terms.map { $0 } }
        exactNodes = plan.exactWork.indices.map { index in
            plan.instructions.first { $0.code == .bernoulli && $0.estimator == .exact && $0.group == Int32(index) }
                ?? plan.instructions[0]
        }
        backward = copy(plan.instructions.reversed().filter(\.needsAdjoint))
        outputSlots = copy(plan.outputs)
        gradientSlots = copy(plan.gradientSlots)
        adjointSlots = copy(plan.adjointSlots)
        hasScoreNodes = plan.hasScoreNodes
        usesBaseline = plan.usesBaseline
        slotCount = plan.slotCount
        rootCarries = plan.outputs.first.map { plan.adjointSlots.contains($0) } ?? false
        // Constants and parameters do not change during a run: fill them once.
        for (slot, value) in plan.constants {
            (values + Int(slot) * chunkSize).update(repeating: value, count: chunkSize)
        }
        refresh(parameterValues: parameterValues)
    }

    /// Refills the parameter slots and recomputes the nodes without a random
    /// ancestor (an optimiser changes the parameters between runs).
    func refresh(parameterValues: [Double]) {
        for (slot, parameter) in plan.parameters {
            (values + Int(slot) * chunkSize).update(repeating: parameterValues[parameter], count: chunkSize)
        }
        // Nodes without a random ancestor are the same in every particle:
        // compute them once, on one lane, and copy to the others.
        if !plan.uniform.isEmpty {
            var unused = Partial(plan: plan, histogramBins: 0)
            run(UnsafeBufferPointer(uniform), chunk: 0, lanes: 1, seed: 0, draw: 0, partial: &unused)
        }
        for instruction in plan.uniform {
            let row = values + Int(instruction.out) * chunkSize
            row.update(repeating: row[0], count: chunkSize)
        }
    }

    deinit {
        values.deallocate()
        adjoints.deallocate()
        weights.deallocate()
        differences.deallocate()
        scratch.deallocate()
        lane.deallocate()
        for buffer in exactDownstream { buffer.baseAddress?.deallocate() }
        for buffer in [perParticle, backward, uniform] { buffer.baseAddress?.deallocate() }
        for buffer in [outputSlots, gradientSlots, adjointSlots] { buffer.baseAddress?.deallocate() }
    }

    /// Runs one chunk forward (and backward, for a gradient) and adds its sums.
    func process(chunk: Int, lanes: Int, configuration: EngineConfiguration,
                 histogram: ClosedRange<Double>?, into partial: inout Partial) {
        forward(chunk: chunk, lanes: lanes, configuration: configuration, partial: &partial)
        var finite = true
        for index in 0..<outputSlots.count {
            let output = values + Int(outputSlots[index]) * chunkSize
            guard partial.outputs[index].add(output, count: lanes) else {
                finite = false
                locateNonFinite(lanes: lanes, partial: &partial)
                continue
            }
            if histogram != nil || configuration.collectRange {
                var low = partial.minima[index], high = partial.maxima[index]
                for l in 0..<lanes {
                    low = Swift.min(low, output[l])
                    high = Swift.max(high, output[l])
                }
                partial.minima[index] = low
                partial.maxima[index] = high
            }
            if index == 0, let histogram, !partial.histogram.isEmpty {
                let bins = partial.histogram.count
                let width = (histogram.upperBound - histogram.lowerBound) / Double(bins)
                for l in 0..<lanes {
                    // Clamp as a double first: Int() of a huge double would trap.
                    let position = width > 0 ? (output[l] - histogram.lowerBound) / width : 0
                    partial.histogram[Int(Swift.max(0, Swift.min(Double(bins - 1), position)))] += 1
                }
            }
        }
        guard finite, gradientSlots.count > 0 else { return }
        if hasScoreNodes {
            computeWeights(lanes: lanes)
            computeDifferences(chunk: chunk, lanes: lanes, configuration: configuration, partial: &partial)
        }
        reverse(lanes: lanes)
        for index in 0..<gradientSlots.count {
            let slot = gradientSlots[index]
            if slot < 0 {
                // The parameter does not reach the objective: its gradient is 0.
                partial.gradient[index].addZeros(lanes)
                continue
            }
            let g = adjoints + Int(slot) * chunkSize
            if !partial.gradient[index].add(g, count: lanes) {
                let count = (0..<lanes).filter { !g[$0].isFinite }.count
                partial.nonFiniteGradient[index, default: 0] += count
                // Sweep again, checking as it goes, to name the node where it broke.
                if let node = reverse(lanes: lanes, locate: true) {
                    partial.nonFiniteGradientNodes[node.index] = (partial.nonFiniteGradientNodes[node.index] ?? 0) + count
                }
            }
        }
    }

    /// Finds the first instruction whose output is not finite in some lane
    /// while all its inputs are, and records how many lanes.
    func locateNonFinite(lanes: Int, partial: inout Partial) {
        for instruction in [uniform, perParticle].joined() {
            let output = values + Int(instruction.out) * chunkSize
            var bad = 0
            for l in 0..<lanes where !output[l].isFinite { bad += 1 }
            if bad > 0 {
                partial.nonFinite[instruction.node.index, default: 0] += bad
                return
            }
        }
        // A constant or parameter itself (an optimiser can push one to infinity).
        if let node = plan.outputNodes.first {
            partial.nonFinite[node.index, default: 0] += lanes
        }
    }

    // MARK: Forward

    func forward(chunk: Int, lanes m: Int, configuration: EngineConfiguration, partial: inout Partial) {
        run(UnsafeBufferPointer(perParticle), chunk: chunk, lanes: m, seed: configuration.seed,
            draw: configuration.draw, partial: &partial)
    }

    /// Runs instructions forward over the first `m` lanes.
    func run(_ instructions: UnsafeBufferPointer<Instruction>, chunk: Int, lanes m: Int, seed: UInt64, draw: UInt64,
             partial: inout Partial, on base: UnsafeMutablePointer<Double>? = nil) {
        let C = chunkSize
        let v = base ?? values
        for instruction in instructions {
            let o = v + Int(instruction.out) * C
            let a = v + Int(Swift.max(instruction.a, 0)) * C
            let b = v + Int(Swift.max(instruction.b, 0)) * C
            switch instruction.code {
            case .neg: for l in 0..<m { o[l] = -a[l] }
            case .exp: for l in 0..<m { o[l] = Foundation.exp(a[l]) }
            case .log: for l in 0..<m { o[l] = Foundation.log(a[l]) }
            case .sqrt: for l in 0..<m { o[l] = a[l].squareRoot() }
            case .abs: for l in 0..<m { o[l] = Swift.abs(a[l]) }
            case .sin: for l in 0..<m { o[l] = Foundation.sin(a[l]) }
            case .cos: for l in 0..<m { o[l] = Foundation.cos(a[l]) }
            case .tanh: for l in 0..<m { o[l] = Foundation.tanh(a[l]) }
            case .sigmoid: for l in 0..<m { o[l] = UnaryFunction.sigmoid(a[l]) }
            case .softplus: for l in 0..<m { o[l] = UnaryFunction.softplus(a[l]) }
            case .floor: for l in 0..<m { o[l] = a[l].rounded(.down) }
            case .round: for l in 0..<m { o[l] = a[l].rounded(.toNearestOrAwayFromZero) }
            case .not: for l in 0..<m { o[l] = a[l] == 0 ? 1 : 0 }
            case .add: for l in 0..<m { o[l] = a[l] + b[l] }
            case .sub: for l in 0..<m { o[l] = a[l] - b[l] }
            case .mul: for l in 0..<m { o[l] = a[l] * b[l] }
            case .div: for l in 0..<m { o[l] = a[l] / b[l] }
            case .pow: for l in 0..<m { o[l] = BinaryFunction.power(a[l], b[l]) }
            case .square: for l in 0..<m { o[l] = a[l] * a[l] }
            case .min: for l in 0..<m { o[l] = Swift.min(a[l], b[l]) }
            case .max: for l in 0..<m { o[l] = Swift.max(a[l], b[l]) }
            case .lt: for l in 0..<m { o[l] = a[l] < b[l] ? 1 : 0 }
            case .le: for l in 0..<m { o[l] = a[l] <= b[l] ? 1 : 0 }
            case .gt: for l in 0..<m { o[l] = a[l] > b[l] ? 1 : 0 }
            case .ge: for l in 0..<m { o[l] = a[l] >= b[l] ? 1 : 0 }
            case .eq: for l in 0..<m { o[l] = a[l] == b[l] ? 1 : 0 }
            case .ne: for l in 0..<m { o[l] = a[l] != b[l] ? 1 : 0 }
            case .select:
                let c = v + Int(instruction.c) * C
                for l in 0..<m { o[l] = c[l] != 0 ? a[l] : b[l] }
            case .pick:
                let table = pickTables[Int(instruction.group)]
                var bad = 0
                var example = 0.0
                for l in 0..<m {
                    if let k = Graph.resolveIndex(a[l], count: table.count) {
                        o[l] = v[Int(table[k]) * C + l]
                    } else {
                        if bad == 0 { example = a[l] }
                        bad += 1
                        o[l] = .nan
                    }
                }
                if bad > 0 {
                    record(instruction, .index(count: table.count), value: example, count: bad, partial: &partial)
                }
            case .normal:
                // x = mean + sd · z, with z from this node's own stream for this chunk:
                // first the draws (a tight loop with the generator in registers),
                // then the arithmetic and the checks (plain loops that vectorise).
                var rng = Xoshiro256(seed: seed, draw: draw, chunk: UInt64(chunk), node: UInt64(instruction.node.index))
                Ziggurat.fill(o, count: m, rng: &rng)
                for l in 0..<m { o[l] = a[l] + b[l] * o[l] }
                // Fast check for the whole chunk: the smallest sd is positive and
                // (mean - mean) + (sd - sd) sums to exactly 0 when all are finite.
                var smallest = Double.infinity
                var finite = 0.0
                for l in 0..<m {
                    let sd = b[l]
                    smallest = sd < smallest ? sd : smallest
                    finite += (a[l] - a[l]) + (sd - sd)
                }
                var bad = 0
                if !(smallest > 0 && finite == 0) {
                    for l in 0..<m where !(b[l] > 0 && b[l] < .infinity && a[l].isFinite) { bad += 1 }
                }
                if bad > 0 { recordNormalFailure(instruction, base: v, lanes: m, count: bad, partial: &partial) }
            case .bernoulli:
                var rng = Xoshiro256(seed: seed, draw: draw,
                                     chunk: UInt64(chunk), node: UInt64(instruction.node.index))
                var bad = 0
                var example = 0.0
                for l in 0..<m {
                    let p = a[l]
                    if !(p >= 0 && p <= 1) {
                        if bad == 0 { example = p }
                        bad += 1
                    }
                    o[l] = rng.uniform() < p ? 1 : 0
                }
                if bad > 0 { record(instruction, .probability, value: example, count: bad, partial: &partial) }
            }
        }
    }

    func recordNormalFailure(_ instruction: Instruction, base: UnsafeMutablePointer<Double>, lanes m: Int, count: Int,
                             partial: inout Partial) {
        let a = base + Int(instruction.a) * chunkSize
        let b = base + Int(instruction.b) * chunkSize
        for l in 0..<m {
            let sd = b[l]
            if !(sd > 0 && sd < .infinity) {
                let sdCount = (0..<m).filter { !(b[$0] > 0 && b[$0] < .infinity) }.count
                record(instruction, .sigma, value: sd, count: sdCount, partial: &partial)
                return
            }
            if !a[l].isFinite {
                record(instruction, .mean, value: a[l], count: count, partial: &partial)
                return
            }
        }
    }

    func record(_ instruction: Instruction, _ kind: FailureKind, value: Double, count: Int, partial: inout Partial) {
        let key = instruction.node.index
        if let existing = partial.failures[key] {
            partial.failures[key] = (existing.count + count, existing.value, existing.what)
        } else {
            partial.failures[key] = (count, value, kind)
        }
    }

    // MARK: Score weights and exact differences

    /// The sum of a list of cost terms over the lanes, into `out`.
    func sumTerms(_ terms: [CostTerm], base: UnsafeMutablePointer<Double>, lanes m: Int,
                  into out: UnsafeMutablePointer<Double>) {
        let C = chunkSize
        out.update(repeating: 0, count: m)
        for term in terms {
            let t = base + Int(term.slot) * C
            let sign = term.sign
            if term.multiplier >= 0 {
                let k = base + Int(term.multiplier) * C
                for l in 0..<m { out[l] += sign * k[l] * t[l] }
            } else {
                for l in 0..<m { out[l] += sign * t[l] }
            }
        }
    }

    /// Each weight group's cost per lane, minus its leave-one-out baseline:
    /// the mean cost of the chunk's other particles, which does not depend on
    /// this particle's sample, so the estimator stays unbiased.
    func computeWeights(lanes m: Int) {
        for (group, terms) in groupTerms.enumerated() {
            let w = weights + group * chunkSize
            sumTerms(terms, base: values, lanes: m, into: w)
            guard usesBaseline, m > 1 else { continue }
            let total = Moments.sum(w, count: m)
            let others = Double(m - 1)
            for l in 0..<m { w[l] -= (total - w[l]) / others }
        }
    }

    /// For each exact bernoulli, the cost with the node at 1 minus the cost at
    /// 0, re-running what lies downstream with the same random numbers.
    func computeDifferences(chunk: Int, lanes m: Int, configuration: EngineConfiguration, partial: inout Partial) {
        guard !exactNodes.isEmpty else { return }
        let C = chunkSize
        // Worlds that were never sampled must not add to the failure counts;
        // anything wrong in them shows up as a non-finite gradient.
        var counterfactual = Partial(plan: plan, histogramBins: 0)
        scratch.update(from: values, count: slotCount * C)
        for (index, terms) in exactTerms.enumerated() {
            let node = exactNodes[index]
            let x = scratch + Int(node.out) * C
            let downstream = UnsafeBufferPointer(exactDownstream[index])
            let difference = differences + index * C
            x.update(repeating: 1, count: m)
            run(downstream, chunk: chunk, lanes: m, seed: configuration.seed, draw: configuration.draw,
                partial: &counterfactual, on: scratch)
            sumTerms(terms, base: scratch, lanes: m, into: difference)
            x.update(repeating: 0, count: m)
            run(downstream, chunk: chunk, lanes: m, seed: configuration.seed, draw: configuration.draw,
                partial: &counterfactual, on: scratch)
            sumTerms(terms, base: scratch, lanes: m, into: lane)
            for l in 0..<m { difference[l] -= lane[l] }
            // Put the sampled world back for the next node.
            (scratch + Int(node.out) * C).update(from: values + Int(node.out) * C, count: m)
            for instruction in downstream {
                (scratch + Int(instruction.out) * C).update(from: values + Int(instruction.out) * C, count: m)
            }
        }
    }

    // MARK: Reverse

    /// The reverse sweep: seeds the objective's adjoint with 1, adds every
    /// score-function node's term, and accumulates adjoints down to the parameters.
    /// With `locate`, checks the adjoints after every instruction and returns
    /// the first node whose local derivative made one infinite or undefined.
    @discardableResult
    func reverse(lanes m: Int, locate: Bool = false) -> NodeID? {
        let C = chunkSize
        let v = values
        let adj = adjoints
        for slot in adjointSlots {
            (adj + Int(slot) * C).update(repeating: 0, count: m)
        }
        let root = Int(outputSlots[0])
        if rootCarries {
            (adj + root * C).update(repeating: 1, count: m)
        }
        for instruction in backward {
            let o = v + Int(instruction.out) * C
            let g = adj + Int(instruction.out) * C
            let a = v + Int(Swift.max(instruction.a, 0)) * C
            let b = v + Int(Swift.max(instruction.b, 0)) * C
            let ga = adj + Int(Swift.max(instruction.a, 0)) * C
            let gb = adj + Int(Swift.max(instruction.b, 0)) * C
            let toA = instruction.aCarries, toB = instruction.bCarries
            switch instruction.code {
            case .neg: for l in 0..<m { ga[l] -= g[l] }
            case .exp: for l in 0..<m { ga[l] += g[l] * o[l] }
            case .log: for l in 0..<m where g[l] != 0 { ga[l] += g[l] / a[l] }
            case .sqrt: for l in 0..<m where g[l] != 0 { ga[l] += g[l] * 0.5 / o[l] }
            case .abs: for l in 0..<m { ga[l] += a[l] > 0 ? g[l] : (a[l] < 0 ? -g[l] : 0) }
            case .sin: for l in 0..<m where g[l] != 0 { ga[l] += g[l] * Foundation.cos(a[l]) }
            case .cos: for l in 0..<m where g[l] != 0 { ga[l] -= g[l] * Foundation.sin(a[l]) }
            case .tanh: for l in 0..<m { ga[l] += g[l] * (1 - o[l] * o[l]) }
            case .sigmoid: for l in 0..<m { ga[l] += g[l] * o[l] * (1 - o[l]) }
            case .softplus: for l in 0..<m where g[l] != 0 { ga[l] += g[l] * UnaryFunction.sigmoid(a[l]) }
            case .add:
                if toA { for l in 0..<m { ga[l] += g[l] } }
                if toB { for l in 0..<m { gb[l] += g[l] } }
            case .sub:
                if toA { for l in 0..<m { ga[l] += g[l] } }
                if toB { for l in 0..<m { gb[l] -= g[l] } }
            case .mul:
                if toA { for l in 0..<m { ga[l] += g[l] * b[l] } }
                if toB { for l in 0..<m { gb[l] += g[l] * a[l] } }
            case .div:
                if toA { for l in 0..<m where g[l] != 0 { ga[l] += g[l] / b[l] } }
                if toB { for l in 0..<m where g[l] != 0 { gb[l] -= g[l] * o[l] / b[l] } }
            case .pow:
                for l in 0..<m where g[l] != 0 {
                    let (da, db) = BinaryFunction.power.partials(a[l], b[l], result: o[l])
                    if toA { ga[l] += g[l] * da }
                    if toB { gb[l] += g[l] * db }
                }
            case .square: for l in 0..<m { ga[l] += 2 * a[l] * g[l] }
            case .min:
                for l in 0..<m {
                    if a[l] <= b[l] { if toA { ga[l] += g[l] } } else if toB { gb[l] += g[l] }
                }
            case .max:
                for l in 0..<m {
                    if a[l] >= b[l] { if toA { ga[l] += g[l] } } else if toB { gb[l] += g[l] }
                }
            case .select:
                let c = v + Int(instruction.c) * C
                for l in 0..<m {
                    if c[l] != 0 { if toA { ga[l] += g[l] } } else if toB { gb[l] += g[l] }
                }
            case .pick:
                // The adjoint goes to the element each particle picked (if it carries one).
                let table = pickTables[Int(instruction.group)]
                for l in 0..<m {
                    guard let k = Graph.resolveIndex(a[l], count: table.count) else { continue }
                    let slot = Int(table[k])
                    if carriesSlot[slot] { adj[slot * C + l] += g[l] }
                }
            case .normal:
                if instruction.estimator == .pathwise {
                    // x = mean + sd·z: dx/dmean = 1, dx/dsd = z = (x - mean) / sd.
                    if toA { for l in 0..<m { ga[l] += g[l] } }
                    if toB { for l in 0..<m { gb[l] += g[l] * (o[l] - a[l]) / b[l] } }
                } else {
                    // Score function: d log N(x; mean, sd) = z/sd dmean + (z² - 1)/sd dsd.
                    let w = weights + Int(instruction.group) * C
                    for l in 0..<m {
                        let z = (o[l] - a[l]) / b[l]
                        if toA { ga[l] += w[l] * z / b[l] }
                        if toB { gb[l] += w[l] * (z * z - 1) / b[l] }
                    }
                }
            case .bernoulli:
                guard toA else { break }
                if instruction.estimator == .exact {
                    // d E[f] / dp = f(x = 1) - f(x = 0), with everything else the same.
                    let d = differences + Int(instruction.group) * C
                    for l in 0..<m { ga[l] += d[l] }
                } else {
                    // Score function: d log p(x) / dp = 1/p for x = 1, -1/(1 - p) for x = 0.
                    let w = weights + Int(instruction.group) * C
                    for l in 0..<m { ga[l] += w[l] * (o[l] != 0 ? 1 / a[l] : -1 / (1 - a[l])) }
                }
            case .floor, .round, .not, .lt, .le, .gt, .ge, .eq, .ne:
                break
            }
            if locate {
                for (carries, slot) in [(toA, instruction.a), (toB, instruction.b)] where carries && slot >= 0 {
                    let g = adj + Int(slot) * C
                    for l in 0..<m where !g[l].isFinite { return instruction.node }
                }
            }
        }
        return nil
    }
}
