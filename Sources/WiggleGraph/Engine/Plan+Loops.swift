// Plan+Loops.swift — loops of random length in a plan.
//
// The tracer unrolls such a loop up to its limit (Graph.loops): iteration t
// runs for the particles whose mask alive[t] is 1 and keeps the others'
// values with `select`. Run as traced, every particle would pay for every
// iteration. Instead the plan takes each iteration's per-particle nodes out
// of the main slots into a block of its own, and the engine runs iteration
// t over the particles still running it, gathered into the first lanes:
// what an iteration reads from outside its block is copied in (an import),
// and on the way back its adjoint is added to where it came from. A
// particle leaves when its mask drops to 0, and its values are written to
// the loop's exits in its own lane. The cost follows the iterations run.

import WiggleCore
import WiggleDistributions

/// How a plan numbers its slots: the main slots first, then the nodes of
/// loop iterations (which the loop's blocks renumber).
struct LoopNumbering {
    /// The slot of each node of the order, by position.
    var slots: [Int32]
    /// How many slots the main buffer has.
    var mainCount: Int
    /// True when the iterations of some loop run in blocks of their own.
    var hasRegions: Bool

    init(graph: Graph, order: [NodeID], roots: [NodeID]) {
        // A loop holding loops runs as traced, in the main slots.
        func local(_ id: NodeID) -> Bool {
            guard let tag = graph[id].loop, graph[id].isRandom else { return false }
            return Int(tag.loop) >= graph.loops.count || !graph.loops[Int(tag.loop)].holdsLoops
        }
        var regions = order.contains(where: local)
        if regions {
            // Only a loop's exits read its iterations' nodes (an objective
            // inside a loop, or anything else, runs the loop unrolled).
            let localSet = Set(order.filter(local))
            outer: for id in order where !localSet.contains(id) {
                if case .loopExit = graph[id].op { continue }
                for input in graph[id].op.inputs where localSet.contains(input) {
                    regions = false
                    break outer
                }
            }
            if roots.contains(where: localSet.contains) { regions = false }
            regions = regions && LoopNumbering.consistent(graph: graph, order: order, locals: localSet)
        }
        var slots = [Int32](repeating: 0, count: order.count)
        var next: Int32 = 0
        for (position, id) in order.enumerated() where !(regions && local(id)) {
            slots[position] = next
            next += 1
        }
        mainCount = Int(next)
        if regions {
            for (position, id) in order.enumerated() where local(id) {
                slots[position] = next
                next += 1
            }
        }
        self.slots = slots
        hasRegions = regions
    }

    /// True when the loops' records agree with the nodes: an iteration
    /// reads only its loop's earlier iterations and the main slots, every
    /// exit is recorded, and every mask and value an exit needs is there.
    static func consistent(graph: Graph, order: [NodeID], locals: Set<NodeID>) -> Bool {
        let inOrder = Set(order)
        for id in locals {
            guard let tag = graph[id].loop, Int(tag.loop) < graph.loops.count else { return false }
            for input in graph[id].op.inputs where locals.contains(input) {
                guard let other = graph[input].loop, other.loop == tag.loop, other.iteration <= tag.iteration else { return false }
            }
        }
        for id in order {
            guard case .loopExit(let value, _) = graph[id].op, locals.contains(value),
                  let tag = graph[value].loop else { continue }
            let trace = graph.loops[Int(tag.loop)]
            guard let exit = trace.exits.first(where: { $0.exit == id }), exit.values.count == trace.alive.count,
                  trace.alive.allSatisfy(inOrder.contains),
                  exit.values.dropFirst().allSatisfy(inOrder.contains) else { return false }
            // The value before the loop is needed where a particle may skip it.
            if !inOrder.contains(exit.values[0]) {
                guard case .constant(let entering) = graph[trace.alive[0]].op, entering != 0 else { return false }
            }
        }
        return true
    }
}

/// What an iteration reads from outside its block: `source` (a main slot,
/// or a slot of an earlier iteration's block) copied into `local`.
public struct LoopImport: Sendable {
    /// The slot read: of the main buffer when `iteration` is -1, else of that iteration's block.
    public var source: Int32
    /// The iteration whose block holds it, or -1 for the main buffer.
    public var iteration: Int32
    /// The slot of this iteration's block it is copied to.
    public var local: Int32
    /// Whether it carries a derivative (its adjoint goes back to the source).
    public var carries: Bool
    /// True when the source is the same in every particle (a constant, a
    /// parameter, or computed from them alone): copied without gathering.
    public var uniform: Bool
    /// A value to fill the slot with instead (the iteration's own mask, 1).
    public var fill: Double? = nil
    /// In a repeating loop's template, for an import from the iteration
    /// before it: the slot of the counterpart in the template's own block,
    /// which the iterations after the template read from the one before.
    public var repeatSource: Int32 = -1
}

/// One iteration of a loop of random length, numbered in its own block.
public struct LoopIteration: Sendable {
    /// Its instructions, reading and writing slots of its block.
    public var instructions: [Instruction]
    /// The slots of its block.
    public var slotCount: Int
    /// What it reads from outside its block.
    public var imports: [LoopImport]
    /// The slot of the mask after it: 0 for a particle that stops here.
    public var alive: Int32
    /// Per exit of the loop: the slot of the value a particle leaving here takes.
    public var exitValues: [Int32]
    /// Which slots of its block carry a derivative.
    public var carries: [Bool]
    /// The weight groups its score-function draws read.
    public var weightGroups: [Int32]
    /// True when its reverse sweep has something to do.
    public var needsAdjoint: Bool
}

/// A loop of random length as the engine runs it.
public struct LoopRegion: Sendable {
    /// Its row in ``Graph/loops``.
    public var loop: Int
    /// A node of it, for messages (where it is).
    public var node: NodeID
    /// The main slot of the mask before the first iteration.
    public var alive: Int32
    /// Its iterations, as traced (up to the limit).
    public var iterations: [LoopIteration]
    /// The values leaving it: the main slot written, the main slot of the
    /// value before the loop (-1 when every particle enters it), and
    /// whether it carries a derivative.
    public var exits: [(slot: Int32, initial: Int32, carries: Bool)]
    /// The exits' nodes, in the order of `exits`.
    public var exitNodes: [NodeID] = []
    /// True when particles may still run after the last iteration (an error).
    public var checksLimit: Bool
    /// The limit it was traced with, for the message.
    public var limit: Int
    /// True when the reverse sweep must visit it.
    public var needsAdjoint: Bool
    /// When its last iteration traced stands for the ones after it: how.
    public var repetition: LoopRepetition? = nil
    /// When its only derivatives are score-function terms of one weight
    /// group whose parameters come from outside it (nothing it carries from
    /// one iteration to the next, or out through an exit, carries a
    /// derivative): that group. Each iteration's part then adds up as the
    /// loop runs, with a weight of 1, and the reverse sweep multiplies the
    /// sums by the weight: no per-iteration tape.
    public var scoreSumGroup: Int32? = nil
    /// The iterations it may run: those traced, or the repetition's.
    public var iterationLimit: Int { repetition?.iterations ?? iterations.count }
}

extension Plan {
    /// The nodes of an iteration before a repeating loop's template whose
    /// counterparts in the template a wanted parameter may reach: the
    /// template reads them in its first run and its counterparts in later
    /// ones, so they count as carrying a derivative (more than they need,
    /// never less).
    static func carriedAroundRepetitions(graph: Graph, order: [NodeID], wanted: Set<Int>,
                                         estimators: [NodeID: EstimatorChoice]) -> Set<NodeID> {
        let pairs = graph.loops.flatMap { $0.repetition?.carried ?? [] }
        guard !pairs.isEmpty, !wanted.isEmpty else { return [] }
        let wraps = graph.repetitionInputs()
        var reached = Set<NodeID>()
        var changed = true
        while changed {
            changed = false
            for id in order where !reached.contains(id) {
                let reaches: Bool
                if case .parameter(let index) = graph[id].op {
                    reaches = wanted.contains(index)
                } else if graph[id].op.isSampler {
                    // A draw's value carries a derivative only when it is pathwise (as in the plan).
                    let choice = estimators[id] ?? EstimatorChoice.default(for: graph[id])
                    reaches = (choice.estimator == .pathwise || choice.split != nil)
                        && (graph[id].op.inputs + (wraps[id] ?? [])).contains(where: reached.contains)
                } else {
                    reaches = (graph[id].op.inputs + (wraps[id] ?? [])).contains(where: reached.contains)
                }
                if reaches {
                    reached.insert(id)
                    changed = true
                }
            }
        }
        return Set(pairs.filter { reached.contains($0.current) }.map(\.previous))
    }

    /// Takes the iterations of loops of random length out of the main
    /// instructions into their blocks. `instructions` keep global slots
    /// (iteration nodes numbered from `mainCount` up); each loop becomes one
    /// `.loop` instruction where its last node was, and its exits go. Rows of
    /// `pickTables` and `randomCalls` used by iterations are renumbered in place.
    static func extractLoops(graph: Graph, order: [NodeID], slotOf: [Int32], mainCount: Int,
                             carries: [Bool], instructions: [Instruction],
                             pickTables: inout [[Int32]], randomCalls: inout [RandomCallLayout]) -> ([Instruction], [LoopRegion]) {
        func slot(_ id: NodeID) -> Int32 { Int(id.index) < slotOf.count ? slotOf[Int(id.index)] : -1 }
        // Main slots the same in every particle: constants, parameters and what is computed from them.
        let uniformSlots = Set(order.filter { !graph[$0].isRandom }.map(slot))
        // Where each iteration slot lives: its iteration and its block slot.
        var home: [Int32: (iteration: Int32, local: Int32)] = [:]
        var byLoop: [Int32: [Int32: [Instruction]]] = [:]
        var lastIndex: [Int32: Int] = [:]
        for (index, instruction) in instructions.enumerated() where instruction.out >= Int32(mainCount) {
            guard let tag = graph[instruction.node].loop else { continue }
            byLoop[tag.loop, default: [:]][tag.iteration, default: []].append(instruction)
            lastIndex[tag.loop] = index
        }
        var regions: [LoopRegion] = []
        var regionOfLoop: [Int32: Int] = [:]
        for loop in byLoop.keys.sorted() {
            let trace = graph.loops[Int(loop)]
            let exits = trace.exits.filter { slot($0.exit) >= 0 }
            let count = trace.iterations
            var iterations: [LoopIteration] = []
            // A repeating loop's template reads the counterparts of what it reads from the iteration before.
            let repeating = trace.repetition.map { $0.template + 1 == count && $0.consistent } ?? false
            var counterpart: [Int32: Int32] = [:]
            for pair in trace.repetition?.carried ?? [] where slot(pair.previous) >= 0 && slot(pair.current) >= 0 {
                counterpart[slot(pair.previous)] = slot(pair.current)
            }
            for t in 0..<count {
                let isTemplate = repeating && t + 1 == count
                let body = byLoop[loop]?[Int32(t)] ?? []
                var local: [Int32: Int32] = [:]
                var blockCarries: [Bool] = []
                for instruction in body {
                    local[instruction.out] = Int32(blockCarries.count)
                    home[instruction.out] = (Int32(t), Int32(blockCarries.count))
                    blockCarries.append(carries[Int(instruction.out)])
                }
                var imports: [LoopImport] = []
                var pendingRepeats: [(Int, Int32)] = []
                // Every particle running iteration t has alive[t] = 1.
                let entering = slot(trace.alive[t])
                /// The block slot holding global slot `s` (imported when it lives elsewhere).
                func resolve(_ s: Int32) -> Int32 {
                    guard s >= 0 else { return s }
                    if let existing = local[s] { return existing }
                    let into = Int32(blockCarries.count)
                    let carried = carries[Int(s)]
                    if s == entering {
                        var mask = LoopImport(source: s, iteration: -1, local: into, carries: false, uniform: true)
                        mask.fill = 1
                        imports.append(mask)
                    } else if let source = home[s] {
                        let item = LoopImport(source: source.local, iteration: source.iteration, local: into,
                                              carries: carried, uniform: false)
                        if isTemplate, let current = counterpart[s] { pendingRepeats.append((imports.count, current)) }
                        imports.append(item)
                    } else {
                        imports.append(LoopImport(source: s, iteration: -1, local: into, carries: carried,
                                                  uniform: uniformSlots.contains(s)))
                    }
                    local[s] = into
                    blockCarries.append(carried)
                    return into
                }
                // So a select on it is its first choice: an alias, not an instruction.
                var renumbered: [Instruction] = []
                for var instruction in body {
                    if instruction.code == .select, instruction.c == entering, instruction.a >= 0 {
                        let chosen = resolve(instruction.a)
                        local[instruction.out] = chosen
                        home[instruction.out] = (Int32(t), chosen)
                        continue
                    }
                    instruction.a = resolve(instruction.a)
                    instruction.b = resolve(instruction.b)
                    instruction.c = resolve(instruction.c)
                    if instruction.code == .pick {
                        let row = Int(instruction.table)
                        pickTables[row] = pickTables[row].map(resolve)
                    } else if instruction.code == .random {
                        let row = Int(instruction.table)
                        randomCalls[row].parameterSlots = randomCalls[row].parameterSlots.map(resolve)
                    }
                    instruction.out = local[instruction.out] ?? instruction.out
                    renumbered.append(instruction)
                }
                // The counterparts' slots, once aliases are known.
                for (index, current) in pendingRepeats { imports[index].repeatSource = local[current] ?? -1 }
                let alive = resolve(slot(trace.alive[t + 1]))
                let exitValues = exits.map { resolve(slot($0.values[t + 1])) }
                let groups = Set(renumbered.compactMap { instruction -> Int32? in
                    guard instruction.code == .random, instruction.needsAdjoint, instruction.estimator == .score else { return nil }
                    let group = randomCalls[Int(instruction.table)].weightGroup
                    return group >= 0 ? group : nil
                })
                let needsAdjoint = renumbered.contains(where: \.needsAdjoint) || imports.contains(where: \.carries)
                iterations.append(LoopIteration(instructions: renumbered, slotCount: blockCarries.count, imports: imports,
                                                alive: alive, exitValues: exitValues, carries: blockCarries,
                                                weightGroups: groups.sorted(), needsAdjoint: needsAdjoint))
            }
            let exitSlots = exits.map { exit -> (slot: Int32, initial: Int32, carries: Bool) in
                (slot(exit.exit), slot(exit.values[0]), carries[Int(slot(exit.exit))])
            }
            let lastAlive = trace.alive[count]
            var checksLimit = true
            if case .constant(let value) = graph[lastAlive].op, value == 0 { checksLimit = false }
            // A loop over a known range ends for every particle after its
            // iterations, unless it cannot be repeated (then the particles
            // still in it are the error that says so).
            if trace.repetition?.exhausts == true { checksLimit = !repeating }
            let node = exits.first?.exit ?? trace.alive[count]
            regionOfLoop[loop] = regions.count
            var region = LoopRegion(loop: Int(loop), node: node, alive: slot(trace.alive[0]), iterations: iterations,
                                    exits: exitSlots, exitNodes: exits.map(\.exit), checksLimit: checksLimit, limit: trace.limit,
                                    needsAdjoint: iterations.contains(where: \.needsAdjoint) || exitSlots.contains(where: \.carries))
            if region.needsAdjoint, !exitSlots.contains(where: \.carries),
               !iterations.contains(where: { $0.imports.contains { $0.iteration >= 0 && $0.carries } }) {
                let groups = Set(iterations.flatMap(\.weightGroups))
                if groups.count == 1 { region.scoreSumGroup = groups.first }
            }
            // Every import of the template from the iteration before must have
            // its counterpart in the template, or the loop cannot repeat it.
            if repeating, let template = iterations.last,
               template.imports.allSatisfy({ $0.iteration != Int32(count - 2) || $0.repeatSource >= 0 }) {
                region.repetition = trace.repetition
            }
            regions.append(region)
        }
        // The main list: iteration instructions and exits go, each loop's
        // instruction stands where its last node was.
        var exitOf: Set<Int32> = []
        for region in regions { for exit in region.exits { exitOf.insert(exit.slot) } }
        var main: [Instruction] = []
        for (index, instruction) in instructions.enumerated() {
            if instruction.code == .loopExit && exitOf.contains(instruction.out) { continue }
            if instruction.out >= Int32(mainCount) {
                guard let tag = graph[instruction.node].loop, lastIndex[tag.loop] == index,
                      let row = regionOfLoop[tag.loop] else { continue }
                var placeholder = Instruction(code: .loop, out: -1, a: -1, b: -1, c: -1, node: regions[row].node,
                                              estimator: .pathwise, needsAdjoint: regions[row].needsAdjoint)
                placeholder.table = Int32(row)
                main.append(placeholder)
                continue
            }
            main.append(instruction)
        }
        return (runsLoopsInOrder(main, regions: regions, pickTables: pickTables, randomCalls: randomCalls), regions)
    }

    /// The main instructions in an order where each loop runs after
    /// everything it reads and before everything that reads its exits: a
    /// program written from the loop later (a derivative's tangents, which
    /// enter its iterations) can put a loop's last node after a reader of
    /// its exits. Otherwise the order of the graph, which is topological.
    static func runsLoopsInOrder(_ main: [Instruction], regions: [LoopRegion], pickTables: [[Int32]],
                                 randomCalls: [RandomCallLayout]) -> [Instruction] {
        guard !regions.isEmpty else { return main }
        var producer: [Int32: Int] = [:]
        for (index, instruction) in main.enumerated() {
            if instruction.code == .loop {
                for exit in regions[Int(instruction.table)].exits { producer[exit.slot] = index }
            } else if instruction.out >= 0 {
                producer[instruction.out] = index
            }
        }
        func reads(_ instruction: Instruction) -> [Int32] {
            switch instruction.code {
            case .loop:
                let region = regions[Int(instruction.table)]
                var slots = [region.alive] + region.exits.map(\.initial)
                for iteration in region.iterations {
                    slots += iteration.imports.filter { $0.iteration < 0 && $0.fill == nil }.map(\.source)
                }
                return slots
            case .pick: return [instruction.a] + pickTables[Int(instruction.table)]
            case .random: return randomCalls[Int(instruction.table)].parameterSlots
            default: return [instruction.a, instruction.b, instruction.c]
            }
        }
        // Kahn's algorithm, taking the earliest ready instruction each time.
        var waiting = [Int](repeating: 0, count: main.count)
        var dependants = [[Int]](repeating: [], count: main.count)
        for (index, instruction) in main.enumerated() {
            for slot in Set(reads(instruction)) where slot >= 0 {
                guard let source = producer[slot], source != index else { continue }
                waiting[index] += 1
                dependants[source].append(index)
            }
        }
        var ready = MinHeap(main.indices.filter { waiting[$0] == 0 })
        var ordered: [Instruction] = []
        ordered.reserveCapacity(main.count)
        while let index = ready.pop() {
            ordered.append(main[index])
            for next in dependants[index] {
                waiting[next] -= 1
                if waiting[next] == 0 { ready.push(next) }
            }
        }
        // A cycle cannot happen (the graph is acyclic); keep the graph's order if it did.
        return ordered.count == main.count ? ordered : main
    }
}

/// A binary heap of integers, smallest first.
struct MinHeap {
    private var items: [Int] = []

    init(_ values: [Int]) {
        for value in values { push(value) }
    }

    mutating func push(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count, items[left] < items[smallest] { smallest = left }
                if right < items.count, items[right] < items[smallest] { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
