// Interpreter+GarbageCollection.swift — freeing the parts of the graph that no
// value can reach any more. Tracing only appends: a loop that re-traces its
// objective every iteration (or a long REPL session) would otherwise keep
// every node, plan and runner it ever made.
//
// A collection runs at a safe point — between top-level statements, or
// between iterations of a loop that runs at top level (no call and no
// traced branch in progress) — where every node a later step can use is held
// by a binding, a closure's scope, a parameter or the list a loop walks.
// The graph keeps the ancestors of those nodes, moved down in order; the
// values are renumbered to match. Nodes keep their stream keys, so a
// collection never changes a result.

import WiggleGraph
import WiggleSyntax

/// The list a `for x in LIST` loop walks (a box, so a collection can renumber it).
final class LoopItems {
    var values: [Value]
    init(_ values: [Value]) { self.values = values }
}

extension Interpreter {
    /// A safe point of a statement: Ctrl-C is honoured, and the graph is
    /// collected when it has grown enough since the last time.
    func atSafePoint(_ range: SourceRange) throws {
        try checkInterrupt(at: range)
        guard tracer.callDepth == 0, tracer.randomBranchDepth == 0, tracer.branchAssignments.isEmpty, graph.currentLoop == nil,
              graph.count >= max(settings.collectionThreshold, 2 * liveNodesAfterCollection) else { return }
        collectGraph()
    }

    /// Keeps the nodes some value can reach; frees the rest, and the plans
    /// and runners made for them.
    func collectGraph() {
        var roots: [NodeID] = []
        forEachScope { scope in
            for value in scope.values.values { value.forEachNode { roots.append($0) } }
        }
        for items in tracer.loopItems {
            for value in items.values { value.forEachNode { roots.append($0) } }
        }
        let moved = graph.compact(keeping: roots)
        // A deterministic loop checking its iterations for one shape starts
        // over: the nodes it noted have moved.
        for frame in tracer.loopFrames {
            frame.starts = []
            frame.bindingsBefore = []
        }
        tracedCallCache = [:]
        tracer.parameterReach = [:]
        densityTerms = [:]
        foldedObjectives = [:]
        parameters.clearBuiltValues()
        func move(_ value: Value) -> Value { value.renumbered(moved) }
        forEachScope { scope in
            for (name, value) in scope.values where value.holdsNode { scope.values[name] = move(value) }
        }
        for items in tracer.loopItems where items.values.contains(where: \.holdsNode) {
            items.values = items.values.map(move)
        }
        var origins = [NodeOrigin?](repeating: nil, count: graph.count)
        for (old, new) in moved.enumerated() {
            if let new, old < nodeOrigins.count { origins[Int(new.index)] = nodeOrigins[old] }
        }
        nodeOrigins = origins
        executor.forgetPlans()
        liveNodesAfterCollection = graph.count
    }

    /// Calls `body` once for every scope a value can still reach: the
    /// globals and the scopes closures hold, with their parents.
    func forEachScope(_ body: (Scope) -> Void) {
        var seen = Set<ObjectIdentifier>()
        var pending: [Scope] = [globals]
        func visit(_ value: Value) {
            switch value {
            case .function(let closure): pending.append(closure.scope)
            case .list(let items): items.forEach(visit)
            default: break
            }
        }
        for items in tracer.loopItems { items.values.forEach(visit) }
        while let scope = pending.popLast() {
            guard seen.insert(ObjectIdentifier(scope)).inserted else { continue }
            body(scope)
            for value in scope.values.values { visit(value) }
            if let parent = scope.parent { pending.append(parent) }
        }
    }
}

extension Value {
    /// True for a node, or a list holding one.
    var holdsNode: Bool { isNode || containsNode }

    /// Calls `body` with every node this value holds (in lists too).
    func forEachNode(_ body: (NodeID) -> Void) {
        switch self {
        case .node(let id): body(id)
        case .list(let items): for item in items where item.holdsNode { item.forEachNode(body) }
        default: break
        }
    }

    /// The value with its nodes moved where a compaction of the graph put them.
    func renumbered(_ moved: [NodeID?]) -> Value {
        switch self {
        case .node(let id): return .node(moved[Int(id.index)] ?? id)
        case .list(let items): return .list(items.map { $0.holdsNode ? $0.renumbered(moved) : $0 })
        default: return self
        }
    }
}
