// Tracer+Loops.swift — loops, and control flow that differs between
// particles: a `while` whose condition is random, a `for` over a range
// with a random bound, `break` and `continue` under a traced condition, and
// `return` under one.
//
// A deterministic loop runs as it always has: its iterations are traced one
// after another. A loop becomes random when its condition is a traced value,
// or when a `break`/`continue` happens in some particles only. From there it
// is unrolled iteration by iteration, each iteration tagged in the graph
// (Graph.loops): a mask alive[t] says which particles run iteration t, and at
// its end every name the iteration changed is merged, per particle, from
// where the particle left (a `break`, a `continue`, or the end of the body)
// and from before the iteration for particles that did not run it. The loop
// is unrolled until its mask is 0 for certain (the condition turns false
// while tracing) or up to the loop limit; at the end each value leaving it
// goes through a `loopExit` node, where particles still running are an
// error. The engine runs each iteration only for the particles still running
// it (Plan+Loops.swift), so the cost follows the work done.

import WiggleGraph
import WiggleSyntax

/// A loop in progress.
final class LoopFrame {
    /// The scope the loop runs in (its body binds names there).
    let scope: Scope
    /// Where the loop's errors point: its condition, or its range.
    let range: SourceRange
    /// False for a loop over a list or a range with known bounds, which
    /// ends by itself; the others stop at the loop limit.
    let limited: Bool
    /// The number of traced conditions entered outside the loop.
    let pathDepth: Int
    /// Iterations traced so far (before and after the loop became random).
    var iterationsRun = 0

    /// True once the loop is random, and its row in the graph's loops.
    var random = false
    var loopIndex = -1
    /// Iterations traced since it became random.
    var iteration = 0
    /// The mask of the iteration being traced (nil: every particle runs it).
    var alive: NodeID?
    /// alive[t] for every iteration so far.
    var aliveNodes: [NodeID] = []
    /// The bindings after each iteration; `history[0]` from where it became random.
    var history: [[String: Value]] = []
    /// The bindings at the start of the iteration being traced, before
    /// the loop bound its variable for it: what a particle that does not
    /// run the iteration keeps (its loop variable included).
    var before: [String: Value] = [:]
    /// The bindings before the last readying of an iteration (a `for`
    /// binds its variable then).
    var beforeAdvance: [String: Value] = [:]

    /// The depth of the loop's address frame.
    var addressDepth = 0
    /// For a `for` over a range known while tracing: its variable and its
    /// number of iterations (such a loop may stop being traced when its
    /// iterations repeat one shape: Tracer.repeatsDeterministicLoop).
    var variable: String?
    var knownCount: Int?
    var lastValue: Double?
    /// While it is traced deterministically: the node count at the start
    /// of each of its last iterations, the bindings before each, and
    /// whether anything made it unfit to repeat (its variable read, a
    /// display, a parameter declared).
    var starts: [Int] = []
    var bindingsBefore: [[String: Value]] = []
    var unfit = false
    var outputsAtStart = 0
    var parametersAtStart = 0
    /// Whether the loop can end other than by a return: its condition was
    /// ever not plainly true, or a `break` left it.
    var endsOtherwise = false
    /// The graph's node count at the start of each iteration since the loop became random.
    var iterationStarts: [Int] = []
    /// The parameters reaching each node of the last iterations (for the
    /// check that two iterations have the same shape).
    var reaching: [NodeID: Set<Int>] = [:]

    /// This iteration's `break`s and `continue`s under traced conditions:
    /// which particles, and the bindings they leave with.
    var breaks: [(condition: NodeID, values: [String: Value])] = []
    var continues: [(condition: NodeID, values: [String: Value])] = []
    /// The particles that left this iteration so far, and those that broke out.
    var left: NodeID?
    var broke: NodeID?

    init(scope: Scope, range: SourceRange, limited: Bool, pathDepth: Int) {
        self.scope = scope
        self.range = range
        self.limited = limited
        self.pathDepth = pathDepth
    }
}

/// A call of a user function in progress: its `return`s under traced conditions.
final class FunctionFrame {
    /// The number of traced conditions and loops entered outside the call.
    let pathDepth: Int
    let loopDepth: Int
    /// Which particles returned early, and what they returned.
    var returns: [(condition: NodeID, value: Value)] = []
    var left: NodeID?
    /// Where the first such return is, for messages.
    var firstReturn: SourceRange?
    /// True when the code after the last return ran for no particle: a loop
    /// that only a return leaves (`while true { ... return ... }`).
    var endsByReturn = false

    init(pathDepth: Int, loopDepth: Int) {
        self.pathDepth = pathDepth
        self.loopDepth = loopDepth
    }
}

extension Tracer {
    // MARK: Running loops

    /// Runs a loop. `advance` readies the next iteration (binding what it
    /// needs) and says whether it runs: a boolean, or a traced value when
    /// some particles run it and others not.
    func runLoop(_ frame: LoopFrame, body: Block, statement: Stmt, advance rawAdvance: () throws -> Value) throws -> Flow {
        loopFrames.append(frame)
        // Draws are addressed by loop and iteration: iteration t's frame
        // holds its condition's draws and its body's.
        let addressDepth = interpreter.graph.addresses.depth
        frame.addressDepth = addressDepth
        interpreter.graph.addresses.enter(.loop)
        var iterationNumber: UInt64 = 0
        interpreter.graph.addresses.enter(.iteration, index: 0)
        // The outermost loop notes where its draws are in their iterations.
        let records = interpreter.graph.addresses.recordingLoop == nil && interpreter.graph.currentLoop == nil
        if records { interpreter.graph.addresses.recordingLoop = addressDepth }
        defer {
            loopFrames.removeLast()
            if frame.random {
                interpreter.graph.currentLoop = interpreter.graph.loops[frame.loopIndex].enclosing
            }
            if records || frame.random { interpreter.graph.addresses.stopRecording() }
            interpreter.graph.addresses.truncate(to: addressDepth)
        }
        var readied = false
        // Readies the next iteration (binding a `for`'s variable), first
        // noting what the particles that do not run it keep.
        func advance() throws -> Value {
            frame.beforeAdvance = frame.scope.values
            if readied {
                iterationNumber += 1
                interpreter.graph.addresses.leave()
                interpreter.graph.addresses.enter(.iteration, index: iterationNumber)
            }
            readied = true
            return try rawAdvance()
        }
        var condition = try advance()
        while true {
            if !frame.random {
                if case .node(let id) = condition {
                    try becomeRandom(frame, entering: id)
                } else if try !interpreter.truth(condition, at: frame.range) {
                    return .normal
                }
            }
            try interpreter.atSafePoint(statement.range)
            if !frame.random { noteStart(frame) }
            let flow: Flow
            if frame.random, frame.alive != nil {
                // Only some particles run this iteration: an error tracing it
                // is theirs, reported when a run finds any of them, and the
                // loop is traced no further.
                do {
                    flow = try interpreter.execute(body, in: frame.scope)
                } catch let error as RuntimeError where error.isValueError {
                    try stopRandomLoop(frame, because: error)
                    return .normal
                }
            } else {
                flow = try interpreter.execute(body, in: frame.scope)
            }
            if !frame.random {
                frame.iterationsRun += 1
                switch flow {
                case .returned: return flow
                case .broke: return .normal
                case .continued: frame.unfit = true
                case .normal: break
                }
                if interpreter.repeatsLoops, try repeatsDeterministicLoop(frame) { return .normal }
                condition = try advance()
                continue
            }
            var everyoneBroke = false
            switch flow {
            case .returned(let value, let range):
                // The particles still in the body all return here: they
                // leave the loop, and the function with `value`.
                let condition = try leaveCondition(frame, depth: frame.pathDepth)
                frame.breaks.append((condition, try returning(value, from: frame, at: range)))
                everyoneBroke = true
            case .broke:
                // The particles still in the body all leave here.
                frame.breaks.append((try leaveCondition(frame, depth: frame.pathDepth), frame.scope.values))
                frame.endsOtherwise = true
                everyoneBroke = true
            case .continued, .normal:
                break
            }
            guard try endIteration(frame, everyoneBroke: everyoneBroke, advance: advance) else { break }
        }
        try finishRandomLoop(frame)
        try passReturnsOut(of: frame)
        return .normal
    }

    /// `while COND { }`.
    func executeWhile(_ conditionExpr: Expr, _ body: Block, statement: Stmt, in scope: Scope) throws -> Flow {
        let frame = LoopFrame(scope: scope, range: conditionExpr.range, limited: true, pathDepth: pathConditions.count)
        return try runLoop(frame, body: body, statement: statement) {
            try self.interpreter.evaluate(conditionExpr, in: scope)
        }
    }

    /// `for i in A..B { }`: bounds known while tracing count as always; a
    /// traced bound runs each particle to its own.
    func executeRangeFor(_ variable: Identifier, _ lowExpr: Expr, _ highExpr: Expr, _ body: Block, statement: Stmt,
                         in scope: Scope) throws -> Flow {
        let low = try interpreter.evaluate(lowExpr, in: scope)
        let high = try interpreter.evaluate(highExpr, in: scope)
        let traced = low.isNode || high.isNode
        let bound = low.isNode ? lowExpr.range : highExpr.range
        let lowNumber = traced ? 0 : try interpreter.wholeNumber(low, what: "the start of a range", at: lowExpr.range)
        let highNumber = traced ? 0 : try interpreter.wholeNumber(high, what: "the end of a range", at: highExpr.range)
        if traced {
            // A traced bound must be a whole number in every particle; like a
            // known one, it is taken as counted from the start.
            if !low.isNode { _ = try interpreter.wholeNumber(low, what: "the start of a range", at: lowExpr.range) }
            if !high.isNode { _ = try interpreter.wholeNumber(high, what: "the end of a range", at: highExpr.range) }
        }
        let range = SourceRange(start: lowExpr.range.start, end: highExpr.range.end)
        let frame = LoopFrame(scope: scope, range: traced ? range : bound, limited: traced, pathDepth: pathConditions.count)
        if !traced {
            frame.variable = variable.name
            frame.knownCount = max(0, highNumber - lowNumber)
            frame.lastValue = Double(highNumber - 1)
        }
        defer { if interpreter.watchedName == variable.name { interpreter.watchedName = nil } }
        var next = 0
        return try runLoop(frame, body: body, statement: statement) {
            defer { next += 1 }
            if !traced {
                let i = lowNumber + next
                guard i < highNumber else { return .boolean(false) }
                self.interpreter.bind(variable.name, .number(Double(i)), in: scope)
                return .boolean(true)
            }
            let i = try self.interpreter.binary(.add, low, .number(Double(next)), at: range, left: lowExpr.range, right: lowExpr.range)
            self.interpreter.bind(variable.name, i, in: scope)
            return try self.interpreter.binary(.less, i, high, at: range, left: lowExpr.range, right: highExpr.range)
        }
    }

    // MARK: Random mode

    /// Makes a loop random from here: `entering` says which particles run
    /// the coming iteration (nil: all, when a `break` or `continue` in some
    /// particles made it random mid-iteration).
    func becomeRandom(_ frame: LoopFrame, entering: NodeID?) throws {
        // Inside another random loop, that loop's iterations run as traced
        // (every particle, masked) and this one runs as a loop.
        let enclosing = interpreter.graph.currentLoop
        if let outer = enclosing { interpreter.graph.loops[Int(outer.loop)].holdsLoops = true }
        // Only the particles that reach the loop enter it: those on the
        // traced path, in the enclosing loops' iteration, not yet returned.
        var alive = try reachingHere(besides: frame, at: frame.range)
        if let entering {
            let running = try nodeID(try makeNode(.select(entering, constantNode(1), constantNode(0)), at: frame.range),
                                     what: "a loop condition", at: frame.range)
            alive = try alive.map { try both($0, running, at: frame.range) } ?? running
        }
        frame.random = true
        frame.loopIndex = interpreter.graph.loops.count
        var trace = LoopTrace(site: site(frame.range), limit: interpreter.settings.loopLimit)
        trace.enclosing = enclosing
        interpreter.graph.loops.append(trace)
        frame.alive = alive
        let first = alive ?? constantNode(1)
        interpreter.graph.label(first, "alive")
        frame.aliveNodes = [first]
        // At a traced condition, a particle that does not run the coming
        // iteration keeps what it held before the loop readied it (a `for`
        // has bound its variable already); mid-iteration, every particle is in it.
        let entry = entering == nil ? frame.scope.values : frame.beforeAdvance
        frame.history = [entry]
        frame.before = entry
        interpreter.graph.currentLoop = LoopTag(loop: frame.loopIndex, iteration: 0)
        interpreter.graph.addresses.recordingLoop = frame.addressDepth
        frame.iterationStarts = [interpreter.graph.count]
        if frame.iterationsRun >= interpreter.settings.loopLimit && frame.limited {
            throw interpreter.fail("this loop ran \(frame.iterationsRun) iterations before its condition became random, past the loop limit of \(interpreter.settings.loopLimit) (raise it with set(loop_limit = N) or --loop-limit N)",
                       at: frame.range)
        }
    }

    /// Ends an iteration of a random loop: merges what each particle holds,
    /// and traces the mask of the next. Returns false when the loop ends here.
    func endIteration(_ frame: LoopFrame, everyoneBroke: Bool, advance: () throws -> Value) throws -> Bool {
        var values = frame.scope.values
        for event in frame.continues {
            values = try mergeBindings(event.condition, event.values, values, frame: frame)
        }
        for event in frame.breaks {
            values = try mergeBindings(event.condition, event.values, values, frame: frame)
        }
        if let alive = frame.alive {
            values = try mergeBindings(alive, values, frame.before, frame: frame)
        }
        frame.scope.values = values
        frame.history.append(values)

        let zero = constantNode(0), one = constantNode(1)
        var next = zero
        if !everyoneBroke {
            var going = frame.alive ?? one
            if let broke = frame.broke {
                going = try nodeID(try makeNode(.select(broke, zero, going), at: frame.range), what: "a mask", at: frame.range)
            }
            let condition = try advance()
            if case .node(let id) = condition {
                frame.endsOtherwise = true
                next = try nodeID(try makeNode(.select(id, going, zero), at: frame.range), what: "a mask", at: frame.range)
            } else if try interpreter.truth(condition, at: frame.range) {
                next = going
            } else {
                frame.endsOtherwise = true
            }
        }
        interpreter.graph.label(next, "alive")
        frame.aliveNodes.append(next)
        frame.iteration += 1
        frame.iterationsRun += 1
        frame.breaks = []
        frame.continues = []
        frame.left = nil
        frame.broke = nil
        frame.iterationStarts.append(interpreter.graph.count)
        if next == zero { return false }
        if frame.limited && frame.iterationsRun >= interpreter.settings.loopLimit { return false }
        if interpreter.repeatsLoops && repeatsFromHere(frame) { return false }
        frame.alive = next == one ? nil : next
        // What a particle that stops here holds: the bindings merged above,
        // not the loop variable just bound for the next iteration.
        frame.before = values
        interpreter.graph.currentLoop = LoopTag(loop: frame.loopIndex, iteration: frame.iteration)
        return true
    }

    /// Notes the start of a deterministic iteration: where its nodes begin,
    /// what is bound, and (for a loop that might repeat) watches its variable.
    func noteStart(_ frame: LoopFrame) {
        guard frame.knownCount != nil, !frame.unfit else { return }
        // Only the outermost loop (which places its draws) can repeat.
        guard interpreter.graph.addresses.recordingLoop == frame.addressDepth, interpreter.graph.currentLoop == nil,
              interpreter.watchedName == nil || interpreter.watchedName == frame.variable else {
            frame.unfit = true
            return
        }
        if interpreter.watchedReads > 0 || interpreter.outputCount != frame.outputsAtStart
            || interpreter.graph.parameters.count != frame.parametersAtStart, !frame.starts.isEmpty {
            frame.unfit = true
            return
        }
        frame.starts.append(interpreter.graph.count)
        frame.bindingsBefore.append(frame.scope.values)
        if frame.starts.count > 5 {
            frame.starts.removeFirst()
            frame.bindingsBefore.removeFirst()
        }
        interpreter.watchedName = frame.variable
        interpreter.watchedReads = 0
        frame.outputsAtStart = interpreter.outputCount
        frame.parametersAtStart = interpreter.graph.parameters.count
    }

    /// A `for` over a known range whose last two iterations had one shape
    /// (as a loop of random length's must, below), that never read its
    /// variable, displayed anything or declared a parameter, with many
    /// iterations to go: its last three iterations become a loop run by
    /// the engine, every particle running every iteration, and the rest
    /// is not traced. A loop with fewer than `repeatingAfter` iterations
    /// left, or with a discrete draw or a jump in its body, is traced to
    /// its end (its estimators stay those of plain code: enumeration,
    /// splits by term, the score function's terms one by one).
    func repeatsDeterministicLoop(_ frame: LoopFrame) throws -> Bool {
        guard let total = frame.knownCount, !frame.unfit, interpreter.watchedReads == 0,
              interpreter.outputCount == frame.outputsAtStart, interpreter.graph.parameters.count == frame.parametersAtStart,
              frame.starts.count == 5, total - frame.iterationsRun >= Tracer.repeatingAfter,
              interpreter.graph.currentLoop == nil, interpreter.graph.addresses.recordingLoop == frame.addressDepth else {
            if frame.starts.count == 5 && interpreter.watchedReads > 0 { frame.unfit = true }
            return false
        }
        let graph = interpreter.graph
        let end = graph.count
        // Iterations t − 3 to t (the one just traced), by their nodes: four, so
        // that a program written from the loop later (a derivative's, which
        // treats the first iteration's inputs from outside differently) still
        // has two like iterations before the template.
        func members(_ k: Int) -> [NodeID] {
            let upper = k + 1 < frame.starts.count ? frame.starts[k + 1] : end
            return (frame.starts[k]..<upper).map { NodeID($0) }.filter {
                switch graph[$0].op {
                case .constant, .parameter: return false
                default: return true
                }
            }
        }
        let iterations = LoopIterations([members(1), members(2), members(3), members(4)])
        let made = iterations.members.joined()
        // Discrete draws stay in plain code, where each can take its exact
        // derivative and the score function sees only the terms after it
        // (a loop's exits are single terms).
        guard !iterations.members[3].isEmpty, iterations.members[2].count == iterations.members[3].count,
              made.contains(where: { graph[$0].isRandom }),
              !made.contains(where: { graph[$0].op.distribution.map { !$0.admits(.pathwise) } ?? false }),
              !made.contains(where: { Tracer.jumps(graph[$0]) })
        else { return false }
        let lowest = frame.starts[0]
        // Anything else made during the loop is from an older iteration.
        func madeByLoop(_ id: NodeID) -> Bool {
            switch graph[id].op {
            case .constant, .parameter: return false
            default: return Int(id.index) >= lowest
            }
        }
        func shape(_ k: Int) -> [IterationShape]? {
            iterations.shape(k, in: graph, madeByLoop: madeByLoop, address: { graph.addresses.relative[graph[$0].stream] })
        }
        guard let current = shape(3), let previous = shape(2), current == previous else { return false }
        // Every name held in the same place after both (the variable aside).
        let after = frame.scope.values, before = frame.bindingsBefore[4]
        let names = Set(after.keys).union(before.keys).subtracting([frame.variable ?? ""])
        guard names.allSatisfy({ samePlace(after[$0], before[$0], in: iterations, current: 3) }) else { return false }
        // The four iterations become a loop that every particle runs.
        let index = interpreter.graph.loops.count
        var trace = LoopTrace(site: site(frame.range), limit: interpreter.settings.loopLimit)
        let one = constantNode(1)
        trace.alive = [one, one, one, one, one]
        interpreter.graph.loops.append(trace)
        for (k, nodes) in iterations.members.enumerated() { interpreter.graph.retag(nodes, as: LoopTag(loop: index, iteration: k)) }
        let carried = iterations.pairs(3, in: graph)
        var streams: [UInt64: RelativeAddress] = [:]
        for id in iterations.members[2] + iterations.members[3] where graph[id].op.isSampler {
            streams[graph[id].stream] = graph.addresses.relative[graph[id].stream]
        }
        var repetition = LoopRepetition(template: 3, iterations: total - frame.iterationsRun + 4,
                                        loopPath: graph.addresses.path(at: frame.addressDepth), streams: streams, carried: carried)
        repetition.exhausts = true
        interpreter.graph.loops[index].repetition = repetition
        // What leaves: each name's value after each iteration, through exits.
        frame.loopIndex = index
        frame.history = [frame.bindingsBefore[1], frame.bindingsBefore[2], frame.bindingsBefore[3], frame.bindingsBefore[4], after]
        frame.aliveNodes = [one, one, one, one, one]
        try finishRandomLoop(frame)
        // The variable holds its last value, as after every iteration run.
        if let variable = frame.variable, let last = frame.lastValue {
            interpreter.bind(variable, .number(last), in: frame.scope)
        }
        interpreter.watchedName = nil
        return true
    }

    /// True when a name is held in the same place after iteration `current`
    /// as after the one before: the same value made outside those
    /// iterations, a node in the same place of each, or the same plain value.
    func samePlace(_ a: Value?, _ b: Value?, in iterations: LoopIterations, current: Int) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (.node(let x)?, .node(let y)?):
            switch (iterations.place(of: x), iterations.place(of: y)) {
            case (nil, nil): return x == y
            case (let p?, let q?): return p.iteration == current && q.iteration == current - 1 && p.offset == q.offset
            default: return false
            }
        case (.list(let xs)?, .list(let ys)?):
            return xs.count == ys.count && zip(xs, ys).allSatisfy { samePlace($0, $1, in: iterations, current: current) }
        case (let x?, let y?):
            return !x.isNode && !y.isNode && unchanged(x, y)
        default:
            return false
        }
    }

    /// A known range repeats only with this many iterations still to go.
    static let repeatingAfter = 100

    /// True for a node where a draw upstream could take the score function
    /// (a comparison, a rounding, a branch or an index on a traced value)
    /// or where one is asked for: a loop over a known range with one stays
    /// plain code, where the score function's terms are Rao-Blackwellised
    /// one by one (a loop's exit is one term).
    static func jumps(_ node: Node) -> Bool {
        if let requested = node.requestedEstimator, requested != .pathwise { return true }
        switch node.op {
        case .unary(let f, _): return f.continuity == .discontinuous
        case .binary(let f, _, _): return f.continuity == .discontinuous
        case .select, .pick: return true
        default: return false
        }
    }

    /// True when the iteration just traced has the shape of the one before
    /// it (the same ops on inputs in the same places, the same draws at
    /// the same places in their iteration, the same parameters reaching
    /// each node, and every name and the mask held in the same places): then
    /// each later iteration would be the same again, and the loop is traced
    /// no further. Its ``LoopRepetition`` tells the plan and the engine how
    /// to run the rest. Loops that count in plain numbers, read their loop
    /// variable, or change shape from one iteration to the next never
    /// match: they stay unrolled.
    func repeatsFromHere(_ frame: LoopFrame) -> Bool {
        let t = frame.iteration - 1
        // From the fourth iteration on: the first reads the values from
        // before the loop, and a program written from the loop later (a
        // derivative's tangents) may treat the first two differently too.
        guard frame.limited, t >= 3, frame.iterationStarts.count == t + 2,
              !interpreter.graph.loops[frame.loopIndex].holdsLoops else { return false }
        let graph = interpreter.graph
        let loop = Int32(frame.loopIndex)
        func members(_ u: Int) -> [NodeID] {
            (frame.iterationStarts[u]..<frame.iterationStarts[u + 1]).map { NodeID($0) }.filter {
                graph[$0].loop == LoopTag(loop: Int(loop), iteration: u)
            }
        }
        let iterations = LoopIterations([members(t - 2), members(t - 1), members(t)])
        func iterationOf(_ id: NodeID) -> Int? {
            guard let tag = graph[id].loop, tag.loop == loop else { return nil }
            return Int(tag.iteration)
        }
        // The parameters reaching each node, carried over from iteration to iteration.
        func reaching(_ id: NodeID) -> Set<Int> {
            if let known = frame.reaching[id] { return known }
            let found: Set<Int>
            if iterationOf(id) == nil {
                found = parametersReaching(id)
            } else {
                found = graph[id].op.inputs.reduce(into: Set<Int>()) { $0.formUnion(reaching($1)) }
            }
            frame.reaching[id] = found
            return found
        }
        func shape(_ k: Int) -> [IterationShape]? {
            iterations.shape(k, in: graph, madeByLoop: { iterationOf($0) != nil },
                             address: { graph.addresses.relative[graph[$0].stream] }, parameters: reaching)
        }
        guard let current = shape(2), let previous = shape(1), current == previous else { return false }
        // Every name (and the mask) held in the same place after both.
        let after = frame.history[t + 1], before = frame.history[t]
        guard Set(after.keys) == Set(before.keys),
              after.keys.allSatisfy({ samePlace(after[$0], before[$0], in: iterations, current: 2) }),
              samePlace(.node(frame.aliveNodes[t + 1]), .node(frame.aliveNodes[t]), in: iterations, current: 2) else { return false }
        let carried = iterations.pairs(2, in: graph)
        let template = iterations.members[2], last = iterations.members[1]
        var streams: [UInt64: RelativeAddress] = [:]
        for id in last + template where graph[id].op.isSampler {
            streams[graph[id].stream] = graph.addresses.relative[graph[id].stream]
        }
        let before0 = frame.iterationsRun - frame.iteration
        interpreter.graph.loops[frame.loopIndex].repetition = LoopRepetition(
            template: t, iterations: interpreter.settings.loopLimit - before0,
            loopPath: graph.addresses.path(at: frame.addressDepth), streams: streams, carried: carried)
        return true
    }

    /// The parameters among a node's ancestors through their inputs, each
    /// node's found once (a loop inside another reads new nodes of the
    /// outer one at every iteration: a walk of the whole graph each time
    /// would grow with its square). A repeating loop's wraps add nothing
    /// here: its template reads counterparts reached by the same parameters.
    func parametersReaching(_ root: NodeID) -> Set<Int> {
        let graph = interpreter.graph
        var pending: [(NodeID, Bool)] = [(root, false)]
        while let (id, expanded) = pending.popLast() {
            guard parameterReach[id] == nil else { continue }
            let node = graph[id]
            guard node.dependsOnParameter else {
                parameterReach[id] = []
                continue
            }
            let missing = node.op.inputs.filter { parameterReach[$0] == nil }
            if expanded || missing.isEmpty {
                var found: Set<Int> = []
                if case .parameter(let index) = node.op { found.insert(index) }
                for input in node.op.inputs { found.formUnion(parameterReach[input] ?? []) }
                parameterReach[id] = found
            } else {
                pending.append((id, true))
                pending += missing.map { ($0, false) }
            }
        }
        return parameterReach[root] ?? []
    }

    /// Ends a random loop whose iteration failed while being traced: that
    /// iteration is not traced, and the particles that run it (those still
    /// alive after the last one traced) get the error when a run finds them.
    func stopRandomLoop(_ frame: LoopFrame, because error: RuntimeError) throws {
        frame.scope.values = frame.before
        frame.breaks = []
        frame.continues = []
        frame.left = nil
        frame.broke = nil
        let location = error.file.location(of: error.range.start)
        interpreter.graph.loops[frame.loopIndex].stop = LoopStop(message: error.message,
                                                     site: Site(file: error.file.name, line: location.line, column: location.column),
                                                     iteration: frame.iterationsRun + 1)
        interpreter.loopStops[frame.loopIndex] = (error.range, error.file)
        try finishRandomLoop(frame)
    }

    /// Ends a random loop: every value that leaves it goes through a
    /// `loopExit` node (where particles still running are an error).
    func finishRandomLoop(_ frame: LoopFrame) throws {
        let index = frame.loopIndex
        interpreter.graph.currentLoop = interpreter.graph.loops[index].enclosing
        interpreter.graph.loops[index].alive = frame.aliveNodes
        guard let last = frame.aliveNodes.last, let final = frame.history.last else { return }
        for name in final.keys.sorted() {
            guard let value = final[name], holdsLoopNode(value, loop: index) else { continue }
            var path: [Int] = []
            frame.scope.values[name] = try exitValue(value, path: &path, name: name, frame: frame, alive: last)
        }
    }

    /// The exit of one value (element by element for a list).
    private func exitValue(_ value: Value, path: inout [Int], name: String, frame: LoopFrame, alive: NodeID) throws -> Value {
        switch value {
        case .list(let items):
            var exits: [Value] = []
            for (position, item) in items.enumerated() {
                path.append(position)
                exits.append(try exitValue(item, path: &path, name: name, frame: frame, alive: alive))
                path.removeLast()
            }
            return .list(exits)
        case .node(let id) where interpreter.graph[id].loop?.loop == Int32(frame.loopIndex):
            // What a particle leaving after t iterations holds; where it had
            // no binding yet, a nan that a run reports as "no value".
            // A particle that has not returned holds 0 for the returned flag.
            let placeholder = name == Tracer.returnedName ? constantNode(0) : unboundPlaceholder()
            let values = frame.history.map { bindings -> NodeID in
                var element = bindings[name]
                for position in path {
                    guard case .list(let items)? = element, position < items.count else { return placeholder }
                    element = items[position]
                }
                switch element {
                case .node(let id)?: return id
                case .number(let x)?: return constantNode(x)
                case .boolean(let flag)?: return constantNode(flag ? 1 : 0)
                default: return placeholder
                }
            }
            let exit = try nodeID(try makeNode(.loopExit(value: id, alive: alive), at: frame.range), what: name, at: frame.range)
            interpreter.graph.loops[frame.loopIndex].exits.append(LoopExitTrace(exit: exit, values: values))
            interpreter.graph.label(exit, name)
            return .node(exit)
        default:
            return value
        }
    }

    /// True when a value holds a node made by an iteration of loop `loop`.
    func holdsLoopNode(_ value: Value, loop: Int) -> Bool {
        var found = false
        value.forEachNode { id in
            if interpreter.graph[id].loop?.loop == Int32(loop) { found = true }
        }
        return found
    }

    /// Per particle, `condition ? a : b` for every binding that differs.
    func mergeBindings(_ condition: NodeID, _ a: [String: Value], _ b: [String: Value],
                       frame: LoopFrame) throws -> [String: Value] {
        var merged = b
        let line = interpreter.file.line(of: frame.range.start)
        for name in Set(a.keys).union(b.keys).sorted() {
            var x = a[name], y = b[name]
            if let x, let y, unchanged(x, y) { continue }
            let outer = frame.scope.parent?.lookup(name)
            x = x ?? outer
            y = y ?? outer
            if name == Tracer.returnedName {
                // Particles that have not returned hold 0, not "no value".
                x = x ?? .number(0)
                y = y ?? .number(0)
            }
            if let present = x ?? y, present.isScalarForMerge, x == nil || y == nil {
                // Bound in some particles only (first bound in the loop): the
                // others hold a nan that a run reports as "no value" if it
                // is read where some particle lacks it.
                x = x ?? .node(unboundPlaceholder())
                y = y ?? .node(unboundPlaceholder())
            }
            guard let x, let y else {
                merged[name] = nil
                interpreter.branchOnlyNames[name] = "inside the loop of random length at line \(line), which some particles do not run"
                continue
            }
            if !x.isMergeable || !y.isMergeable {
                // The same in every particle that ran the iteration (no
                // estimate, gradient or report is made per particle).
                merged[name] = x
                continue
            }
            let value = try merge(condition, x, y, name: name, at: frame.range, inLoop: true)
            if case .node(let id) = value { interpreter.graph.label(id, name) }
            merged[name] = value
        }
        return merged
    }

    /// True when two values are certainly the same.
    func unchanged(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.node(let x), .node(let y)): return x == y
        case (.number(let x), .number(let y)): return x.bitPattern == y.bitPattern
        case (.boolean(let x), .boolean(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.function(let x), .function(let y)): return x === y
        case (.builtin(let x), .builtin(let y)): return x == y
        case (.distribution(let x), .distribution(let y)): return x == y
        case (.density(let x), .density(let y)): return x == y
        case (.list(let xs), .list(let ys)): return xs.count == ys.count && zip(xs, ys).allSatisfy { unchanged($0, $1) }
        case (.none, .none): return true
        default: return false
        }
    }

    // MARK: Leaving in some particles

    /// The particles that take the traced branches entered since `depth`,
    /// less those that already left: a 0/1 node (nil: every particle).
    func pathCondition(since depth: Int, upTo end: Int? = nil, at range: SourceRange) throws -> NodeID? {
        var condition: NodeID?
        for (id, polarity) in pathConditions[depth..<Swift.min(end ?? pathConditions.count, pathConditions.count)] {
            let term = try nodeID(try makeNode(.select(id, constantNode(polarity ? 1 : 0), constantNode(polarity ? 0 : 1)), at: range),
                                  what: "a condition", at: range)
            condition = try condition.map {
                try nodeID(try makeNode(.select($0, term, constantNode(0)), at: range), what: "a condition", at: range)
            } ?? term
        }
        return condition
    }

    /// The particles that reach loop `frame`, as a 0/1 node (nil: every
    /// particle): on the traced path outside it, in the current iteration
    /// of each random loop around it and not yet out of that iteration, and
    /// not yet returned from a function around it.
    func reachingHere(besides frame: LoopFrame, at range: SourceRange) throws -> NodeID? {
        var reach = try pathCondition(since: 0, upTo: frame.pathDepth, at: range)
        let depth = loopFrames.firstIndex { $0 === frame } ?? loopFrames.count
        for outer in loopFrames[..<depth] where outer.random {
            if let alive = outer.alive { reach = try reach.map { try both($0, alive, at: range) } ?? alive }
            if let left = outer.left { reach = try without(left, from: reach, at: range) }
        }
        for function in functionFrames where function.loopDepth <= depth {
            if let left = function.left { reach = try without(left, from: reach, at: range) }
        }
        return reach
    }

    /// 1 where both 0/1 masks are 1.
    func both(_ a: NodeID, _ b: NodeID, at range: SourceRange) throws -> NodeID {
        try nodeID(try makeNode(.select(a, b, constantNode(0)), at: range), what: "a condition", at: range)
    }

    /// The mask `reach` (nil: every particle) less the particles in `left`.
    func without(_ left: NodeID, from reach: NodeID?, at range: SourceRange) throws -> NodeID {
        try nodeID(try makeNode(.select(left, constantNode(0), reach ?? constantNode(1)), at: range),
                   what: "a condition", at: range)
    }

    /// The particles leaving a loop iteration here: on the traced path, not yet left.
    func leaveCondition(_ frame: LoopFrame, depth: Int) throws -> NodeID {
        try leaving(try pathCondition(since: depth, at: frame.range) ?? constantNode(1), left: &frame.left, at: frame.range)
    }

    /// The particles of `condition` not already in `left` (those that left
    /// a loop iteration or a function before), which `left` then takes in.
    func leaving(_ condition: NodeID, left: inout NodeID?, at range: SourceRange) throws -> NodeID {
        guard let earlier = left else {
            left = condition
            return condition
        }
        let new = try nodeID(try makeNode(.select(earlier, constantNode(0), condition), at: range), what: "a condition", at: range)
        left = try nodeID(try makeNode(.binary(.max, earlier, new), at: range), what: "a condition", at: range)
        return new
    }

    /// The particles of `condition` leave loop `frame` as by a `break`, holding `values`.
    func breakOut(of frame: LoopFrame, _ condition: NodeID, holding values: [String: Value]) throws {
        frame.breaks.append((condition, values))
        frame.broke = try frame.broke.map {
            try nodeID(try makeNode(.binary(.max, $0, condition), at: frame.range), what: "a condition", at: frame.range)
        } ?? condition
    }

    /// A branch of an if on a traced condition ended with `break`,
    /// `continue` or `return`: those particles leave here, with what they hold.
    func leave(_ flow: Flow, in scope: Scope) throws {
        switch flow {
        case .normal:
            return
        case .broke(let range), .continued(let range):
            guard let frame = loopFrames.last, loopFrames.count > (functionFrames.last?.loopDepth ?? 0) else {
                throw interpreter.fail("'\(flow.word)' outside a loop", at: range)
            }
            if !frame.random { try becomeRandom(frame, entering: nil) }
            let condition = try leaveCondition(frame, depth: frame.pathDepth)
            if case .broke = flow {
                frame.endsOtherwise = true
                try breakOut(of: frame, condition, holding: scope.values)
            } else {
                frame.continues.append((condition, scope.values))
            }
        case .returned(let value, let range):
            guard let function = functionFrames.last else {
                throw interpreter.fail("'return' outside a function", at: range)
            }
            if loopFrames.count > function.loopDepth, let frame = loopFrames.last {
                // Inside a loop of the function: those particles leave it as
                // by a `break`, carrying the value out, and return after it
                // (from a loop within loops, they leave each loop around it
                // the same way: passReturnsOut).
                if !frame.random { try becomeRandom(frame, entering: nil) }
                let condition = try leaveCondition(frame, depth: frame.pathDepth)
                try breakOut(of: frame, condition, holding: try returning(value, from: frame, at: range))
                return
            }
            let condition = try leaving(try pathCondition(since: function.pathDepth, at: range) ?? constantNode(1),
                                        left: &function.left, at: range)
            function.returns.append((condition, value))
            if function.firstReturn == nil { function.firstReturn = range }
        }
    }

    /// A function's result: what it returned at the end, for the particles
    /// that did not return early under a traced condition.
    func result(of function: FunctionFrame, final: Value, name: String, at range: SourceRange) throws -> Value {
        guard !function.returns.isEmpty else { return final }
        var result = final
        var events = function.returns
        if case .none = final, function.endsByReturn, let last = events.popLast() {
            // Every particle that gets here returned in the loop: its value.
            result = last.value
        }
        for event in events.reversed() {
            if case .none = result, let first = function.firstReturn {
                throw interpreter.fail("'\(name)' returns a value in some particles only (the return at line \(interpreter.file.line(of: first.start)) is under a condition that depends on a random value); end the function with a return for the others",
                           at: range)
            }
            if case .none = event.value { continue }
            result = try merge(event.condition, event.value, result, name: "the result of \(name)", at: range)
        }
        return result
    }
}

extension Flow {
    /// `break`, `continue` or `return`.
    var word: String {
        switch self {
        case .normal: return "normal"
        case .returned: return "return"
        case .broke: return "break"
        case .continued: return "continue"
        }
    }
}

extension Tracer {
    /// The names under which a loop carries its returns out, per particle:
    /// whether it returned (1 or 0) and what (no program can bind them).
    static let returnedName = "\u{1}returned"
    static let returnValueName = "\u{1}return value"

    /// The bindings of particles returning `value` from inside a loop.
    func returning(_ value: Value, from frame: LoopFrame, at range: SourceRange) throws -> [String: Value] {
        guard value.isScalarForMerge else {
            throw interpreter.fail("a return inside a loop of random length returns a number here (each particle its own); return the list or function after the loop", at: range)
        }
        var values = frame.scope.values
        values[Tracer.returnedName] = .number(1)
        values[Tracer.returnValueName] = value
        return values
    }

    /// After a loop left by returns: its particles that returned return
    /// their values from the function (before any later return).
    func passReturnsOut(of frame: LoopFrame) throws {
        guard let returned = frame.scope.values[Tracer.returnedName] else { return }
        let function = functionFrames.last
        let index = loopFrames.lastIndex { $0 === frame } ?? loopFrames.count
        // Inside another loop of the function, the names ride on to it.
        let nested = function.map { index > $0.loopDepth } ?? false
        let value = frame.scope.values[Tracer.returnValueName] ?? .number(.nan)
        if !nested {
            frame.scope.values[Tracer.returnedName] = nil
            frame.scope.values[Tracer.returnValueName] = nil
        }
        let condition: NodeID
        switch returned {
        case .node(let id): condition = id
        case .number(let x) where x != 0: condition = constantNode(1)
        default: return
        }
        guard let function else { return }
        if nested {
            // A loop within a loop of the function: the particles that
            // returned leave the loop around it too, as by a `break`,
            // carrying what they return; it passes them out when it ends.
            let outer = loopFrames[index - 1]
            if !outer.random { try becomeRandom(outer, entering: nil) }
            try breakOut(of: outer, try leaving(condition, left: &outer.left, at: frame.range), holding: frame.scope.values)
            return
        }
        let returnsHere = try leaving(condition, left: &function.left, at: frame.range)
        function.returns.append((returnsHere, value))
        if function.firstReturn == nil { function.firstReturn = frame.range }
        // A loop that only a return leaves: no particle runs what follows it.
        function.endsByReturn = !frame.endsOtherwise && frame.limited
    }

    /// The value a particle holds for a name it never bound: a nan constant
    /// (no program makes one: 0/0 is an error while tracing).
    func unboundPlaceholder() -> NodeID { constantNode(.nan) }

    /// For a loop's merge or exit that takes the "no value" placeholder in
    /// some particles: the name, for the message that replaces "not a
    /// finite number".
    func unboundName(_ id: NodeID) -> String? {
        func isPlaceholder(_ input: NodeID) -> Bool {
            if case .constant(let value) = interpreter.graph[input].op { return value.isNaN }
            return false
        }
        let node = interpreter.graph[id]
        switch node.op {
        case .select(_, let a, let b) where isPlaceholder(a) || isPlaceholder(b):
            return node.label
        case .loopExit:
            let takes = interpreter.graph.loops.contains { loop in
                loop.exits.contains { $0.exit == id && $0.values.contains(where: isPlaceholder) }
            }
            return takes ? node.label : nil
        default:
            return nil
        }
    }
}

extension Value {
    /// True for a number, a boolean or a traced value: what a particle can
    /// hold as a nan when it has no binding.
    var isScalarForMerge: Bool {
        switch self {
        case .number, .boolean, .node: return true
        default: return false
        }
    }

    /// True for values a loop may hold differently per particle.
    var isMergeable: Bool {
        switch self {
        case .number, .boolean, .node, .string, .function, .builtin, .distribution, .density: return true
        case .list(let items): return items.allSatisfy(\.isMergeable)
        default: return false
        }
    }
}
