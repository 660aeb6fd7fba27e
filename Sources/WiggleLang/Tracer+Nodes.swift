// Tracer+Nodes.swift — how values become graph nodes.
//
// Deterministic values are computed at once (constants fold at trace time);
// a random value, or one computed from a parameter, is a node of the graph,
// and every operation on it appends a node. Control flow runs while tracing
// and leaves no trace, except an `if` on a traced condition, which is traced
// both ways and merged with `select`.

import WiggleGraph
import WiggleSyntax

extension Tracer {
    /// Where a piece of source is, for graph nodes.
    func site(_ range: SourceRange) -> Site {
        // Columns are counted from the last site on the same line, not from the
        // line's start: a long line with many nodes stays linear, not quadratic.
        let offset = range.start
        if let cache = interpreter.siteCache, cache.file === interpreter.file, cache.offset == offset { return cache.site }
        let lineStart = interpreter.file.lineStart(of: offset)
        var column: Int
        if let cache = interpreter.siteCache, cache.file === interpreter.file, cache.lineStart == lineStart, cache.offset <= offset {
            column = cache.column + interpreter.file.text(cache.offset..<offset).unicodeScalars.count
        } else {
            column = interpreter.file.location(of: offset).column
        }
        let site = Site(file: interpreter.file.name, line: interpreter.file.line(of: offset), column: column)
        interpreter.siteCache = (interpreter.file, lineStart, offset, column, site)
        return site
    }

    /// Refuses to let the graph grow past the limit.
    func reserveNodes(_ count: Int, at range: SourceRange) throws {
        if interpreter.graph.count + count > interpreter.settings.maxGraphNodes {
            throw interpreter.fail("the graph would grow past \(interpreter.settings.maxGraphNodes) nodes; is a loop unrolling further than intended? (raise the limit with --max-nodes)",
                       at: range)
        }
    }

    /// Appends a node and returns it as a value.
    func makeNode(_ op: Op, at range: SourceRange, estimator: Estimator? = nil) throws -> Value {
        try reserveNodes(1, at: range)
        let id = interpreter.graph.append(op, at: site(range), estimator: estimator)
        interpreter.recordOrigin(id, range)
        return .node(id)
    }

    /// A constant node.
    func constantNode(_ value: Double) -> NodeID {
        interpreter.graph.constant(value)
    }

    /// The node for a value: itself, or a constant for a number.
    func nodeID(_ value: Value, what: String, at range: SourceRange) throws -> NodeID {
        switch value {
        case .node(let id): return id
        case .number(let x): return constantNode(x)
        case .boolean(let flag): return constantNode(flag ? 1 : 0)
        case .estimate(let estimate): return constantNode(estimate.value)
        default: throw interpreter.fail("\(what) must be a number, got \(value.typeDescription)", at: range)
        }
    }

    /// "depends on a random value" or "depends on a parameter".
    func dependence(of id: NodeID) -> String {
        interpreter.graph[id].isRandom ? "depends on a random value" : "depends on a parameter"
    }

    /// A binary operation where at least one side is a node.
    func tracedBinary(_ op: BinaryOperator, _ left: Value, _ right: Value, at range: SourceRange,
                      left leftRange: SourceRange, right rightRange: SourceRange) throws -> Value {
        guard let function = BinaryFunction(op) else {
            return try tracedLogic(op, left, right, at: range, right: rightRange)
        }
        let a = try nodeID(left, what: "the left side of '\(op.rawValue)'", at: leftRange)
        let b = try nodeID(right, what: "the right side of '\(op.rawValue)'", at: rightRange)
        // A constant operand can already be wrong for every particle.
        if case .constant(let divisor) = interpreter.graph[b].op, let problem = function.domainError(1, divisor), op == .divide {
            throw interpreter.valueFail(problem, at: rightRange)
        }
        if let same = interpreter.graph.identityOperand(function, a, b) { return .node(same) }
        return try makeNode(.binary(function, a, b), at: range)
    }

    /// A condition's truth: a traced value as a 0/1 node (itself when it
    /// already is one, else `!= 0`), anything else as a boolean.
    func truthNode(_ value: Value, at range: SourceRange) throws -> Value {
        if case .node(let id) = value {
            if interpreter.graph.isTruthValue(id) { return value }
            return try makeNode(.binary(.notEqual, id, constantNode(0)), at: range)
        }
        return .boolean(try interpreter.truth(value, at: range))
    }

    /// `and` / `or` on traced operands: booleans as 0/1 nodes.
    func tracedLogic(_ op: BinaryOperator, _ left: Value, _ right: Value, at range: SourceRange,
                     right rightRange: SourceRange) throws -> Value {
        let a = try truthNode(left, at: range)
        let b = try truthNode(right, at: rightRange)
        switch (a, b) {
        case (.boolean(let x), _): return op == .and ? (x ? b : .boolean(false)) : (x ? .boolean(true) : b)
        case (_, .boolean(let y)): return op == .and ? (y ? a : .boolean(false)) : (y ? .boolean(true) : a)
        default:
            let x = try nodeID(a, what: "a condition", at: range)
            let y = try nodeID(b, what: "a condition", at: range)
            return try makeNode(.binary(op == .and ? .multiply : .max, x, y), at: range)
        }
    }

    /// A condition that must be known while tracing (while, comprehension filters).
    func knownTruth(_ value: Value, at range: SourceRange, context: String) throws -> Bool {
        if case .node(let id) = value {
            throw interpreter.fail("\(context) must be known while tracing, but this one \(dependence(of: id))", at: range)
        }
        return try interpreter.truth(value, at: range)
    }

    /// Refuses effects that cannot happen in some particles only.
    func refuseInRandomBranch(_ what: String, at range: SourceRange) throws {
        try refuseInRandomLoop(what, at: range)
        guard randomBranchDepth > 0 else { return }
        throw interpreter.fail("'\(what)' inside an if whose condition is traced (line \(randomBranchLine)) would happen in some particles only; move it out of the if",
                   at: range)
    }

    /// Refuses what cannot happen per particle inside a loop of random length.
    func refuseInRandomLoop(_ what: String, at range: SourceRange) throws {
        guard let tag = interpreter.graph.currentLoop else { return }
        throw interpreter.fail("'\(what)' inside a loop of random length (line \(interpreter.graph.loops[Int(tag.loop)].site.line)) would happen in some particles only; move it out of the loop",
                   at: range)
    }

    // MARK: if on a traced condition

    /// Runs an if / else-if / else chain, tracing both ways at a traced condition.
    func executeIf(_ branches: ArraySlice<ConditionalBranch>, elseBody: Block?, in scope: Scope,
                   statement: Stmt) throws -> Flow {
        guard let branch = branches.first else {
            if let elseBody { return try interpreter.execute(elseBody, in: scope) }
            return .normal
        }
        let condition = try interpreter.evaluate(branch.condition, in: scope)
        if case .node(let id) = condition {
            try traceBothWays(condition: id, at: branch.condition.range, in: scope,
                              then: { try self.interpreter.execute(branch.body, in: scope) },
                              otherwise: { try self.executeIf(branches.dropFirst(), elseBody: elseBody, in: scope,
                                                               statement: statement) })
            return .normal
        }
        if try interpreter.truth(condition, at: branch.condition.range) {
            return try interpreter.execute(branch.body, in: scope)
        }
        return try executeIf(branches.dropFirst(), elseBody: elseBody, in: scope, statement: statement)
    }

    /// Runs both branches from the same bindings, then binds every name
    /// either assigned to `select(condition, then-value, else-value)`.
    func traceBothWays(condition: NodeID, at range: SourceRange, in scope: Scope,
                       then: () throws -> Flow, otherwise: () throws -> Flow) throws {
        let line = interpreter.file.line(of: range.start)
        if randomBranchDepth == 0 { randomBranchLine = line }
        randomBranchDepth += 1
        defer { randomBranchDepth -= 1 }
        let before = scope.values
        branchAssignments.append((scope, []))
        defer { branchAssignments.removeLast() }
        // Each side's draws are addressed in a frame of its own.
        let addressDepth = interpreter.graph.addresses.depth
        interpreter.graph.addresses.enter(.tracedIf)
        defer { interpreter.graph.addresses.truncate(to: addressDepth) }
        // A branch that ends in break, continue or return: its particles leave there.
        pathConditions.append((condition, true))
        defer { pathConditions.removeLast() }
        interpreter.graph.addresses.enter(.branch, index: 0)
        try leave(try then(), in: scope)
        interpreter.graph.addresses.leave()
        interpreter.graph.addresses.enter(.branch, index: 1)
        pathConditions[pathConditions.count - 1] = (condition, false)
        let afterThen = scope.values
        let assignedThen = branchAssignments[branchAssignments.count - 1].names
        branchAssignments[branchAssignments.count - 1].names = []
        scope.values = before
        try leave(try otherwise(), in: scope)
        interpreter.graph.addresses.leave()
        let afterElse = scope.values
        let assigned = assignedThen.union(branchAssignments[branchAssignments.count - 1].names)
        // What this if assigns, an enclosing traced if assigns too.
        if branchAssignments.count >= 2, branchAssignments[branchAssignments.count - 2].scope === scope {
            branchAssignments[branchAssignments.count - 2].names.formUnion(assigned)
        }

        // Only the names a branch assigned can differ; the rest stay as they were.
        var merged = before
        for name in assigned.sorted() {
            // A name bound in one branch only takes, on the other side, the value
            // a lookup would find there: an enclosing scope's (inside a function,
            // the global it shadows). Found nowhere, it has no value after the if.
            let outer = scope.parent?.lookup(name)
            guard let thenValue = afterThen[name] ?? outer, let elseValue = afterElse[name] ?? outer else {
                merged[name] = nil
                interpreter.branchOnlyNames[name] = "in only one branch of the if on a random condition at line \(line)"
                continue
            }
            merged[name] = try merge(condition, thenValue, elseValue, name: name, at: range)
        }
        scope.values = merged
    }

    /// An error of a value that cannot be merged after the if or loop
    /// iteration whose condition is at `range`: at the assignment inside it
    /// that made the value when there is one, naming the if's or loop's line.
    func mergeFailure(_ message: String, name: String, at range: SourceRange, inLoop: Bool) -> RuntimeError {
        let line = interpreter.file.line(of: range.start)
        if let site = interpreter.assignedAt[name], site.file === interpreter.file, site.range.start > range.start {
            return RuntimeError("\(message) (the \(inLoop ? "loop" : "if") at line \(line))", at: site.range, in: site.file)
        }
        return interpreter.fail(message, at: range)
    }

    /// `select(condition, a, b)` for numbers and nodes, element by element for lists.
    func merge(_ condition: NodeID, _ a: Value, _ b: Value, name: String, at range: SourceRange,
               inLoop: Bool = false) throws -> Value {
        switch (a, b) {
        case (.node(let x), .node(let y)) where x == y:
            return a
        case (.list(let xs), .list(let ys)):
            guard xs.count == ys.count else {
                if inLoop {
                    throw mergeFailure("'\(name)' is a list of \(xs.count) in particles that ran this iteration and of \(ys.count) in the others; in a loop of random length a list keeps its length (fill a list of fixed length instead)",
                                       name: name, at: range, inLoop: true)
                }
                throw mergeFailure("'\(name)' is a list of \(xs.count) in one branch and of \(ys.count) in the other; an if on a traced condition needs the same length",
                                   name: name, at: range, inLoop: false)
            }
            return .list(try zip(xs, ys).map { try merge(condition, $0, $1, name: name, at: range, inLoop: inLoop) })
        case (.string(let x), .string(let y)) where x == y:
            return a
        case (.function(let x), .function(let y)) where x === y:
            return a
        case (.builtin(let x), .builtin(let y)) where x == y:
            return a
        case (.distribution(let x), .distribution(let y)) where x == y:
            return a
        case (.density(let x), .density(let y)) where x == y:
            return a
        default:
            if let x = a.asNumber, let y = b.asNumber, x == y, !(a.isNode || b.isNode) { return a }
            guard (a.asNumber != nil || a.isNode) && (b.asNumber != nil || b.isNode) else {
                let sides = inLoop ? ("in particles that ran this iteration", "in the others") : ("in one branch", "in the other")
                let what = a.typeDescription == b.typeDescription
                    ? "holds a different \(a.typeDescription.split(separator: " ").last ?? "value") \(inLoop ? "\(sides.0) and \(sides.1)" : "in each branch")"
                    : "is \(a.typeDescription) \(sides.0) and \(b.typeDescription) \(sides.1)"
                let rule = inLoop ? "only numbers can differ between particles in a loop of random length"
                    : "only numbers can differ between the branches of an if on a traced condition"
                throw mergeFailure("'\(name)' \(what); \(rule)", name: name, at: range, inLoop: inLoop)
            }
            let x = try nodeID(a, what: name, at: range)
            let y = try nodeID(b, what: name, at: range)
            return try makeNode(.select(condition, x, y), at: range)
        }
    }
}

extension Tracer {
    /// sum, mean and std of a list holding traced values, as graph nodes.
    func tracedStatistic(_ builtin: Builtin, _ arguments: [CallArgument], at range: SourceRange) throws -> Value? {
        let positional = arguments.filter { $0.label == nil }
        guard positional.count == 1, case .list(let items) = positional[0].value,
              items.contains(where: { $0.isNode }) else { return nil }
        try interpreter.noKeywords(builtin.rawValue, arguments, allowed: builtin == .std ? ["ddof"] : [])
        let what = "each element given to \(builtin.rawValue)"
        let nodes = try items.map { try nodeID($0, what: what, at: positional[0].range) }
        var ddof = 0
        if builtin == .std, let argument = interpreter.keyword("ddof", arguments) {
            ddof = try interpreter.wholeNumber(argument.value, what: "ddof", at: argument.range)
            guard ddof == 0 || ddof == 1 else { throw interpreter.fail("ddof must be 0 or 1, got \(ddof)", at: argument.range) }
        }
        func build() throws -> Value {
            if builtin == .sum || builtin == .mean, let likelihood = try sumOfDensityTerms(items, at: range) {
                if builtin == .sum { return likelihood }
                return try Algebra(interpreter: interpreter, range: range).times(likelihood, .number(1 / Double(items.count)))
            }
            return try statistic(builtin, of: nodes, ddof: ddof, what: what, at: range, list: positional[0].range)
        }
        guard var key = tracedCallKey(builtin, [CallArgument(label: nil, value: .list(items), range: positional[0].range)]) else {
            return try build()
        }
        key.tokens.append(UInt64(ddof))
        return try cachedTracedCall(key, build: build)
    }

    /// The value of a pure builtin call on traced values: from
    /// ``Interpreter/tracedCallCache`` when the same call was built before, else built
    /// and remembered (draws are keyed by their addresses, so skipping a
    /// rebuild moves none). A call that fails is not remembered.
    func cachedTracedCall(_ key: TracedCallKey, build: () throws -> Value) throws -> Value {
        if let known = interpreter.tracedCallCache[key] { return known }
        let value = try build()
        interpreter.tracedCallCache[key] = value
        return value
    }

    /// The key of a call whose arguments are numbers, booleans, traced
    /// values and lists of them, without labels; nil for any other call
    /// (it is not remembered) or one with nothing traced.
    func tracedCallKey(_ builtin: Builtin, _ arguments: [CallArgument]) -> TracedCallKey? {
        var tokens: [UInt64] = []
        var traced = false
        func encode(_ value: Value) -> Bool {
            switch value {
            case .node(let id): tokens += [1, UInt64(UInt32(bitPattern: id.index))]; traced = true
            case .number(let x): tokens += [2, x.bitPattern]
            case .boolean(let flag): tokens += [3, flag ? 1 : 0]
            case .list(let items):
                tokens += [4, UInt64(items.count)]
                return items.allSatisfy(encode)
            default: return false
            }
            return true
        }
        guard arguments.allSatisfy({ $0.label == nil && encode($0.value) }), traced else { return nil }
        return TracedCallKey(builtin: builtin, tokens: tokens, loop: interpreter.graph.currentLoop)
    }

    /// Builds `sum`, `mean` or `std` (with `ddof`) of traced nodes.
    private func statistic(_ builtin: Builtin, of nodes: [NodeID], ddof: Int, what: String,
                           at range: SourceRange, list: SourceRange) throws -> Value {
        /// A balanced sum keeps the graph shallow.
        func total(_ slice: ArraySlice<NodeID>) throws -> NodeID {
            if slice.count == 1, let only = slice.first { return only }
            let middle = slice.startIndex + slice.count / 2
            let left = try total(slice[slice.startIndex..<middle])
            let right = try total(slice[middle...])
            return try nodeID(try makeNode(.binary(.add, left, right), at: range), what: what, at: range)
        }
        let sum = try total(nodes[...])
        if builtin == .sum { return .node(sum) }
        let count = Double(nodes.count)
        let mean = try nodeID(try makeNode(.binary(.multiply, sum, constantNode(1 / count)), at: range), what: what, at: range)
        if builtin == .mean { return .node(mean) }
        guard nodes.count > ddof else {
            throw interpreter.fail("std needs at least \(countPhrase(ddof + 1, "element")), got \(nodes.count)", at: list)
        }
        var squares: [NodeID] = []
        for node in nodes {
            let deviation = try nodeID(try makeNode(.binary(.subtract, node, mean), at: range), what: what, at: range)
            squares.append(try nodeID(try makeNode(.binary(.power, deviation, constantNode(2)), at: range), what: what, at: range))
        }
        let variance = try makeNode(.binary(.multiply, try total(squares[...]), constantNode(1 / (count - Double(ddof)))),
                                    at: range)
        return try makeNode(.unary(.sqrt, try nodeID(variance, what: what, at: range)), at: range)
    }
}

extension Value {
    /// True for a traced value.
    var isNode: Bool {
        if case .node = self { return true }
        return false
    }

    /// The node of a traced value, nil for anything else.
    var nodeValue: NodeID? {
        if case .node(let id) = self { return id }
        return nil
    }
}

/// What makes two traced builtin calls the same (see ``Interpreter/tracedCallCache``):
/// the builtin, its arguments encoded (nodes, numbers' bits, list
/// lengths), and the loop iteration.
struct TracedCallKey: Hashable {
    var builtin: Builtin
    var tokens: [UInt64]
    var loop: LoopTag?
}

/// A log-density traced with a number for x (``Interpreter/densityTerms``):
/// the distribution, x, and the arguments bound in order (x first).
struct DensityTerm {
    var distribution: DistributionID
    var x: Double
    var arguments: [CallArgument]
}
