// StochasticTriples+Loops.swift — stochastic triples through loops of
// random length, where the alternative path may run more iterations than
// the particle's own path, or fewer.
//
// The loop-free form (StochasticTriples.swift) carries the alternative
// beside each value. A loop of random length cannot carry it so: the
// engine runs an iteration only for the particles still in it, and an
// alternative path that goes on after its particle has stopped (or stops
// first) has no iteration to run in. So here the alternative is made in
// two passes, each an ordinary program:
//
//   1. On the particle's path, each flip is a candidate as before, kept by
//      the same rule (a candidate of weight w replaces the one held with
//      probability w / (W + w)). What is kept is not a path but where the
//      flip happened and what it changed: k, the flips counted so far on
//      this path; H, the count at the flip held; V, the outcome the flip
//      gave that draw; W, the total weight.
//   2. The replay: a copy of every node the flip may change, each loop of
//      random length it reaches copied whole (a loop of its own, with its
//      own masks and exits, so it runs its own number of iterations), each
//      draw from the same stream as the original (coupled), and each
//      flipping draw replaced by V where its own count k' is H. Up to the
//      held flip the replay is the particle's path itself (the same
//      numbers), so it counts the same flips in the same order and forces
//      exactly the one held: it is the alternative path.
//
// The derivative is then E[tangent + W · (f on the replay − f)], as before.
// The counts k, k' and the state (H, V, W) are carried through a loop as
// values of its iterations (a repeating loop's template reads them from
// the iteration before) and leave it through exits of their own. Each
// count adds the iteration's mask, so that a loop run as traced (every
// particle through every iteration, masked) counts only the iterations a
// particle runs.

import WiggleCore
import WiggleDistributions

/// Values written along the program's order, through loops of random
/// length: inside a loop, each iteration's last value is a node of that
/// iteration (the next reads it), and on leaving the loop each value
/// leaves through an exit of its own.
final class CarriedState {
    let builder: ProgramBuilder
    /// The values, as last written.
    var parts: [ProgramScalar.Part]
    /// The loop iteration they were last written in (nil: outside loops).
    private var context: LoopTag?
    /// The values as the current loop was entered, and after each iteration.
    private var entry: [ProgramScalar.Part] = []
    private var ends: [Int: [ProgramScalar.Part]] = [:]
    /// Loops already left (the order does not come back to them).
    private var left: Set<Int32> = []

    init(builder: ProgramBuilder, parts: [ProgramScalar.Part]) {
        self.builder = builder
        self.parts = parts
    }

    /// Makes the values readable in iteration `tag` (nil: outside loops).
    func move(to tag: LoopTag?) throws {
        guard context != tag else { return }
        if let current = context {
            if let tag, tag.loop == current.loop, tag.iteration > current.iteration {
                close(current)
                context = tag
                return
            }
            close(current)
            leave(current.loop)
        }
        if let tag {
            let trace = builder.graph.loops[Int(tag.loop)]
            guard !left.contains(tag.loop), !AlternativeReplay.isNested(trace) else {
                throw AlternativeReplay.nestedLoop(at: builder.source)
            }
            entry = parts
            ends = [:]
        }
        context = tag
    }

    /// Leaves any loop: the values as a particle holds them after it.
    func finish() {
        guard let current = context else { return }
        close(current)
        leave(current.loop)
        context = nil
    }

    /// The values after iteration `tag`: nodes of it (never a number,
    /// never a node of an earlier iteration), so that past a repeating
    /// loop's template each iteration reads the one before.
    private func close(_ tag: LoopTag) {
        parts = parts.map { builder.pinned($0, in: tag) }
        ends[Int(tag.iteration)] = parts
    }

    /// An exit per value from loop `loop`: what a particle leaving after t
    /// iterations holds (an iteration without a flip keeps the values).
    private func leave(_ loop: Int32) {
        let trace = builder.graph.loops[Int(loop)]
        var current = entry
        var values = entry.map { [builder.node($0)] }
        for t in 0..<trace.iterations {
            current = ends[t] ?? current
            for index in values.indices { values[index].append(builder.node(current[index])) }
        }
        parts = values.map { .node(builder.exit($0, alive: trace.alive[trace.iterations], loop: Int(loop))) }
        left.insert(loop)
    }
}

/// The alternative path as a replay (see the top of this file).
final class AlternativeReplay {
    let builder: ProgramBuilder
    /// k, H, V, W on the particle's path.
    private let state: CarriedState
    /// The draws that flipped, in order.
    private var draws: Set<NodeID> = []

    init(builder: ProgramBuilder) {
        self.builder = builder
        state = CarriedState(builder: builder, parts: [.number(0), .number(-1), .number(0), .number(0)])
    }

    /// Whether the flips of the `@triple` draws among `order` reach a loop
    /// of random length (or are in one): the replay then carries them.
    static func isNeeded(order: [NodeID], choices: [NodeID: EstimatorChoice], graph: Graph) -> Bool {
        guard !graph.loops.isEmpty else { return false }
        var reached = Set<NodeID>()
        for id in order {
            let node = graph[id]
            let flips = node.op.isSampler && choices[id]?.estimator.mechanism == .triples
            guard flips || node.op.inputs.contains(where: reached.contains) else { continue }
            if node.loop != nil { return true }
            if case .loopExit = node.op { return true }
            reached.insert(id)
        }
        return false
    }

    /// 1 where the particle runs iteration `tag`, in the loop it is in.
    private func running(_ tag: LoopTag?) -> ProgramScalar.Part {
        guard let tag else { return .number(1) }
        return .node(builder.graph.loops[Int(tag.loop)].alive[Int(tag.iteration)])
    }

    /// A loop of random length that holds another, or is held by one: not carried yet.
    static func isNested(_ trace: LoopTrace) -> Bool { trace.enclosing != nil || trace.holdsLoops }

    /// Why the replay stops at such a loop, about node `id`.
    static func nestedLoop(at id: NodeID) -> DerivativeProgramError {
        DerivativeProgramError(message: "stochastic triples do not run through a loop of random length inside another yet", node: id)
    }

    /// Draw `id`'s flips, each a candidate for the flip the particle holds.
    func flip(_ id: NodeID, _ flips: [(rate: ProgramScalar.Part, to: ProgramScalar.Part)]) throws {
        let tag = builder.graph[id].loop
        try state.move(to: tag)
        let runs = running(tag)
        var held = state.parts[1], value = state.parts[2], weight = state.parts[3]
        let count = builder.binary(.add, state.parts[0], runs)
        for (index, candidate) in flips.enumerated() {
            // An iteration a particle does not run (a loop run as traced) flips nothing.
            let rate = builder.select(runs, candidate.rate, .number(0))
            let total = builder.binary(.add, weight, rate)
            guard let coin = builder.choiceCoin(for: id, candidate: index) else { return }
            let takes = builder.binary(.less, builder.binary(.multiply, coin, total), rate)
            value = builder.select(takes, candidate.to, value)
            held = builder.select(takes, count, held)
            weight = total
        }
        state.parts = [count, held, value, weight]
        draws.insert(id)
    }

    /// W · (root on the replay − root), or nil where no flip reaches it:
    /// the replay appended after the particle's path.
    func jump(_ root: NodeID, order: [NodeID]) throws -> ProgramScalar.Part? {
        guard !draws.isEmpty else { return nil }
        builder.graph.currentLoop = nil
        state.finish()
        let (held, value, weight) = (state.parts[1], state.parts[2], state.parts[3])
        let graph = builder.graph
        // The loop each exit leaves, and where each mask is.
        var exitLoop: [NodeID: Int32] = [:]
        var masks: [NodeID: (loop: Int32, iteration: Int)] = [:]
        for (index, trace) in graph.loops.enumerated() {
            for exit in trace.exits { exitLoop[exit.exit] = Int32(index) }
            for (t, alive) in trace.alive.enumerated() { masks[alive] = (Int32(index), t) }
        }
        // What the flip may change: a loop it reaches, whole.
        var reached = draws
        var loops = Set<Int32>()
        var grew = true
        while grew {
            grew = false
            for id in order where !reached.contains(id) {
                let node = graph[id]
                var hit = node.op.inputs.contains(where: reached.contains)
                if let tag = node.loop, loops.contains(tag.loop) { hit = true }
                if let loop = exitLoop[id], loops.contains(loop) { hit = true }
                guard hit else { continue }
                reached.insert(id)
                if let tag = node.loop, loops.insert(tag.loop).inserted { grew = true }
            }
        }
        guard reached.contains(root) else { return nil }
        var map: [NodeID: NodeID] = [:]
        var copies: [Int32: Int] = [:]
        let counter = CarriedState(builder: builder, parts: [.number(0)])
        func copyOfLoop(_ loop: Int32) throws -> Int {
            if let known = copies[loop] { return known }
            let original = builder.graph.loops[Int(loop)]
            guard !AlternativeReplay.isNested(original) else { throw AlternativeReplay.nestedLoop(at: builder.source) }
            var copy = LoopTrace(site: original.site, limit: original.limit)
            // Its masks as the replay has them (the first may be copied already).
            copy.alive = original.alive.map { map[$0] ?? $0 }
            copy.stop = original.stop
            copy.repetition = original.repetition
            copy.repetition?.carried = []
            let index = builder.graph.loops.count
            builder.graph.loops.append(copy)
            copies[loop] = index
            return index
        }
        for id in order where reached.contains(id) {
            let node = builder.graph[id]
            builder.site = node.site
            builder.source = id
            var tag: LoopTag?
            if let original = node.loop {
                tag = LoopTag(loop: try copyOfLoop(original.loop), iteration: Int(original.iteration))
            }
            if case .loopExit = node.op, let loop = exitLoop[id],
               let exit = graph.loops[Int(loop)].exits.first(where: { $0.exit == id }) {
                let copy = try copyOfLoop(loop)
                let alive = builder.graph.loops[copy].alive
                builder.graph.currentLoop = nil
                map[id] = builder.exit(exit.values.map { map[$0] ?? $0 }, alive: alive[alive.count - 1], loop: copy)
                continue
            }
            builder.graph.currentLoop = tag
            let op = node.op.mappingInputs { map[$0] ?? $0 }
            let copy = builder.graph.appendCopy(of: node, op: op, stream: node.op.isSampler ? node.stream : nil, loop: tag)
            builder.note(copy)
            map[id] = copy
            if let (loop, t) = masks[id], let index = copies[loop] {
                builder.graph.loops[index].alive[t] = copy
            }
            if draws.contains(id) {
                // The held flip: where the replay's count is H, the draw gives V.
                try counter.move(to: tag)
                builder.graph.currentLoop = tag
                let count = builder.binary(.add, counter.parts[0], running(tag))
                counter.parts = [count]
                map[id] = builder.node(builder.select(builder.binary(.equal, count, held), value, .node(copy)))
            }
        }
        builder.graph.currentLoop = nil
        builder.site = builder.graph[root].site
        builder.source = root
        let replayed = map[root] ?? root
        return builder.binary(.multiply, weight, builder.binary(.subtract, .node(replayed), .node(root)))
    }
}
