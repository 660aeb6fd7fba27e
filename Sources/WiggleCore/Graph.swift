// Graph.swift — the stochastic computation graph: nodes in one array, in
// topological order (every node's inputs come before it).

import Foundation

/// The index of a node in its ``Graph``.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The node's position in the graph's node array.
    public let index: Int32

    /// The ID of the node at `index`.
    public init(_ index: Int) {
        self.index = Int32(truncatingIfNeeded: index)
    }

    /// Orders IDs by position, which is topological order.
    public static func < (a: NodeID, b: NodeID) -> Bool { a.index < b.index }

    public var description: String { "%\(index)" }

    public func hash(into hasher: inout Hasher) { hasher.combine(index) }

    /// Sets and dictionaries of nodes are everywhere in tracing, analysis
    /// and planning, where SipHash was a tenth of a small program's run: a
    /// node's hash is its index, mixed with the table's seed by one
    /// multiply and a fold (a bijection of the index, so distinct nodes
    /// never collide in full; the fold spreads them over the low bits
    /// that pick a bucket).
    public func _rawHashValue(seed: Int) -> Int {
        let mixed = (UInt64(UInt32(bitPattern: index)) ^ UInt64(bitPattern: Int64(seed))) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed ^ (mixed >> 29))
    }
}

/// Where a node was made, for messages (the graph layers know nothing of syntax).
public struct Site: Hashable, Sendable, CustomStringConvertible {
    /// The source file's name.
    public var file: String
    /// The line, counting from 1.
    public var line: Int
    /// The column, counting from 1.
    public var column: Int

    /// A site at a line and column of a file.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A site for nodes made outside any program (tests, the API).
    public static let unknown = Site(file: "<graph>", line: 0, column: 0)

    public var description: String { "\(file):\(line):\(column)" }
}

/// What a node computes.
public enum Op: Sendable, Hashable {
    case constant(Double)
    /// A learnable scalar: an index into ``Graph/parameters``.
    case parameter(Int)
    case unary(UnaryFunction, NodeID)
    case binary(BinaryFunction, NodeID, NodeID)
    /// `condition != 0 ? ifTrue : ifFalse`, per particle.
    case select(NodeID, NodeID, NodeID)
    /// `choices[index]` per particle: a list indexed by a traced value
    /// (negative indices count from the end).
    case pick(index: NodeID, choices: [NodeID])
    /// A draw from a registered distribution, given its parameters in call order.
    case random(DistributionID, [NodeID])
    /// A value leaving a loop of random length (``Graph/loops``): `value`,
    /// which each particle holds after its own last iteration. `alive` is
    /// the loop's mask after the last iteration traced: a particle still
    /// running there has hit the loop limit, which is an error.
    case loopExit(value: NodeID, alive: NodeID)

    /// `normal(mean, sd)`.
    public static func normal(mean: NodeID, sd: NodeID) -> Op { .random(.normal, [mean, sd]) }
    /// `bernoulli(p)`.
    public static func bernoulli(probability: NodeID) -> Op { .random(.bernoulli, [probability]) }

    /// The nodes this op reads.
    @inlinable public var inputs: Inputs {
        switch self {
        case .constant, .parameter: return Inputs()
        case .unary(_, let a): return Inputs(1, a)
        case .binary(_, let a, let b): return Inputs(2, a, b)
        case .select(let c, let a, let b): return Inputs(3, c, a, b)
        case .pick(let index, let choices): return Inputs(1, index, rest: choices)
        case .random(_, let parameters): return Inputs(0, rest: parameters)
        case .loopExit(let value, let alive): return Inputs(2, value, alive)
        }
    }

    /// An op's inputs as a collection that allocates nothing: up to three
    /// held inline, then the op's own array (a pick's choices, a draw's
    /// parameters). Graph walks read them for every node they visit.
    public struct Inputs: RandomAccessCollection, Sendable {
        @usableFromInline let first: NodeID, second: NodeID, third: NodeID
        @usableFromInline let inline: Int
        @usableFromInline let rest: [NodeID]

        @inlinable init(_ inline: Int = 0, _ first: NodeID = NodeID(0), _ second: NodeID = NodeID(0),
                        _ third: NodeID = NodeID(0), rest: [NodeID] = []) {
            self.inline = inline
            self.first = first
            self.second = second
            self.third = third
            self.rest = rest
        }

        @inlinable public var startIndex: Int { 0 }
        @inlinable public var endIndex: Int { inline + rest.count }

        @inlinable public subscript(position: Int) -> NodeID {
            switch position {
            case ..<inline: return position == 0 ? first : position == 1 ? second : third
            default: return rest[position - inline]
            }
        }
    }

    /// The op with each input replaced by `map` of it.
    public func mappingInputs(_ map: (NodeID) -> NodeID) -> Op {
        switch self {
        case .constant, .parameter: return self
        case .unary(let f, let a): return .unary(f, map(a))
        case .binary(let f, let a, let b): return .binary(f, map(a), map(b))
        case .select(let c, let a, let b): return .select(map(c), map(a), map(b))
        case .pick(let index, let choices): return .pick(index: map(index), choices: choices.map(map))
        case .random(let distribution, let inputs): return .random(distribution, inputs.map(map))
        case .loopExit(let value, let alive): return .loopExit(value: map(value), alive: map(alive))
        }
    }

    /// True for a deterministic op on other nodes: the same op on the same
    /// inputs is one node (``Graph/append(_:at:estimator:)``).
    var isSharable: Bool {
        switch self {
        case .unary, .binary, .select, .pick: return true
        default: return false
        }
    }

    /// True for a draw from a distribution (a node that is random itself,
    /// not only through an ancestor: see ``Node/isRandom``).
    @inlinable public var isSampler: Bool {
        if case .random = self { return true }
        return false
    }

}

/// One node: what it computes, where it was made, and what it depends on.
public struct Node: Sendable {
    /// What the node computes, and from which inputs.
    public var op: Op
    /// Where the node was made, for messages.
    public var site: Site
    /// The estimator the program asked for (`@score` ...), if any.
    public var requestedEstimator: Estimator?
    /// The name the program first bound this node to, for people.
    public var label: String?
    /// True when the node's value differs between particles: it is a
    /// sampler or has one as an ancestor.
    public var isRandom: Bool
    /// True when the node is a parameter or has one as an ancestor.
    public var dependsOnParameter: Bool
    /// For a draw, its address (``DrawAddresses``): the key of its random
    /// numbers with the particle's index, kept when ``Graph/compact(keeping:)``
    /// moves it, so a collection never changes what a node draws. 0 for the rest.
    public var stream: UInt64
    /// The iteration of a loop of random length that made it, if any.
    public var loop: LoopTag?
}

/// Which loop of random length, and which of its iterations, made a node.
public struct LoopTag: Sendable, Hashable {
    /// The loop: an index into ``Graph/loops``.
    public var loop: Int32
    /// The iteration, counting from 0 where the loop became random.
    public var iteration: Int32

    /// Iteration `iteration` of loop `loop`.
    public init(loop: Int, iteration: Int) {
        self.loop = Int32(loop)
        self.iteration = Int32(iteration)
    }
}

/// A loop of random length as traced: unrolled iteration by iteration, each
/// particle running while its mask is 1. The engine runs an iteration only
/// for the particles still running it, so the cost follows the work done.
public struct LoopTrace: Sendable {
    /// Where the loop is, for messages.
    public var site: Site
    /// The loop limit it was traced with.
    public var limit: Int
    /// `alive[t]`: 1 for a particle that runs iteration t; `alive[count]`
    /// after the last iteration traced (not constant 0: the limit is checked).
    public var alive: [NodeID] = []
    /// The values leaving the loop.
    public var exits: [LoopExitTrace] = []
    /// Why tracing stopped before the limit, when an iteration failed while
    /// being traced: particles that run that iteration (those still alive
    /// after the last one traced) get this error instead of the limit's.
    public var stop: LoopStop?
    /// When the loop's iterations settled into one shape: the iterations
    /// after the last one traced repeat it (see ``LoopRepetition``).
    public var repetition: LoopRepetition?
    /// True when a loop of random length runs inside one of its
    /// iterations: its own iterations then run as traced, every particle
    /// through every one, masked by alive[t] (the inner loops run as loops,
    /// over the particles inside them).
    public var holdsLoops = false
    /// The iteration of the loop it runs inside, if any.
    public var enclosing: LoopTag?

    /// A loop at `site` traced with limit `limit`.
    public init(site: Site, limit: Int) {
        self.site = site
        self.limit = limit
    }

    /// How many iterations were traced.
    public var iterations: Int { max(0, alive.count - 1) }
}

/// A loop traced until two iterations in a row had the same shape, and no
/// further: the last iteration traced (the template, `T`) stands for every
/// one after it. A node of the template that reads a node of iteration T − 1
/// reads, in iteration t > T, that node's counterpart in iteration t − 1
/// (`carried` pairs them in T − 1 and T); its draws take the stream the
/// tracer would have given them in iteration t.
public struct LoopRepetition: Sendable {
    /// The template: the last iteration traced.
    public var template: Int
    /// The iterations a particle may run in all before the limit is an error.
    public var iterations: Int
    /// The path of the loop's address frame (``DrawAddresses/path(at:)``).
    public var loopPath: UInt64
    /// The template's draws by stream: where each is in its iteration.
    public var streams: [UInt64: RelativeAddress]
    /// Nodes of iteration T − 1 that the template reads, each with its counterpart in T.
    public var carried: [(previous: NodeID, current: NodeID)]
    /// False when nodes added later broke the common shape of the two
    /// iterations: the loop cannot be run past its template.
    public var consistent = true
    /// True for a loop over a range known while tracing: every particle
    /// runs all `iterations`, and none is still running after them.
    public var exhausts = false

    public init(template: Int, iterations: Int, loopPath: UInt64, streams: [UInt64: RelativeAddress],
                carried: [(previous: NodeID, current: NodeID)]) {
        self.template = template
        self.iterations = iterations
        self.loopPath = loopPath
        self.streams = streams
        self.carried = carried
    }

    /// The stream of the template's draw `stream` in iteration `t` (≥ the template).
    public func stream(_ stream: UInt64, iteration t: Int) -> UInt64 {
        guard let address = streams[stream] else { return stream }
        var shifted = address
        shifted.iteration = address.iteration &+ UInt64(t - template)
        return DrawAddresses.stream(loopPath: loopPath, iteration: shifted.iteration, shifted)
    }
}

/// An error met while tracing an iteration that only some particles run:
/// it is theirs, reported when a run finds any of them.
public struct LoopStop: Sendable {
    /// The error, in words.
    public var message: String
    /// Where it happened.
    public var site: Site
    /// The iteration it happened in, counted from 1.
    public var iteration: Int

    /// A stop with its message, place and iteration.
    public init(message: String, site: Site, iteration: Int) {
        self.message = message
        self.site = site
        self.iteration = iteration
    }
}

/// One value leaving a loop of random length.
public struct LoopExitTrace: Sendable {
    /// The ``Op/loopExit(value:alive:)`` node.
    public var exit: NodeID
    /// `values[t]`: the value a particle holds when it leaves after t
    /// iterations (`values[0]` before the loop).
    public var values: [NodeID]

    /// The exit node and the value after each iteration.
    public init(exit: NodeID, values: [NodeID]) {
        self.exit = exit
        self.values = values
    }
}

/// Where a computation from parameters stopped being a finite number.
public struct NonFiniteValue: Error, Sendable {
    /// The node whose value was not finite.
    public var node: NodeID
    /// The value it computed (infinite or NaN).
    public var value: Double
}

/// A learnable scalar.
public struct Parameter: Sendable {
    /// Its name (`mu`, or `w[3]` for an element of a vector).
    public var name: String
    /// Its current value.
    public var value: Double
    /// Its node in the graph.
    public var node: NodeID
    /// Where its value may go: open bounds, `-inf ... inf` when unbounded.
    public var bounds = ParameterBounds()
}

/// The graph: an append-only array of nodes in topological order, and the
/// parameters they read.
public struct Graph: Sendable {
    /// Every node, in topological order; index with a ``NodeID``.
    public private(set) var nodes: [Node] = []
    /// The learnable scalars, indexed by `Op.parameter`.
    public var parameters: [Parameter] = []
    private var constants: [UInt64: NodeID] = [:]
    /// The deterministic ops already in the graph, with the loop iteration
    /// they belong to: the same op on the same inputs is one node.
    private var shared: [SharedKey: NodeID] = [:]
    /// Where the tracer is, for the address of each draw (its stream key).
    public var addresses = DrawAddresses()
    /// The loops of random length traced into the graph.
    public var loops: [LoopTrace] = [] {
        didSet { repetitionWraps = RepetitionWraps() }
    }
    /// The repeating loops' carried pairs, previous → current, found once
    /// per change of `loops` (``ancestors(of:)`` runs once per draw while
    /// estimators are chosen, and a loop inside another makes many loops).
    private var repetitionWraps = RepetitionWraps()
    /// The iteration of a loop of random length being traced: every node
    /// appended gets it (constants and parameters excepted).
    public var currentLoop: LoopTag?

    public init() {}

    /// The number of nodes.
    @inlinable public var count: Int { nodes.count }

    /// The node with the given ID.
    @inlinable public subscript(id: NodeID) -> Node { nodes[Int(id.index)] }

    /// What makes two deterministic nodes the same: the op (with its
    /// inputs) and the loop iteration it was traced in.
    struct SharedKey: Hashable {
        var op: Op
        var loop: LoopTag?
    }

    /// Appends a node (the one choke point where every op enters the graph).
    /// A deterministic op already in the graph with the same inputs (in the
    /// same loop iteration) is that node: a sub-expression computed many
    /// times is one node, computed once per particle. Draws always make a
    /// new node (each is a new random value), keyed by its address
    /// (``DrawAddresses``): what each draw draws depends on where it is in
    /// the program, never on how many other nodes were made before it.
    @discardableResult
    public mutating func append(_ op: Op, at site: Site, estimator: Estimator? = nil) -> NodeID {
        if case .constant(let value) = op, let existing = constants[value.bitPattern] { return existing }
        let sharable = op.isSharable
        let key = SharedKey(op: op, loop: currentLoop)
        if sharable, let existing = shared[key] { return existing }
        let inputs = op.inputs
        let isRandom = op.isSampler || inputs.contains { nodes[Int($0.index)].isRandom }
        var dependsOnParameter = inputs.contains { nodes[Int($0.index)].dependsOnParameter }
        if case .parameter = op { dependsOnParameter = true }
        let id = NodeID(nodes.count)
        var tag = currentLoop
        switch op {
        case .constant, .parameter: tag = nil
        default: break
        }
        let stream = op.isSampler ? addresses.next() : 0
        nodes.append(Node(op: op, site: site, requestedEstimator: estimator, label: nil,
                          isRandom: isRandom, dependsOnParameter: dependsOnParameter, stream: stream, loop: tag))
        if case .constant(let value) = op { constants[value.bitPattern] = id }
        if sharable { shared[key] = id }
        return id
    }

    /// A node like `original` with another op (its inputs substituted, or
    /// its distribution's parameters rewritten): a draw keeps the original's
    /// address, so it draws the same random numbers; it keeps its site,
    /// name and requested estimator (`stream` gives a copy numbers of its
    /// own: ``DrawAddresses/derived(_:world:)``). A copied draw is made in
    /// no loop iteration unless `loop` names one.
    public mutating func appendCopy(of original: Node, op: Op, stream: UInt64? = nil, loop: LoopTag? = nil) -> NodeID {
        guard op.isSampler else {
            let id = append(op, at: original.site, estimator: original.requestedEstimator)
            if let name = original.label { label(id, name) }
            return id
        }
        let inputs = op.inputs
        let id = NodeID(nodes.count)
        nodes.append(Node(op: op, site: original.site, requestedEstimator: original.requestedEstimator, label: original.label,
                          isRandom: true, dependsOnParameter: inputs.contains { nodes[Int($0.index)].dependsOnParameter },
                          stream: stream ?? original.stream, loop: loop))
        return id
    }

    /// A constant node (one per distinct value).
    public mutating func constant(_ value: Double) -> NodeID {
        append(.constant(value), at: .unknown)
    }

    /// Declares a learnable scalar and returns its node.
    public mutating func addParameter(name: String, value: Double, bounds: ParameterBounds = ParameterBounds(),
                                      at site: Site) -> Int {
        let index = parameters.count
        let node = append(.parameter(index), at: site)
        parameters.append(Parameter(name: name, value: value, node: node, bounds: bounds))
        return index
    }

    /// Marks nodes traced as plain code as an iteration of a loop (a loop
    /// over a known range whose iterations turned out to repeat one shape),
    /// so that a later op like one of them is not taken for it.
    public mutating func retag(_ ids: [NodeID], as tag: LoopTag) {
        for id in ids {
            let old = nodes[Int(id.index)]
            if old.op.isSharable, shared[SharedKey(op: old.op, loop: old.loop)] == id {
                shared[SharedKey(op: old.op, loop: old.loop)] = nil
            }
            nodes[Int(id.index)].loop = tag
            if old.op.isSharable { shared[SharedKey(op: old.op, loop: tag)] = id }
        }
    }

    /// Names a node for people, unless it already has a name.
    public mutating func label(_ id: NodeID, _ name: String) {
        if nodes[Int(id.index)].label == nil { nodes[Int(id.index)].label = name }
    }

    /// Drops every node that is not an ancestor of `roots` (or a parameter),
    /// moving the others down in the same order. Returns where each old node
    /// went: `moved[old.index]` is the new ID, or nil for a dropped node.
    /// Nodes keep their stream keys, so what they draw does not change.
    public mutating func compact(keeping roots: [NodeID]) -> [NodeID?] {
        let kept = Set(ancestors(of: roots + parameters.map(\.node)))
        var moved = [NodeID?](repeating: nil, count: nodes.count)
        var compacted: [Node] = []
        compacted.reserveCapacity(kept.count)
        func map(_ id: NodeID) -> NodeID { moved[Int(id.index)] ?? id }
        for (index, node) in nodes.enumerated() where kept.contains(NodeID(index)) {
            var node = node
            node.op = node.op.mappingInputs(map)
            moved[index] = NodeID(compacted.count)
            compacted.append(node)
        }
        nodes = compacted
        // A loop keeps the exits still held; with none, nothing of it is needed.
        for index in loops.indices {
            loops[index].exits = loops[index].exits.compactMap { exit in
                guard let kept = moved[Int(exit.exit.index)] else { return nil }
                return LoopExitTrace(exit: kept, values: exit.values.map(map))
            }
            loops[index].alive = loops[index].exits.isEmpty ? [] : loops[index].alive.map(map)
            if var repetition = loops[index].repetition {
                repetition.carried = repetition.carried.compactMap { pair in
                    guard let previous = moved[Int(pair.previous.index)], let current = moved[Int(pair.current.index)] else { return nil }
                    return (previous, current)
                }
                loops[index].repetition = loops[index].exits.isEmpty ? nil : repetition
            }
        }
        for index in parameters.indices { parameters[index].node = map(parameters[index].node) }
        constants = [:]
        shared = [:]
        for (index, node) in nodes.enumerated() {
            if case .constant(let value) = node.op { constants[value.bitPattern] = NodeID(index) }
            if node.op.isSharable { shared[SharedKey(op: node.op, loop: node.loop)] = NodeID(index) }
        }
        return moved
    }

    /// The nodes of a repeating loop's iteration before the template paired
    /// with their counterparts in the template, by place, when the two
    /// iterations have the same shape (the same ops, on inputs from the
    /// same places, the same draws at the same places in their iteration);
    /// nil when they do not. Programs written from the loop later (a
    /// derivative's tangents and score sums) keep the shape when they
    /// write each iteration alike.
    public func repetitionPairs(loop index: Int) -> [(previous: NodeID, current: NodeID)]? {
        guard index < loops.count, let repetition = loops[index].repetition, repetition.template >= 2 else { return nil }
        let t = repetition.template
        var members: [[NodeID]] = [[], [], []]
        for (position, node) in nodes.enumerated() {
            guard let tag = node.loop, tag.loop == Int32(index), Int(tag.iteration) >= t - 2, Int(tag.iteration) <= t else { continue }
            members[Int(tag.iteration) - t + 2].append(NodeID(position))
        }
        guard members[1].count == members[2].count else { return nil }
        let iterations = LoopIterations(members)
        func shape(_ k: Int) -> [IterationShape]? {
            iterations.shape(k, in: self, madeByLoop: { self[$0].loop?.loop == Int32(index) },
                             address: { repetition.streams[self[$0].stream] })
        }
        guard let current = shape(2), let previous = shape(1), current == previous else { return nil }
        let pairs = iterations.pairs(2, in: self)
        return pairs
    }

    /// Pairs again the nodes each repeating loop's template reads from the
    /// iteration before (after a program added nodes to its iterations);
    /// a loop whose iterations no longer have one shape keeps no pairs.
    public mutating func refreshRepetitions() {
        for index in loops.indices where loops[index].repetition != nil {
            let pairs = repetitionPairs(loop: index)
            loops[index].repetition?.carried = pairs ?? []
            loops[index].repetition?.consistent = pairs != nil
        }
    }

    /// For each node of a repeating loop's template that reads the iteration
    /// before it: the counterparts it reads instead in the iterations after
    /// the template (the edges that close a repeating loop into a cycle).
    /// Empty when no loop repeats.
    public func repetitionInputs() -> [NodeID: [NodeID]] {
        // Each repeating loop's template, with its counterparts: one pass over the nodes for them all.
        var counterparts: [LoopTag: [NodeID: NodeID]] = [:]
        for (index, loop) in loops.enumerated() {
            guard let repetition = loop.repetition, !repetition.carried.isEmpty else { continue }
            counterparts[LoopTag(loop: index, iteration: repetition.template)] =
                Dictionary(repetition.carried.map { ($0.previous, $0.current) }, uniquingKeysWith: { a, _ in a })
        }
        guard !counterparts.isEmpty else { return [:] }
        var result: [NodeID: [NodeID]] = [:]
        for (position, node) in nodes.enumerated() {
            guard let tag = node.loop, let counterpart = counterparts[tag] else { continue }
            let wraps = node.op.inputs.compactMap { counterpart[$0] }
            if !wraps.isEmpty { result[NodeID(position), default: []].append(contentsOf: wraps) }
        }
        return result
    }

    /// The ancestors of some nodes (themselves included), in topological order.
    /// The work follows the ancestors, not the graph: a small objective in a
    /// large graph (a loop that re-traces it) is cheap.
    public func ancestors(of roots: [NodeID]) -> [NodeID] {
        guard let top = roots.max() else { return [] }
        // A repeating loop's template reads, in the iterations after it,
        // the counterparts in it of what it reads from the iteration before.
        let wraps = repetitionWraps.value(loops)
        let highest = wraps.values.max().map { Swift.max($0, top) } ?? top
        var marked = [Bool](repeating: false, count: Int(highest.index) + 1)
        var found: [Int32] = []
        var pending: [NodeID] = []
        for root in roots where !marked[Int(root.index)] {
            marked[Int(root.index)] = true
            pending.append(root)
        }
        while let id = pending.popLast() {
            found.append(id.index)
            for input in nodes[Int(id.index)].op.inputs where !marked[Int(input.index)] {
                marked[Int(input.index)] = true
                pending.append(input)
            }
            if let current = wraps[id], !marked[Int(current.index)] {
                marked[Int(current.index)] = true
                pending.append(current)
            }
        }
        found.sort()
        return found.map { NodeID(Int($0)) }
    }

    /// The nodes of `order` (ancestors, in any order) that one of
    /// `parameters` reaches: ``parameters(reaching:)`` for every node at
    /// once, a repeating loop's template reading its own later iterations
    /// included (passes until nothing changes; wraps point forward, so two
    /// or three).
    public func reached(byParameters parameters: Set<Int>, in order: [NodeID]) -> Set<NodeID> {
        let wraps = repetitionWraps.value(loops)
        var moved = Set<NodeID>()
        var changed = true
        while changed {
            changed = false
            for id in order where !moved.contains(id) {
                let hit: Bool
                if case .parameter(let index) = self[id].op {
                    hit = parameters.contains(index)
                } else {
                    hit = self[id].op.inputs.contains(where: moved.contains) || wraps[id].map(moved.contains) == true
                }
                if hit {
                    moved.insert(id)
                    changed = true
                }
            }
        }
        return moved
    }

    /// The parameters among a node's ancestors, by parameter index.
    public func parameters(reaching root: NodeID) -> [Int] {
        ancestors(of: [root]).compactMap { id -> Int? in
            if case .parameter(let index) = self[id].op { return index }
            return nil
        }
    }

    /// The position `x` selects in a list of `count` (negative from the end),
    /// or nil when it is not a whole number inside the list.
    @inlinable
    public static func resolveIndex(_ x: Double, count: Int) -> Int? {
        // In range first (false for nan), then whole: truncation and back,
        // not rounded(), which is a libm call per lane on baseline x86-64.
        guard x > -Double(count) - 1, x < Double(count) else { return nil }
        let k = Int(x)
        guard Double(k) == x else { return nil }
        let resolved = k < 0 ? count + k : k
        return resolved >= 0 && resolved < count ? resolved : nil
    }

    /// Computes a node that is not random from the current parameter values,
    /// or names the first node on the way whose value is not finite.
    /// Returns nil for a random node.
    public func evaluateChecked(_ root: NodeID) -> Result<Double, NonFiniteValue>? {
        guard !self[root].isRandom else { return nil }
        var values: [Int32: Double] = [:]
        for id in ancestors(of: [root]) {
            guard let value = evaluate(id, given: values) else { return nil }
            if !value.isFinite { return .failure(NonFiniteValue(node: id, value: value)) }
            values[id.index] = value
        }
        return (values[root.index]).map { .success($0) }
    }

    /// One node's value from its inputs' values.
    private func evaluate(_ id: NodeID, given values: [Int32: Double]) -> Double? {
        func input(_ node: NodeID) -> Double { values[node.index] ?? .nan }
        switch self[id].op {
        case .constant(let c): return c
        case .parameter(let p): return parameters[p].value
        case .unary(let f, let a): return f.apply(input(a))
        case .binary(let f, let a, let b): return f.apply(input(a), input(b))
        case .select(let c, let a, let b): return input(c) != 0 ? input(a) : input(b)
        case .pick(let index, let choices):
            guard let k = Graph.resolveIndex(input(index), count: choices.count) else { return .nan }
            return input(choices[k])
        case .random: return nil
        case .loopExit(let value, _): return input(value)
        }
    }

    /// Computes a node that is not random from the current parameter values.
    /// Returns nil for a random node.
    public func evaluate(_ root: NodeID) -> Double? {
        switch evaluateChecked(root) {
        case .success(let value)?: return value
        case .failure(let problem)?: return problem.value
        case nil: return nil
        }
    }
}

/// A cache of the carried pairs of a graph's repeating loops. A graph
/// replaces its cache whenever its loops change, so copies of a graph that
/// share one have the same loops; a lock makes filling it safe from any thread.
final class RepetitionWraps: @unchecked Sendable {
    private var wraps: [NodeID: NodeID]?
    private let lock = NSLock()

    func value(_ loops: [LoopTrace]) -> [NodeID: NodeID] {
        lock.lock()
        defer { lock.unlock() }
        if let wraps { return wraps }
        var found: [NodeID: NodeID] = [:]
        for loop in loops {
            for pair in loop.repetition?.carried ?? [] { found[pair.previous] = pair.current }
        }
        wraps = found
        return found
    }
}
