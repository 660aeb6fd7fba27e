// Workspace.swift — one thread's buffers for a plan, and the chunk loop.
//
// Values live slot-major: slot s of lane l is at values[s * chunkSize + l],
// so every instruction is a plain loop over contiguous doubles that the
// compiler can vectorise. Each instruction switches once per chunk, not once
// per particle; the reverse sweep walks the same instructions backwards and
// accumulates adjoints with `+=` (micrograd's rule, one chunk at a time).
// The loops are in Workspace+Forward.swift, Workspace+Estimators.swift and
// Workspace+Reverse.swift.

import Foundation
import WiggleCore
import WiggleDistributions

/// A draw's wiring in a worker's own memory.
struct CallWiring {
    let distribution: any Distribution
    let slots: UnsafeMutablePointer<Int32>
    let carries: UnsafeMutablePointer<Bool>
    let parameterCount: Int
    /// ``RandomCallLayout/uniformBits``.
    let uniformBits: UInt64
    /// The row of the weights its score term uses, or -1.
    let weightGroup: Int
    /// The first of its rows in ``Workspace/outcomeCosts`` (enumeration:
    /// one per outcome, summing its set of terms; measure-valued: one per
    /// world, then the value drawn), or -1.
    let costRow: Int
    /// For an estimator that re-runs worlds: its rule and world count.
    let worldsRule: (any EstimatorRule)?
    let worlds: Int
    /// Under randomised QMC: its Sobol' dimension, or -1.
    let quasiDimension: Int
    /// The slot of the mask its score term is multiplied by, or -1 (``RandomCallLayout/mask``).
    let mask: Int
}

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
    /// Per enumerated node, per outcome and lane: the cost with the node set to that outcome.
    let outcomeCosts: UnsafeMutablePointer<Double>
    /// A copy of the values for enumeration's counterfactual runs.
    let scratch: UnsafeMutablePointer<Double>
    /// Per enumerated node: the instructions downstream of it.
    let enumerationDownstream: [UnsafeMutableBufferPointer<Instruction>]
    /// Per enumerated node: its draw instruction.
    let enumerationNodes: [Instruction]
    /// The slots the counterfactual re-runs read from the scratch copy
    /// (their inputs, the enumerated nodes and the terms): only these are
    /// copied from the values, once per chunk.
    let enumerationReads: [Int32]
    /// Per enumerated node: its first row in ``outcomeCosts`` (rows are by term set, then outcome).
    let enumerationRows: [Int]
    /// Per measure-valued node: its worlds' values (rows of lanes), or nil.
    let worldValues: [UnsafeMutablePointer<Double>?]
    /// When nodes are split by term: the plan's sweeps (instructions in
    /// reverse order, terms to seed), and a row per gradient parameter
    /// where they add up.
    let sweeps: [(backward: UnsafeMutableBufferPointer<Instruction>, terms: [CostTerm])]
    let gradientSums: UnsafeMutablePointer<Double>
    /// This worker's own copies of the plan's weight groups and enumerations.
    let groupTerms: [[CostTerm]]
    let enumerations: [EnumerationWork]
    /// This worker's copy of the pick tables, and which slots carry a derivative.
    let pickTables: [[Int32]]
    let carriesSlot: UnsafeMutablePointer<Bool>
    /// The loops of random length, in this worker's own memory, and their
    /// buffers. Unchecked exclusivity: a workspace belongs to one worker
    /// thread, and the dynamic checks on every access cost about a tenth
    /// of a long loop's late iterations (few particles, many iterations).
    let loops: [LoopWork]
    @exclusivity(unchecked) var loopMemory = LoopMemory()
    /// The most a loop's blocks may take (the run's memory limit).
    var loopByteLimit = Int.max
    /// True while a run samples in antithetic pairs (lanes 2i and 2i + 1).
    var antithetic = false
    /// True while a run draws scrambled Sobol' points (one replicate: its
    /// particles are the points, in order).
    var quasi = false
    /// While a repeating loop runs an iteration after its template: what
    /// its draws' Sobol' dimensions are shifted by, or nil when that
    /// iteration takes pseudo-random numbers (past the iterations that get
    /// dimensions, or past the table).
    var quasiShift: Int32? = 0
    /// The scrambles of this run's dimensions, and the run they belong to.
    var scrambles: [Int: SobolScramble] = [:]
    var scrambleRun: (seed: UInt64, draw: UInt64) = (0, 0)
    /// A lane's uniform for a draw sampled by inversion, and the pairs' means of an output.
    lazy var pairScratch = UnsafeMutablePointer<Double>.allocate(capacity: max(2, chunkSize))
    /// Per draw (an instruction's `table`): its distribution and wiring.
    let calls: UnsafeMutableBufferPointer<CallWiring>
    /// The draws' parameter slots and carry flags, which ``calls`` point into.
    let callSlots: UnsafeMutablePointer<Int32>
    let callCarries: UnsafeMutablePointer<Bool>
    // The plan's arrays, copied into this worker's own memory: iterating a
    // shared Swift array retains and releases it, and those atomic counts on
    // one cache line would make the threads wait on each other.
    let perParticle: UnsafeMutableBufferPointer<Instruction>
    let backward: UnsafeMutableBufferPointer<Instruction>
    let outputSlots: UnsafeMutableBufferPointer<Int32>
    let gradientSlots: UnsafeMutableBufferPointer<Int32>
    let adjointSlots: UnsafeMutableBufferPointer<Int32>
    /// True when a sweep can leave every adjoint row it reads zero behind
    /// it (one sweep, no loops of random length): the next chunk then
    /// zeroes only `leftoverAdjointSlots`, not every row in a separate pass
    /// (a large graph's rows do not stay in cache between the two).
    let cleansAdjoints: Bool
    /// The adjoint rows no instruction of `backward` reads as its own: the
    /// parameters' (the gradient is read from them), and the root's when
    /// it is one of them.
    let leftoverAdjointSlots: [Int32]
    /// True when every adjoint row but the leftovers is zero: the last
    /// sweep ran to its end and cleaned up after itself.
    var adjointsClean = false
    let rootCarries: Bool
    let hasScoreNodes: Bool
    let usesBaseline: Bool
    let slotCount: Int
    let uniform: UnsafeMutableBufferPointer<Instruction>
    /// Batch means for the gradient's co-moments, component by component.
    var coScratch: [Double] = []
    /// A row of lanes for the vector functions' derivatives.
    let vectorScratch: UnsafeMutablePointer<Double>
    /// Weight groups that are one cost term used by one node's score
    /// function, of a distribution that can fuse it (``FusedScore``: the
    /// bernoulli, exponential and Poisson), in a plan without loops of
    /// random length: the weight is not written out, the node adds it and
    /// its score in one pass.
    let fusedGroups: [Bool]
    /// Each random call's distribution as a ``FusedScore`` where its weight
    /// group is fused, else nil.
    let fusedScores: [(any FusedScore)?]

    /// The bytes one lane of a plan's buffers takes (values, adjoints, and a
    /// scratch copy when some node is enumerated).
    static func bytesPerLane(_ plan: Plan) -> Int {
        // Values and adjoints (and a scratch copy for counterfactual
        // worlds), plus one cost row per outcome and term set.
        let costRows = plan.enumerations.reduce(0) { $0 + $1.rowsPerSet * $1.termSets.count + ($1.worlds?.count ?? 0) }
        return (max(1, plan.slotCount) * (plan.enumerations.isEmpty ? 2 : 3) + costRows) * MemoryLayout<Double>.size
    }

    init(plan: Plan, chunkSize: Int, parameterValues: [Double]) {
        self.plan = plan
        self.chunkSize = chunkSize
        func buffer(_ count: Int) -> UnsafeMutablePointer<Double> { Workspace.zeroed(count) }
        func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, array.count))
            _ = buffer.initialize(from: array)
            return UnsafeMutableBufferPointer(rebasing: buffer[0..<array.count])
        }
        let size = plan.slotCount * chunkSize
        values = buffer(size)
        adjoints = buffer(size)
        vectorScratch = buffer(chunkSize)
        weights = buffer(plan.weightGroups.count * chunkSize)
        var costRows: [Int] = []
        var rows = 0
        for work in plan.enumerations {
            costRows.append(rows)
            rows += work.rowsPerSet * work.termSets.count
        }
        enumerationRows = costRows
        worldValues = plan.enumerations.map { work in work.worlds.map { buffer($0.count * chunkSize) } }
        outcomeCosts = buffer(rows * chunkSize)
        scratch = buffer(plan.enumerations.isEmpty ? 1 : size)
        perParticle = copy(plan.perParticle)
        uniform = copy(plan.uniform)
        enumerations = plan.enumerations
        enumerationDownstream = plan.enumerations.map { work in copy(work.downstream.map { plan.perParticle[Int($0)] }) }
        enumerationNodes = plan.enumerations.map { work in
            plan.perParticle.first { $0.node == work.node } ?? plan.perParticle[0]
        }
        // A re-run writes its downstream rows before it reads them (and
        // sets its node's row itself), and each enumeration puts back what
        // it changed before the next: so only the rows read from outside
        // its downstream need copying.
        var reads = Set<Int32>()
        for (index, work) in plan.enumerations.enumerated() {
            let downstream = work.downstream.map { plan.perParticle[Int($0)] }
            let written = Set(downstream.map(\.out) + [enumerationNodes[index].out])
            var read: [Int32] = work.termSets.joined().flatMap { [$0.slot, $0.multiplier] }
            for instruction in downstream {
                switch instruction.code {
                case .random: read += plan.randomCalls[Int(instruction.table)].parameterSlots
                case .pick: read += plan.pickTables[Int(instruction.table)]
                default: break
                }
                read += [instruction.a, instruction.b, instruction.c]
            }
            reads.formUnion(read.filter { $0 >= 0 && !written.contains($0) })
        }
        enumerationReads = reads.sorted()
        // Every draw's parameter slots and carry flags, in two shared buffers.
        let parameterCount = plan.randomCalls.reduce(0) { $0 + $1.parameterSlots.count }
        callSlots = .allocate(capacity: max(1, parameterCount))
        callCarries = .allocate(capacity: max(1, parameterCount))
        var offset = 0
        var wirings: [CallWiring] = []
        wirings.reserveCapacity(plan.randomCalls.count)
        for layout in plan.randomCalls {
            let count = layout.parameterSlots.count
            (callSlots + offset).initialize(from: layout.parameterSlots, count: count)
            (callCarries + offset).initialize(from: layout.carries, count: count)
            let enumeration = Int(layout.enumeration)
            wirings.append(CallWiring(distribution: layout.distribution, slots: callSlots + offset,
                                      carries: callCarries + offset, parameterCount: count, uniformBits: layout.uniformBits,
                                      weightGroup: Int(layout.weightGroup),
                                      costRow: enumeration >= 0
                                        ? costRows[enumeration] + Int(layout.termSet) * plan.enumerations[enumeration].rowsPerSet
                                        : -1,
                                      worldsRule: layout.worldsEstimator?.rule,
                                      worlds: layout.worldsEstimator?.rule.worldCount(for: layout.distribution) ?? 0,
                                      quasiDimension: Int(layout.quasiDimension), mask: Int(layout.mask)))
            offset += count
        }
        calls = copy(wirings)
        groupTerms = plan.weightGroups.map { $0.map { $0 } }
        var uses = [Int](repeating: 0, count: plan.weightGroups.count)
        var fusable = [Bool](repeating: false, count: plan.weightGroups.count)
        for layout in plan.randomCalls where layout.weightGroup >= 0 {
            uses[Int(layout.weightGroup)] += 1
            fusable[Int(layout.weightGroup)] = layout.distribution is FusedScore
        }
        let fusedGroups = plan.weightGroups.indices.map { group in
            plan.loops.isEmpty && uses[group] == 1 && fusable[group] && plan.weightGroups[group].count == 1
                && plan.weightGroups[group][0].multiplier < 0
        }
        self.fusedGroups = fusedGroups
        fusedScores = calls.map { call in
            call.weightGroup >= 0 && fusedGroups[call.weightGroup] && call.mask < 0 ? call.distribution as? FusedScore : nil
        }
        pickTables = plan.pickTables.map { $0.map { $0 } }
        carriesSlot = .allocate(capacity: max(1, plan.slotCount))
        carriesSlot.initialize(repeating: false, count: max(1, plan.slotCount))
        for slot in plan.adjointSlots { carriesSlot[Int(slot)] = true }
        loops = LoopWork.make(plan.loops, calls: plan.randomCalls, pickTables: plan.picksAddToSums ? pickTables : nil,
                              gradient: !plan.gradientParameters.isEmpty && plan.tangentSlots.isEmpty)
        backward = copy(plan.instructions.reversed().filter(\.needsAdjoint))
        cleansAdjoints = plan.sweeps.isEmpty && plan.loops.isEmpty
        let consumed = Set(backward.map(\.out))
        leftoverAdjointSlots = plan.adjointSlots.filter { !consumed.contains($0) }
        sweeps = plan.sweeps.map { (copy($0.instructions.reversed()), $0.terms) }
        gradientSums = buffer(plan.sweeps.isEmpty ? 1 : plan.gradientSlots.count * chunkSize)
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

    /// A draw instruction's view of lanes `0..<m` of `base`. (Callers reach
    /// its distribution in place, `calls[i].distribution`: copying the
    /// existential out would cost more than a small chunk's arithmetic.)
    @inline(__always)
    func randomCall(_ instruction: Instruction, base: UnsafeMutablePointer<Double>,
                    adjoints: UnsafeMutablePointer<Double>? = nil, lanes m: Int, stride: Int? = nil) -> RandomCall {
        let index = Int(instruction.table)
        let stride = stride ?? chunkSize
        return RandomCall(count: m, output: base + Int(instruction.out) * stride, values: base,
                          adjoints: adjoints ?? self.adjoints,
                          stride: stride, slots: calls[index].slots, carries: calls[index].carries,
                          parameterCount: calls[index].parameterCount, uniformBits: calls[index].uniformBits)
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

    /// `count` doubles of 0 from calloc: a large buffer's pages come from
    /// the kernel already zero and cost nothing until written, so rows a
    /// run never writes (the adjoints of a run without a gradient, scratch
    /// a plan does not use) are never touched. Freed with `free`.
    static func zeroed(_ count: Int) -> UnsafeMutablePointer<Double> {
        if let raw = calloc(max(1, count), MemoryLayout<Double>.stride) {
            return raw.bindMemory(to: Double.self, capacity: max(1, count))
        }
        // Out of memory: Swift's allocation (malloc underneath, so `free`
        // still matches) stops the process with its own message.
        let pointer = UnsafeMutablePointer<Double>.allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
        return pointer
    }

    deinit {
        for buffer in [values, adjoints, vectorScratch, weights, outcomeCosts, scratch, gradientSums] { free(buffer) }
        pairScratch.deallocate()
        for buffer in enumerationDownstream { buffer.baseAddress?.deallocate() }
        for buffer in worldValues { if let buffer { free(buffer) } }
        callSlots.deallocate()
        callCarries.deallocate()
        carriesSlot.deallocate()
        for loop in loops { loop.deallocate() }
        loopMemory.deallocate()
        calls.baseAddress?.deallocate()
        for buffer in [perParticle, backward, uniform] + sweeps.map(\.backward) { buffer.baseAddress?.deallocate() }
        for buffer in [outputSlots, gradientSlots, adjointSlots] { buffer.baseAddress?.deallocate() }
    }

    /// Runs one chunk forward (and backward, for a gradient) and adds its sums.
    func process(chunk: Int, lanes: Int, configuration: EngineConfiguration,
                 histogram: ClosedRange<Double>?, into partial: inout Partial) {
        loopByteLimit = configuration.maxWorkspaceBytes
        antithetic = configuration.sampling == .antithetic && lanes % 2 == 0
        quasi = configuration.sampling == .rqmc
        if quasi && (scrambleRun.seed != configuration.seed || scrambleRun.draw != configuration.draw) {
            scrambles = [:]
            scrambleRun = (configuration.seed, configuration.draw)
        }
        forward(chunk: chunk, lanes: lanes, configuration: configuration, partial: &partial)
        var finite = true
        // Under antithetic sampling a pair is one sample: its mean.
        let samples = antithetic ? lanes / 2 : lanes
        for index in 0..<outputSlots.count {
            let output = values + Int(outputSlots[index]) * chunkSize
            if antithetic {
                for l in 0..<samples { pairScratch[l] = 0.5 * (output[2 * l] + output[2 * l + 1]) }
                // The particles themselves too, for a cloud's spread.
                if partial.particleOutputs.count < outputSlots.count {
                    partial.particleOutputs = Array(repeating: Moments(), count: outputSlots.count)
                }
                _ = partial.particleOutputs[index].add(output, count: lanes)
            }
            guard partial.outputs[index].add(antithetic ? UnsafeMutablePointer(pairScratch) : output, count: samples) else {
                finite = false
                locateNonFinite(lanes: lanes, partial: &partial)
                continue
            }
            if histogram != nil || configuration.collectRange {
                var low = partial.minima[index], high = partial.maxima[index]
                var whole = partial.integral[index]
                for l in 0..<lanes {
                    low = Swift.min(low, output[l])
                    high = Swift.max(high, output[l])
                    whole = whole && isWholeNumber(output[l])
                }
                partial.minima[index] = low
                partial.maxima[index] = high
                partial.integral[index] = whole
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
        if !plan.tangentSlots.isEmpty {
            // Forward mode: each component's per-particle value is its
            // tangent, put where the reverse sweep would have left it.
            for index in 0..<gradientSlots.count where gradientSlots[index] >= 0 {
                (adjoints + Int(gradientSlots[index]) * chunkSize)
                    .update(from: values + Int(plan.tangentSlots[index]) * chunkSize, count: lanes)
            }
        } else {
            if hasScoreNodes {
                computeWeights(lanes: lanes, baselines: configuration.replicateBaselines, into: &partial)
                computeOutcomeCosts(chunk: chunk, lanes: lanes, configuration: configuration, partial: &partial)
            }
            reverse(lanes: lanes)
        }
        if antithetic {
            // Each pair's gradient is the mean of its two (rows are the chunk's own, read no more).
            for slot in gradientSlots where slot >= 0 {
                let g = adjoints + Int(slot) * chunkSize
                for l in 0..<samples { g[l] = 0.5 * (g[2 * l] + g[2 * l + 1]) }
            }
        }
        let particles = antithetic ? configuration.particles / 2 : configuration.particles
        if !partial.coMoments.isEmpty { addCoMoments(lanes: samples, particles: particles, partial: &partial) }
        for index in 0..<gradientSlots.count {
            let slot = gradientSlots[index]
            if slot < 0 {
                // The parameter does not reach the objective: its gradient is 0.
                partial.gradient[index].addZeros(samples)
                continue
            }
            let g = adjoints + Int(slot) * chunkSize
            if !partial.gradient[index].add(g, count: samples) {
                let count = (0..<samples).filter { !g[$0].isFinite }.count
                partial.nonFiniteGradient[index, default: 0] += count
                // Sweep again, checking as it goes, to name the node where it
                // broke (forward mode has no sweep: the parameter is named).
                if plan.tangentSlots.isEmpty, let node = reverse(lanes: lanes, locate: true) {
                    partial.nonFiniteGradientNodes[node.index] = (partial.nonFiniteGradientNodes[node.index] ?? 0) + count
                }
            }
        }
    }

    /// Adds this chunk's products between gradient components. With many
    /// components, particles are taken in batches and the products are
    /// those of the batch means, weighted by size: the same expectation up
    /// to the factor every entry shares (the between-batch sum of squares
    /// has expectation (batches − 1) Σ for batches of any size), at 1/batch
    /// of the k² / 2 products. Only correlations are read from them
    /// (`Partial.covarianceOfMeans`). Deviations are from a shift, the
    /// group's first chunk's means, and centred once per group.
    func addCoMoments(lanes: Int, particles: Int, partial: inout Partial) {
        let k = gradientSlots.count
        let batch = Partial.coMomentBatch(components: k, particles: particles)
        let batches = (lanes + batch - 1) / batch
        if coScratch.count < k * batches { coScratch = [Double](repeating: 0, count: k * batches) }
        let firstChunk = partial.coShift.isEmpty
        if firstChunk { partial.coShift = [Double](repeating: 0, count: k) }
        coScratch.withUnsafeMutableBufferPointer { buffer in
            guard let rows = buffer.baseAddress else { return }
            // Row i: component i's batch means less its shift, times √size.
            for i in 0..<k {
                let row = rows + i * batches
                guard gradientSlots[i] >= 0 else {
                    for t in 0..<batches { row[t] = 0 }
                    continue
                }
                let g = adjoints + Int(gradientSlots[i]) * chunkSize
                if firstChunk { partial.coShift[i] = Moments.sum(g, count: lanes) / Double(lanes) }
                let shift = partial.coShift[i]
                if batch == 1 {
                    // One particle a batch (few components): its deviation itself, the same bits.
                    for t in 0..<batches { row[t] = g[t] - shift }
                    continue
                }
                for t in 0..<batches {
                    let first = t * batch, count = Swift.min(batch, lanes - first)
                    let size = Double(count)
                    row[t] = (Moments.sum(g + first, count: count) / size - shift) * size.squareRoot()
                }
            }
            partial.coSums.withUnsafeMutableBufferPointer { sums in
                for i in 0..<k where gradientSlots[i] >= 0 {
                    let a = rows + i * batches
                    for j in i..<k where gradientSlots[j] >= 0 {
                        let b = rows + j * batches
                        // Four running sums in a fixed order, so it vectorises.
                        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                        var t = 0
                        while t + 4 <= batches {
                            s0 += a[t] * b[t]; s1 += a[t + 1] * b[t + 1]
                            s2 += a[t + 2] * b[t + 2]; s3 += a[t + 3] * b[t + 3]
                            t += 4
                        }
                        while t < batches { s0 += a[t] * b[t]; t += 1 }
                        sums[i * k + j] += (s0 + s1) + (s2 + s3)
                    }
                }
            }
        }
    }

    /// Finds the first instruction whose output is not finite in some lane
    /// while all its inputs are, and records how many lanes.
    func locateNonFinite(lanes: Int, partial: inout Partial) {
        for instruction in [uniform, perParticle].joined() {
            if instruction.code == .loop, Int(instruction.table) < loops.count {
                // A loop run in blocks writes its exits' slots.
                let loop = loops[Int(instruction.table)]
                for (exit, node) in zip(loop.exits, loop.exitNodes) {
                    let output = values + Int(exit.slot) * chunkSize
                    var bad = 0
                    for l in 0..<lanes where !output[l].isFinite { bad += 1 }
                    if bad > 0 {
                        partial.nonFinite[node.index, default: 0] += bad
                        return
                    }
                }
                continue
            }
            guard instruction.out >= 0 else { continue }
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
}
