// Workspace+Loops.swift — running a loop of random length over a chunk.
//
// Iteration t runs over the particles still running it, gathered into the
// m_t lanes of its own block (slot-major like the main buffer, with rows of
// m_t), so every instruction is the same plain loop over lanes as elsewhere
// and the blocks of a chunk take memory in proportion to the work done. `lanes[t][j]` is the chunk lane of the particle in lane j. A
// particle whose mask drops to 0 writes its values to the loop's exits in
// its own lane and takes no further part. Blocks are kept for the reverse
// sweep, which walks the iterations backwards, adding each import's adjoint
// to where it came from.

import Foundation
import WiggleCore
import WiggleDistributions

/// A loop of random length in a worker's own memory. A class: the hot
/// paths read it once per iteration, and copying a struct of arrays there
/// was a retain and a release per array (a fifth of a long loop's tail).
final class LoopWork {
    struct Iteration {
        let forward: UnsafeMutableBufferPointer<Instruction>
        let backward: UnsafeMutableBufferPointer<Instruction>
        let imports: UnsafeMutableBufferPointer<LoopImport>
        let carries: UnsafeMutablePointer<Bool>
        let exitValues: UnsafeMutableBufferPointer<Int32>
        let weightGroups: UnsafeMutableBufferPointer<Int32>
        let slotCount: Int
        let alive: Int
        let needsAdjoint: Bool
        /// In a loop whose score terms add up as it runs: when its only
        /// step back is one draw's score, of one parameter read from
        /// outside, by a distribution that adds it to the sums itself
        /// (``ScoreSums``): that draw, the sum row, and the distribution.
        var scoreSum: (draw: Instruction, row: Int, distribution: any ScoreSums)? = nil
        /// In a loop whose score terms add up as it runs: per slot of its
        /// block, the sum row a pick's adjoint goes straight to (or -1),
        /// for an import that one pick's table names once and nothing else
        /// in its step back reads: `w[pos]` adds to `w[k]`'s sum in the
        /// particle's lane, with no row of its own to zero and scatter (the
        /// same one addition per particle, so the same bits). Nil when none.
        var pickSums: UnsafeMutablePointer<Int32>? = nil
    }

    let iterations: [Iteration]
    let exits: UnsafeMutableBufferPointer<(slot: Int32, initial: Int32, carries: Bool)>
    let alive: Int
    let checksLimit: Bool
    let limit: Int
    let node: NodeID
    /// Its row in Graph.loops, for the message of particles still running.
    let loop: Int
    /// The exits' nodes, in the order of `exits` (for messages).
    let exitNodes: [NodeID]
    /// When the last iteration traced stands for the ones after it: how
    /// (``LoopRepetition``), the iterations it may run in all, the template's
    /// draws (their places in its instructions and their streams), and a
    /// copy of its instructions whose streams are set per iteration.
    let repetition: LoopRepetition?
    let iterationLimit: Int
    let templateDraws: [(index: Int, stream: UInt64)]
    let repeated: UnsafeMutableBufferPointer<Instruction>
    /// The template's draws that take Sobol' dimensions under randomised QMC.
    let quasiPerIteration: Int
    /// True when a reverse sweep will read its iterations' blocks.
    let keepsTape: Bool
    /// Its score terms' weight group when they add up as it runs (``LoopRegion/scoreSumGroup``).
    let scoreSumGroup: Int?
    /// Then: the main slots its iterations hand their adjoints back to, one sum row each.
    let sumSources: [Int32]
    let sumRow: [Int32: Int]
    /// True when no reverse sweep reads its blocks and every iteration
    /// reads only the iteration before it (and what comes from outside):
    /// then all its iterations take two regions in turn, from the first.
    let ringsFromStart: Bool
    /// The most slots any of its iterations' blocks has.
    let widestLayout: Int

    init(iterations: [Iteration], exits: UnsafeMutableBufferPointer<(slot: Int32, initial: Int32, carries: Bool)>,
         alive: Int, checksLimit: Bool, limit: Int, node: NodeID, loop: Int, exitNodes: [NodeID],
         repetition: LoopRepetition?, iterationLimit: Int, templateDraws: [(index: Int, stream: UInt64)],
         repeated: UnsafeMutableBufferPointer<Instruction>, quasiPerIteration: Int, keepsTape: Bool,
         scoreSumGroup: Int?, sumSources: [Int32], sumRow: [Int32: Int]) {
        self.iterations = iterations
        self.exits = exits
        self.alive = alive
        self.checksLimit = checksLimit
        self.limit = limit
        self.node = node
        self.loop = loop
        self.exitNodes = exitNodes
        self.repetition = repetition
        self.iterationLimit = iterationLimit
        self.templateDraws = templateDraws
        self.repeated = repeated
        self.quasiPerIteration = quasiPerIteration
        self.keepsTape = keepsTape
        self.scoreSumGroup = scoreSumGroup
        self.sumSources = sumSources
        self.sumRow = sumRow
        ringsFromStart = !keepsTape && iterations.indices.allSatisfy { t in
            iterations[t].imports.allSatisfy { $0.iteration < 0 || Int($0.iteration) == t - 1 }
        }
        widestLayout = iterations.map(\.slotCount).max() ?? 0
    }

    /// Iteration t's instructions: as traced, or the template's with the
    /// streams the tracer would have given its draws in iteration t.
    func forward(_ t: Int) -> UnsafeMutableBufferPointer<Instruction> {
        guard t >= iterations.count, let repetition else { return iterations[t].forward }
        for draw in templateDraws { repeated[draw.index].stream = repetition.stream(draw.stream, iteration: t) }
        return repeated
    }

    /// The iteration whose block layout and instructions iteration t uses.
    func layout(_ t: Int) -> Iteration { iterations[Swift.min(t, iterations.count - 1)] }

    /// Which iteration's block an import of iteration t's layout reads, and which slot.
    func source(_ item: LoopImport, iteration t: Int) -> (iteration: Int, slot: Int) {
        guard t >= iterations.count else { return (Int(item.iteration), Int(item.source)) }
        return (t - 1, Int(item.repeatSource))
    }

    /// An iteration's ``Iteration/scoreSum``, if it has one.
    static func scoreSum(_ iteration: Iteration, sumRow: [Int32: Int], calls: [RandomCallLayout])
        -> (draw: Instruction, row: Int, distribution: any ScoreSums)? {
        guard iteration.backward.count == 1, let draw = iteration.backward.first, draw.code == .random,
              draw.estimator == .score else { return nil }
        let call = calls[Int(draw.table)]
        guard call.parameterSlots.count == 1, call.mask < 0, let summing = call.distribution as? any ScoreSums,
              let item = iteration.imports.first(where: { $0.carries && $0.local == call.parameterSlots[0] }),
              let row = sumRow[item.source] else { return nil }
        return (draw, row, summing)
    }

    /// An iteration's ``Iteration/pickSums``, if it has any.
    static func pickSums(_ iteration: Iteration, sumRow: [Int32: Int], calls: [RandomCallLayout],
                         pickTables: [[Int32]]) -> UnsafeMutablePointer<Int32>? {
        // Slots the step back reads or writes other than as a pick's element.
        var touched = Set<Int32>()
        var picked: [Int32: Int] = [:]
        for instruction in iteration.backward {
            if instruction.code == .loop { return nil }
            touched.formUnion([instruction.out, instruction.a, instruction.b, instruction.c])
            if instruction.code == .pick {
                for slot in pickTables[Int(instruction.table)] { picked[slot, default: 0] += 1 }
            } else if instruction.code == .random {
                let call = calls[Int(instruction.table)]
                touched.formUnion(call.parameterSlots)
                touched.insert(call.mask)
            }
        }
        var rows: [(slot: Int32, row: Int)] = []
        for item in iteration.imports where item.carries && picked[item.local] == 1 && !touched.contains(item.local) {
            if let row = sumRow[item.source] { rows.append((item.local, row)) }
        }
        guard !rows.isEmpty else { return nil }
        let table = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, iteration.slotCount))
        table.initialize(repeating: -1, count: max(1, iteration.slotCount))
        for (slot, row) in rows { table[Int(slot)] = Int32(row) }
        return table
    }

    /// Each loop's copy.
    /// Without `pickTables`, no iteration's picks go straight to the sums.
    static func make(_ regions: [LoopRegion], calls: [RandomCallLayout], pickTables: [[Int32]]?,
                     gradient: Bool) -> [LoopWork] {
        func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, array.count))
            _ = buffer.initialize(from: array)
            return UnsafeMutableBufferPointer(rebasing: buffer[0..<array.count])
        }
        return regions.map { region in
            var iterations = region.iterations.map { iteration -> Iteration in
                let carries = UnsafeMutablePointer<Bool>.allocate(capacity: max(1, iteration.slotCount))
                carries.initialize(repeating: false, count: max(1, iteration.slotCount))
                for (slot, flag) in iteration.carries.enumerated() { carries[slot] = flag }
                return Iteration(forward: copy(iteration.instructions),
                                 backward: copy(iteration.instructions.reversed().filter(\.needsAdjoint)),
                                 imports: copy(iteration.imports), carries: carries,
                                 exitValues: copy(iteration.exitValues), weightGroups: copy(iteration.weightGroups),
                                 slotCount: iteration.slotCount, alive: Int(iteration.alive),
                                 needsAdjoint: iteration.needsAdjoint)
            }
            let template = region.repetition == nil ? [] : region.iterations.last?.instructions ?? []
            let draws = template.enumerated().filter { $0.element.code == .random }.map { ($0.offset, $0.element.stream) }
            let quasi = draws.filter { calls[Int(template[$0.0].table)].quasiDimension >= 0 }.count
            let sums = gradient ? region.scoreSumGroup.map(Int.init) : nil
            var sources: [Int32] = []
            var rows: [Int32: Int] = [:]
            if sums != nil {
                sources = Array(Set(region.iterations.flatMap { $0.imports.filter(\.carries).map(\.source) })).sorted()
                rows = Dictionary(uniqueKeysWithValues: sources.enumerated().map { ($1, $0) })
                for t in iterations.indices {
                    iterations[t].scoreSum = scoreSum(iterations[t], sumRow: rows, calls: calls)
                    if let pickTables {
                        iterations[t].pickSums = pickSums(iterations[t], sumRow: rows, calls: calls, pickTables: pickTables)
                    }
                }
            }
            return LoopWork(iterations: iterations, exits: copy(region.exits), alive: Int(region.alive),
                            checksLimit: region.checksLimit, limit: region.limit, node: region.node, loop: region.loop,
                            exitNodes: region.exitNodes, repetition: region.repetition, iterationLimit: region.iterationLimit,
                            templateDraws: draws, repeated: copy(template), quasiPerIteration: quasi,
                            keepsTape: gradient && region.needsAdjoint && sums == nil, scoreSumGroup: sums,
                            sumSources: sources, sumRow: rows)
        }
    }

    func deallocate() {
        for iteration in iterations {
            for buffer in [iteration.forward, iteration.backward] { buffer.baseAddress?.deallocate() }
            iteration.imports.baseAddress?.deallocate()
            iteration.carries.deallocate()
            iteration.exitValues.baseAddress?.deallocate()
            iteration.weightGroups.baseAddress?.deallocate()
            iteration.pickSums?.deallocate()
        }
        exits.baseAddress?.deallocate()
        repeated.baseAddress?.deallocate()
    }
}

/// A worker's buffers for loop iterations: blocks of values and adjoints
/// (grown as iterations are reached, so memory follows the iterations
/// run), the lanes of each iteration, and scratch rows.
struct LoopMemory {
    var values: UnsafeMutablePointer<Double>?
    var adjoints: UnsafeMutablePointer<Double>?
    /// Doubles the blocks have room for.
    var capacity = 0
    /// Per loop and iteration run in this chunk: where its lanes start in
    /// `lanes`, how many, and where its block starts (rows are `laneCount` apart).
    var lanes: UnsafeMutablePointer<Int32>?
    /// Beside each lane number, from iteration 1 on: the lane's place in the iteration before.
    var previous: UnsafeMutablePointer<Int32>?
    var laneCapacity = 0
    var laneStart: [[Int]] = []
    /// Per loop and iteration: the row length of its block (its lane count,
    /// or for a block that reuses iteration t − 2's, that one's row length).
    var blockStride: [[Int]] = []
    /// Per loop: the first iteration kept only at checkpoints (Int.max: none).
    var checkpointsFrom: [Int] = []
    /// The two regions the iterations between checkpoints take in turn:
    /// (block start, lane start), and their row length.
    var ring: [(block: Int, lanes: Int)] = []
    var ringStride = 0
    /// The unit weights a score-summing loop last wrote: a row at this
    /// stride, good for this many lanes (iterations only lose lanes).
    var unitRow: (group: Int, stride: Int, count: Int)?
    /// Where the forward pass's blocks and lanes end (the reverse sweep
    /// re-runs segments after them).
    var forwardEnd = (doubles: 0, lanes: 0)
    /// The chunk, seed and evaluation of the last forward pass (for re-runs).
    var context: (chunk: Int, seed: UInt64, draw: UInt64) = (0, 0, 0)
    var laneCount: [[Int]] = []
    var blockStart: [[Int]] = []
    /// Per chunk lane: its lane in some iteration (see `positionsOf`).
    var position: UnsafeMutablePointer<Int32>?
    var positionsOf = (loop: -1, iteration: -1)
    /// The weights of an iteration's lanes, one row per weight group.
    var weights: UnsafeMutablePointer<Double>?
    /// Per loop whose score terms add up as it runs: a row per main slot
    /// its iterations hand adjoints back to, of the chunk's lanes.
    var sums: [UnsafeMutablePointer<Double>?] = []

    /// Scratch: the lanes of an iteration that leave it, and which
    /// iteration they are of (`gone` of its `count` lanes; nil: none known).
    var leaving: UnsafeMutablePointer<Int32>?
    var leavingOf: (loop: Int, iteration: Int, gone: Int, count: Int)?

    /// True when so few of `count` lanes left (`gone`) that the rest are
    /// best moved as the runs between them, in blocks; else lane by lane.
    static func fewLeft(_ gone: Int, of count: Int) -> Bool { gone * 16 <= count }

    /// Calls `body(start, length, kept)` for each run of lanes between the
    /// `gone` leavers in `leaving` (of `count`), in order: the run starts at
    /// lane `start` and goes to place `kept` among the lanes that stay.
    static func forEachRun(count: Int, leaving: UnsafePointer<Int32>, gone: Int,
                           _ body: (_ start: Int, _ length: Int, _ kept: Int) -> Void) {
        var kept = 0, start = 0
        for k in 0...gone {
            let end = k < gone ? Int(leaving[k]) : count
            if end > start {
                body(start, end - start, kept)
                kept += end - start
            }
            start = end + 1
        }
    }

    /// `source` less the `gone` lanes in `leaving` (of `count`) into
    /// `target`, in order, as block copies of the runs between them.
    static func copyRuns<T>(from source: UnsafePointer<T>, count: Int, leaving: UnsafePointer<Int32>, gone: Int,
                            into target: UnsafeMutablePointer<T>) {
        forEachRun(count: count, leaving: leaving, gone: gone) { start, length, kept in
            memcpy(target + kept, source + start, length * MemoryLayout<T>.stride)
        }
    }

    /// The lanes that go on (`ids` less the `gone` in `leaving`) into
    /// `next`, in order, each with its place in `ids` in `previous`.
    static func compact(_ ids: UnsafePointer<Int32>, count: Int, leaving: UnsafePointer<Int32>, gone: Int,
                        alive: UnsafePointer<Double>, into next: UnsafeMutablePointer<Int32>,
                        previous: UnsafeMutablePointer<Int32>) {
        guard fewLeft(gone, of: count) else {
            // Without a branch per lane: written either way, counted when it stays.
            var kept = 0
            for j in 0..<count {
                next[kept] = ids[j]
                previous[kept] = Int32(truncatingIfNeeded: j)
                kept += alive[j] != 0 ? 1 : 0
            }
            return
        }
        forEachRun(count: count, leaving: leaving, gone: gone) { start, length, kept in
            memcpy(next + kept, ids + start, length * MemoryLayout<Int32>.stride)
            // Lane numbers fit in Int32 (a chunk's lanes); wrapping
            // arithmetic lets the loop vectorise.
            let run = previous + kept, first = Int32(truncatingIfNeeded: start)
            for i in 0..<length { run[i] = first &+ Int32(truncatingIfNeeded: i) }
        }
    }

    /// How many times its first request the blocks and lanes start with.
    static let firstGrowth = 16

    /// `buffer` with room for `count` elements, keeping what it holds:
    /// realloc, which moves a large block's pages (mremap) rather than
    /// copying them, and never touches the new room. Nil when out of memory.
    static func grow<T>(_ buffer: UnsafeMutablePointer<T>?, to count: Int) -> UnsafeMutablePointer<T>? {
        realloc(buffer, count * MemoryLayout<T>.stride)?.assumingMemoryBound(to: T.self)
    }

    mutating func deallocate() {
        // Made by realloc (``grow``).
        free(values)
        free(adjoints)
        lanes?.deallocate()
        previous?.deallocate()
        leaving?.deallocate()
        position?.deallocate()
        weights?.deallocate()
        for rows in sums { rows?.deallocate() }
        self = LoopMemory()
    }
}

extension Workspace {
    /// Iterations per segment of a checkpointed loop: one kept, the others
    /// re-run in the reverse sweep (about √ of a few thousand iterations).
    static let checkpointInterval = 64

    /// Makes room for `count` doubles of blocks (keeping what they hold), or
    /// returns false when that would pass the memory limit.
    func reserveLoopMemory(_ count: Int) -> Bool {
        guard count > loopMemory.capacity else { return true }
        guard count * 16 <= loopByteLimit else { return false }
        // The first time, room for several times what is asked: pages not
        // touched cost no memory, and a short loop then never grows.
        let first = loopMemory.capacity == 0 ? LoopMemory.firstGrowth * count : 0
        let capacity = Swift.min(Swift.max(count, 2 * loopMemory.capacity, first), loopByteLimit / 16)
        // Each kept as soon as it moved (realloc frees the old block), and
        // the capacity raised only when both have the room.
        guard let values = LoopMemory.grow(loopMemory.values, to: capacity) else { return false }
        loopMemory.values = values
        guard let adjoints = LoopMemory.grow(loopMemory.adjoints, to: capacity) else { return false }
        loopMemory.adjoints = adjoints
        loopMemory.capacity = capacity
        return true
    }

    /// Makes room for `count` lane numbers (a small part of the blocks:
    /// one Int32 a lane against a double per slot, so copied when grown).
    func reserveLanes(_ count: Int) {
        guard count > loopMemory.laneCapacity else { return }
        let first = loopMemory.laneCapacity == 0 ? LoopMemory.firstGrowth * count : 0
        let capacity = Swift.max(count, 2 * loopMemory.laneCapacity, first)
        for keyPath in [\LoopMemory.lanes, \LoopMemory.previous] {
            let grown = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
            if let old = loopMemory[keyPath: keyPath] {
                grown.update(from: old, count: loopMemory.laneCapacity)
                old.deallocate()
            }
            loopMemory[keyPath: keyPath] = grown
        }
        loopMemory.laneCapacity = capacity
    }

    /// The chunk lanes of loop `r`'s iteration `t`.
    func lanes(_ r: Int, _ t: Int) -> UnsafeMutablePointer<Int32> {
        loopMemory.lanes! + loopMemory.laneStart[r][t]
    }

    /// `position[lane]` = the lane's place in iteration `t` of loop `r`.
    func positions(_ r: Int, _ t: Int) -> UnsafeMutablePointer<Int32> {
        if loopMemory.position == nil {
            loopMemory.position = .allocate(capacity: chunkSize)
        }
        let position = loopMemory.position!
        if loopMemory.positionsOf != (r, t) {
            let ids = lanes(r, t)
            for j in 0..<loopMemory.laneCount[r][t] { position[Int(ids[j])] = Int32(j) }
            loopMemory.positionsOf = (r, t)
        }
        return position
    }

    /// Runs loop `r` forward over the chunk's first `m` lanes.
    func runLoop(_ r: Int, chunk: Int, lanes m: Int, seed: UInt64, draw: UInt64, partial: inout Partial) {
        let loop = loops[r]
        let C = chunkSize
        if loopMemory.laneStart.count != loops.count {
            loopMemory.laneStart = loops.map { _ in [] }
            loopMemory.laneCount = loops.map { _ in [] }
            loopMemory.blockStart = loops.map { _ in [] }
            loopMemory.blockStride = loops.map { _ in [] }
        }
        // Lanes and blocks of earlier loops in this chunk stay (their reverse sweeps need them).
        var usedLanes = 0, usedDoubles = 0
        for q in 0..<r {
            for (t, count) in loopMemory.laneCount[q].enumerated() {
                usedLanes = Swift.max(usedLanes, loopMemory.laneStart[q][t] + count)
                usedDoubles = Swift.max(usedDoubles, loopMemory.blockStart[q][t] + loops[q].layout(t).slotCount * count)
            }
        }
        if loop.scoreSumGroup != nil {
            // The sums start at 0 for every lane.
            if loopMemory.sums.count != loops.count { loopMemory.sums = loops.map { _ in nil } }
            if loopMemory.sums[r] == nil { loopMemory.sums[r] = .allocate(capacity: max(1, loop.sumSources.count * C)) }
            loopMemory.sums[r]?.update(repeating: 0, count: loop.sumSources.count * C)
            if loopMemory.weights == nil { loopMemory.weights = .allocate(capacity: max(1, groupTerms.count * C)) }
        }
        loopMemory.ring = []
        loopMemory.unitRow = nil
        loopMemory.laneStart[r] = []
        loopMemory.laneCount[r] = []
        loopMemory.blockStart[r] = []
        loopMemory.blockStride[r] = []
        loopMemory.positionsOf = (-1, -1)
        loopMemory.leavingOf = nil
        if loopMemory.leaving == nil { loopMemory.leaving = .allocate(capacity: C) }
        guard let leaving = loopMemory.leaving else { return }
        reserveLanes(usedLanes + m)
        // Who enters; the others leave with the values from before the loop.
        let entering = values + loop.alive * C
        var ids = loopMemory.lanes! + usedLanes
        var count = 0
        for l in 0..<m {
            if entering[l] != 0 {
                ids[count] = Int32(l)
                count += 1
            } else {
                for exit in loop.exits where exit.initial >= 0 {
                    values[Int(exit.slot) * C + l] = values[Int(exit.initial) * C + l]
                }
            }
        }
        let marker = Instruction(code: .loop, out: -1, a: -1, b: -1, c: -1, node: loop.node, estimator: .pathwise,
                                 needsAdjoint: false)
        var running = 0
        defer { quasiShift = 0 }
        // Past its template, a repeating loop's iterations take two regions
        // in turn (its template reads the iteration before only), so its
        // memory does not follow the iterations run. A loop whose every
        // iteration reads only the one before, and whose blocks no reverse
        // sweep reads, takes them from its first (``LoopWork/ringsFromStart``).
        // One that keeps a tape keeps every Kth iteration in a block of its
        // own (a checkpoint), and the reverse sweep re-runs each segment
        // from its checkpoint (Workspace.rerun): memory of n/K + K blocks, not n.
        let template = loop.iterations.count - 1
        let checkpointing = loop.keepsTape && loop.repetition != nil
        if loopMemory.checkpointsFrom.count != loops.count { loopMemory.checkpointsFrom = loops.map { _ in .max } }
        loopMemory.checkpointsFrom[r] = checkpointing ? template + 2 : .max
        func ringIteration(_ t: Int) -> Bool {
            if loop.ringsFromStart { return true }
            guard loop.repetition != nil, t >= template + 2 else { return false }
            return !loop.keepsTape || (t - template - 2) % Workspace.checkpointInterval != 0
        }
        var ringTurn = 0
        for t in 0..<loop.iterationLimit {
            guard count > 0 else { break }
            let iteration = loop.layout(t)
            if t > template {
                // Past the template: its draws' dimensions follow on from its
                // own, as they would have in the unrolled loop.
                let shift = (t - template) * loop.quasiPerIteration
                quasiShift = t < Plan.quasiLoopIterations ? Int32(clamping: shift) : nil
            }
            // Its block: a row of `count` per slot.
            var regionFresh = false
            if ringIteration(t) {
                if loopMemory.ring.isEmpty {
                    // Room for the most lanes any later iteration has (this
                    // one's), in the widest layout it may take.
                    let size = loop.widestLayout * count
                    guard reserveLoopMemory(usedDoubles + 2 * size) else {
                        record(marker, .loopMemory(loopByteLimit), value: 0, count: count, partial: &partial)
                        break
                    }
                    loopMemory.ring = [(usedDoubles, usedLanes), (usedDoubles + size, usedLanes + count)]
                    loopMemory.ringStride = count
                    usedDoubles += 2 * size
                    usedLanes += 2 * count
                    reserveLanes(usedLanes + count)
                }
                let region = loopMemory.ring[ringTurn % 2]
                regionFresh = ringTurn < 2
                ringTurn += 1
                // The lanes were written at the previous iteration's end, in this region.
                loopMemory.laneStart[r].append(region.lanes)
                loopMemory.laneCount[r].append(count)
                loopMemory.blockStart[r].append(region.block)
                loopMemory.blockStride[r].append(loopMemory.ringStride)
            } else {
                guard reserveLoopMemory(usedDoubles + iteration.slotCount * count) else {
                    record(marker, .loopMemory(loopByteLimit), value: 0, count: count, partial: &partial)
                    break
                }
                loopMemory.laneStart[r].append(usedLanes)
                loopMemory.laneCount[r].append(count)
                loopMemory.blockStart[r].append(usedDoubles)
                loopMemory.blockStride[r].append(count)
                usedLanes += count
                usedDoubles += iteration.slotCount * count
                reserveLanes(usedLanes + count)
            }
            ids = lanes(r, t)
            let S = loopMemory.blockStride[r][t]
            let block = loopMemory.values! + loopMemory.blockStart[r][t]
            // A reused block keeps the rows that are the same in every
            // iteration (the mask's 1s, constants, parameters): rows are as
            // long as before, and once each region has held an iteration
            // from the template on, the layout is the template's.
            let refills = !ringIteration(t) || regionFresh || t < template + 2
            importAndRun(r, t, block: block, stride: S, lanes: ids, count: count, refills: refills, chunk: chunk,
                         seed: seed, draw: draw, partial: &partial)
            // Its one score term, added to the sums by its distribution where it can.
            var summed = false
            if let fused = iteration.scoreSum, let sums = loopMemory.sums[r] {
                summed = fused.distribution.addScore(randomCall(fused.draw, base: block, lanes: count, stride: S),
                                                     toSums: sums + fused.row * C, lanes: ids)
            }
            if !summed, let group = loop.scoreSumGroup, let sums = loopMemory.sums[r], let unit = loopMemory.weights {
                // This iteration's score terms with a weight of 1, walked back
                // to what it read from outside, and added to those sums.
                if loopMemory.unitRow.map({ $0.group != group || $0.stride != S || $0.count < count }) ?? true {
                    (unit + group * S).update(repeating: 1, count: count)
                    loopMemory.unitRow = (group, S, count)
                }
                let adjoint = loopMemory.adjoints! + loopMemory.blockStart[r][t]
                let direct = iteration.pickSums
                for slot in 0..<iteration.slotCount where iteration.carries[slot] && (direct?[slot] ?? -1) < 0 {
                    (adjoint + slot * S).update(repeating: 0, count: count)
                }
                _ = walk(UnsafeBufferPointer(iteration.backward), lanes: count, locate: false, values: block,
                         adjoints: adjoint, carries: iteration.carries, weights: unit, stride: S,
                         pickSums: direct.map { (rows: $0, sums: sums, lanes: ids) })
                for item in iteration.imports where item.carries && (direct?[Int(item.local)] ?? -1) < 0 {
                    guard let row = loop.sumRow[item.source] else { continue }
                    let from = adjoint + Int(item.local) * S
                    let to = sums + row * C
                    for j in 0..<count { to[Int(ids[j])] += from[j] }
                }
            }
            // The particles that leave here write the exits (at the last
            // iteration, all): each keeps its last iteration's values.
            let alive = block + iteration.alive * S
            if t + 1 == loop.iterationLimit {
                for (e, exit) in loop.exits.enumerated() {
                    let target = values + Int(exit.slot) * C
                    let source = block + Int(iteration.exitValues[e]) * S
                    for j in 0..<count { target[Int(ids[j])] = source[j] }
                }
                for j in 0..<count where alive[j] != 0 { running += 1 }
                break
            }
            let gone = VectorMath.zeroLanes(alive, count, into: leaving)
            loopMemory.leavingOf = (r, t, gone, count)
            for (e, exit) in loop.exits.enumerated() {
                let target = values + Int(exit.slot) * C
                let source = block + Int(iteration.exitValues[e]) * S
                for k in 0..<gone {
                    let j = Int(leaving[k])
                    target[Int(ids[j])] = source[j]
                }
            }
            // The next iteration's lanes: after these, or in the ring region it will take.
            let nextStart = ringIteration(t + 1) && !loopMemory.ring.isEmpty ? loopMemory.ring[ringTurn % 2].lanes : usedLanes
            LoopMemory.compact(ids, count: count, leaving: leaving, gone: gone, alive: alive,
                               into: loopMemory.lanes! + nextStart, previous: loopMemory.previous! + nextStart)
            count -= gone
        }
        if running > 0 && loop.checksLimit {
            record(marker, .loopLimit(loop: loop.loop), value: 0, count: running, partial: &partial)
        }
        loopMemory.forwardEnd = (usedDoubles, usedLanes)
        loopMemory.context = (chunk, seed, draw)
        if checkpointing, loopMemory.laneStart[r].count > template + 3 {
            // Room for the reverse sweep to re-run a segment, asked for now
            // so that a run past the memory limit fails here, with its message.
            let widest = loopMemory.laneCount[r][template + 2]
            let segment = Workspace.checkpointInterval * loop.layout(template).slotCount * widest
            if !reserveLoopMemory(usedDoubles + segment) {
                record(marker, .loopMemory(loopByteLimit), value: 0, count: widest, partial: &partial)
            }
            reserveLanes(usedLanes + Workspace.checkpointInterval * widest)
        }
    }

    /// Re-runs iterations `start` + 1 ..< `end` of loop `r` (a segment
    /// between checkpoints) from the checkpoint `start`, each into a block
    /// and lanes of its own after the forward pass's, so that the reverse
    /// sweep can walk them back: the same particles, the same streams, the
    /// same values.
    func rerun(_ r: Int, from start: Int, to end: Int) {
        let loop = loops[r]
        let template = loop.iterations.count - 1
        var doubles = loopMemory.forwardEnd.doubles, lanesAt = loopMemory.forwardEnd.lanes
        var unused = Partial(plan: plan, histogramBins: 0)
        loopMemory.leavingOf = nil
        defer { quasiShift = 0 }
        for t in (start + 1)..<end {
            let count = loopMemory.laneCount[r][t]
            let iteration = loop.layout(t)
            let before = loop.layout(t - 1)
            reserveLanes(lanesAt + count)
            guard reserveLoopMemory(doubles + iteration.slotCount * count) else { return }
            // Its lanes: iteration t − 1's that go on, in order.
            let earlier = lanes(r, t - 1)
            let alive = loopMemory.values! + loopMemory.blockStart[r][t - 1] + before.alive * loopMemory.blockStride[r][t - 1]
            let ids = loopMemory.lanes! + lanesAt, previous = loopMemory.previous! + lanesAt
            var kept = 0
            for j in 0..<loopMemory.laneCount[r][t - 1] where kept < count {
                ids[kept] = earlier[j]
                previous[kept] = Int32(j)
                kept += alive[j] != 0 ? 1 : 0
            }
            loopMemory.laneStart[r][t] = lanesAt
            loopMemory.blockStart[r][t] = doubles
            loopMemory.blockStride[r][t] = count
            lanesAt += count
            doubles += iteration.slotCount * count
            if t > template {
                let shift = (t - template) * loop.quasiPerIteration
                quasiShift = t < Plan.quasiLoopIterations ? Int32(clamping: shift) : nil
            }
            let block = loopMemory.values! + loopMemory.blockStart[r][t]
            importAndRun(r, t, block: block, stride: count, lanes: ids, count: count, refills: true,
                         chunk: loopMemory.context.chunk, seed: loopMemory.context.seed, draw: loopMemory.context.draw,
                         partial: &unused)
            let adjoint = loopMemory.adjoints! + loopMemory.blockStart[r][t]
            for slot in 0..<iteration.slotCount where iteration.carries[slot] {
                (adjoint + slot * count).update(repeating: 0, count: count)
            }
        }
    }

    /// Iteration t of loop `r` over its `count` lanes: copies in what it
    /// reads from outside its block (the rows the same in every iteration
    /// only when `refills`), then runs its instructions.
    func importAndRun(_ r: Int, _ t: Int, block: UnsafeMutablePointer<Double>, stride S: Int,
                      lanes ids: UnsafeMutablePointer<Int32>, count: Int, refills: Bool, chunk: Int,
                      seed: UInt64, draw: UInt64, partial: inout Partial) {
        let loop = loops[r]
        let iteration = loop.layout(t)
        let C = chunkSize
        // Copy in what it reads from outside.
        for item in iteration.imports {
            let target = block + Int(item.local) * S
            if item.fill != nil || item.uniform, !refills { continue }
            if let fill = item.fill {
                // The mask of this iteration: 1 for every particle running it.
                target.update(repeating: fill, count: count)
            } else if item.uniform {
                // The same in every lane (a constant, a parameter).
                target.update(repeating: values[Int(item.source) * C], count: count)
            } else if item.iteration < 0 {
                let source = values + Int(item.source) * C
                for j in 0..<count { target[j] = source[Int(ids[j])] }
            } else if loop.source(item, iteration: t).iteration == t - 1 {
                let from = loop.source(item, iteration: t).slot
                let source = loopMemory.values! + loopMemory.blockStart[r][t - 1] + from * loopMemory.blockStride[r][t - 1]
                if let leaving = loopMemory.leavingOf, leaving.loop == r, leaving.iteration == t - 1,
                   LoopMemory.fewLeft(leaving.gone, of: leaving.count), let leavers = loopMemory.leaving {
                    // Few left the iteration before: its runs between them, as block copies.
                    LoopMemory.copyRuns(from: source, count: leaving.count, leaving: leavers, gone: leaving.gone,
                                        into: target)
                } else {
                    let previous = loopMemory.previous! + loopMemory.laneStart[r][t]
                    for j in 0..<count { target[j] = source[Int(previous[j])] }
                }
            } else {
                let (u, from) = loop.source(item, iteration: t)
                let source = loopMemory.values! + loopMemory.blockStart[r][u] + from * loopMemory.blockStride[r][u]
                let position = positions(r, u)
                for j in 0..<count { target[j] = source[Int(position[Int(ids[j])])] }
            }
        }
        // Lane j is the particle at position ids[j] of the chunk: its
        // draws are that particle's, whoever else is still in the loop.
        run(UnsafeBufferPointer(loop.forward(t)), chunk: chunk, lanes: count, seed: seed, draw: draw,
            partial: &partial, on: block, stride: S, positions: UnsafePointer(ids))
    }

    /// The reverse sweep of loop `r` over the chunk's first `m` lanes: the
    /// exits' adjoints go to the iteration each particle left in, and back
    /// through the iterations to what they read.
    func reverseLoop(_ r: Int, lanes m: Int, locate: Bool) -> NodeID? {
        let loop = loops[r]
        let C = chunkSize
        guard r < loopMemory.laneStart.count else { return nil }
        if let group = loop.scoreSumGroup, r < loopMemory.sums.count, let sums = loopMemory.sums[r] {
            // The sums of the iterations' parts, times each particle's weight.
            let w = weights + group * C
            for (row, source) in loop.sumSources.enumerated() where carriesSlot[Int(source)] {
                let from = sums + row * C
                let to = adjoints + Int(source) * C
                // Lanes with no sum add −0 (which leaves any value's bits as
                // they are), not 0 × w, which a weight of inf or nan would make nan.
                VectorMath.addWeighted(to, w, from, m)
            }
            return nil
        }
        let run = loopMemory.laneStart[r].count
        if loopMemory.weights == nil, !groupTerms.isEmpty {
            loopMemory.weights = .allocate(capacity: groupTerms.count * C)
        }
        loopMemory.positionsOf = (-1, -1)
        for t in 0..<run {
            let iteration = loop.layout(t)
            let count = loopMemory.laneCount[r][t]
            let adjoint = loopMemory.adjoints! + loopMemory.blockStart[r][t]
            let S = loopMemory.blockStride[r][t]
            for slot in 0..<iteration.slotCount where iteration.carries[slot] {
                (adjoint + slot * S).update(repeating: 0, count: count)
            }
        }
        // Iteration t's reverse sweep; its adjoints for iteration t − 1 are
        // handed back now, or (at a checkpoint whose iteration before is
        // not in memory yet) by handBack(t) once that is re-run.
        func back(_ t: Int, handingBack: Bool) -> NodeID? {
            let iteration = loop.layout(t)
            guard iteration.needsAdjoint else { return nil }
            let count = loopMemory.laneCount[r][t]
            let S = loopMemory.blockStride[r][t]
            let ids = lanes(r, t)
            let block = loopMemory.values! + loopMemory.blockStart[r][t]
            let adjoint = loopMemory.adjoints! + loopMemory.blockStart[r][t]
            // Particles that left here take the exits' adjoints.
            let alive = block + iteration.alive * S
            let last = t + 1 == loop.iterationLimit
            for (e, exit) in loop.exits.enumerated() where exit.carries {
                let local = Int(iteration.exitValues[e])
                guard iteration.carries[local] else { continue }
                let from = adjoints + Int(exit.slot) * C
                let to = adjoint + local * S
                for j in 0..<count { to[j] += alive[j] == 0 || last ? from[Int(ids[j])] : 0 }
            }
            // The score-function weights of its particles.
            let weightRows = loopMemory.weights ?? weights
            for group in iteration.weightGroups {
                let from = weights + Int(group) * C
                let to = weightRows + Int(group) * S
                for j in 0..<count { to[j] = from[Int(ids[j])] }
            }
            if let broken = walk(UnsafeBufferPointer(iteration.backward), lanes: count, locate: locate, values: block,
                                 adjoints: adjoint, carries: iteration.carries, weights: weightRows, stride: S) {
                return broken
            }
            // Imports hand their adjoints back.
            for item in iteration.imports where item.carries && item.iteration < 0 {
                let from = adjoint + Int(item.local) * S
                guard carriesSlot[Int(item.source)] else { continue }
                let to = adjoints + Int(item.source) * C
                for j in 0..<count { to[Int(ids[j])] += from[j] }
            }
            if handingBack { handBack(t) }
            return nil
        }
        // Iteration t's adjoints of what it read from earlier iterations, to their blocks.
        func handBack(_ t: Int) {
            let iteration = loop.layout(t)
            let count = loopMemory.laneCount[r][t]
            let S = loopMemory.blockStride[r][t]
            let ids = lanes(r, t)
            let adjoint = loopMemory.adjoints! + loopMemory.blockStart[r][t]
            for item in iteration.imports where item.carries && item.iteration >= 0 {
                let from = adjoint + Int(item.local) * S
                if loop.source(item, iteration: t).iteration == t - 1 {
                    let slot = loop.source(item, iteration: t).slot
                    let to = loopMemory.adjoints! + loopMemory.blockStart[r][t - 1] + slot * loopMemory.laneCount[r][t - 1]
                    let previous = loopMemory.previous! + loopMemory.laneStart[r][t]
                    for j in 0..<count { to[Int(previous[j])] += from[j] }
                } else {
                    let (u, slot) = loop.source(item, iteration: t)
                    let to = loopMemory.adjoints! + loopMemory.blockStart[r][u] + slot * loopMemory.laneCount[r][u]
                    let position = positions(r, u)
                    for j in 0..<count { to[Int(position[Int(ids[j])])] += from[j] }
                }
            }
        }
        let first = r < loopMemory.checkpointsFrom.count ? loopMemory.checkpointsFrom[r] : .max
        if first < run {
            // Segments from the last: re-run each from its checkpoint, then
            // sweep it back; a checkpoint hands back to the segment before
            // once that is re-run.
            let K = Workspace.checkpointInterval
            var start = first + (run - 1 - first) / K * K
            var waiting: Int?
            while start >= first {
                let end = Swift.min(start + K, run)
                rerun(r, from: start, to: end)
                if let t = waiting { handBack(t) }
                for t in stride(from: end - 1, through: start, by: -1) {
                    if let broken = back(t, handingBack: t != start) { return broken }
                }
                waiting = start
                start -= K
            }
            if let t = waiting { handBack(t) }
            for t in stride(from: first - 1, through: 0, by: -1) {
                if let broken = back(t, handingBack: true) { return broken }
            }
        } else {
            for t in stride(from: run - 1, through: 0, by: -1) {
                if let broken = back(t, handingBack: true) { return broken }
            }
        }
        // Particles that never entered pass the exits' adjoints to the values from before.
        let entering = values + loop.alive * C
        for exit in loop.exits where exit.carries && exit.initial >= 0 && carriesSlot[Int(exit.initial)] {
            let from = adjoints + Int(exit.slot) * C
            let to = adjoints + Int(exit.initial) * C
            for l in 0..<m where entering[l] == 0 { to[l] += from[l] }
        }
        return nil
    }
}
