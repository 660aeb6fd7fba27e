// Interpreter.swift — runs statements and evaluates expressions.
//
// Control flow of the host language runs here; `if`, `for` and `while` open no
// scope (as in Python), a function call opens one whose parent is the scope
// the function was defined in.

import WiggleGraph
import WiggleSyntax

/// Thrown when Ctrl-C asks a running program to stop.
struct Interruption: Error {
    var range: SourceRange
    var file: SourceFile
}

/// Walks the syntax tree. One interpreter lives as long as its ``Session``.
final class Interpreter {
    /// Module-level bindings.
    let globals = Scope(parent: nil)
    /// Learnable parameters by name, in declaration order.
    var parameters = ParameterStore()
    /// Particles, seed and limits.
    var settings: Settings {
        didSet { executor.options = settings.executorOptions }
    }
    /// Runs the estimates of the graph: plans, runners, the draw count, the
    /// pilot and the optimiser's loop (WiggleGraph).
    let executor: Executor
    /// The state of the run in progress: made afresh for each run, so that
    /// a run stopped by an error leaves nothing behind.
    lazy var tracer = Tracer(interpreter: self)
    /// Estimates, gradients and optimisations as the language shows them.
    lazy var inference = Inference(interpreter: self)
    /// Where displays and prints go.
    var output: (Output) -> Void = { _ in }
    /// How many things the run has shown (a loop whose iterations show
    /// something is never cut short: see Tracer.repeatsFromHere).
    var outputCount = 0
    /// Settings the command line fixed that a `set(...)` tried to change
    /// (noted once each).
    var overriddenSettings: Set<String> = []
    /// The estimator warnings of the current run, each once.
    var reportedWarnings: [Diagnostic] = []
    /// The file whose code is running (changes inside calls to functions from other files).
    var file: SourceFile
    /// Addresses below this are too close to the end of the interpreter
    /// thread's stack (stacks grow down); 0 when unknown.
    var stackLimit: UInt = 0
    /// The stochastic graph every traced value lives in.
    var graph = Graph()
    /// Names bound in only one branch of such an if, for a clear message if used later.
    var branchOnlyNames: [String: String] = [:]
    /// Where each name was last assigned (`x = ...`, `x += ...`): a value
    /// that cannot be merged after an if or a loop iteration on a traced
    /// condition is reported there.
    var assignedAt: [String: (range: SourceRange, file: SourceFile)] = [:]
    /// Where the tracing of a loop of random length stopped on an error
    /// (by its row in Graph.loops): the particles that run that iteration get it.
    var loopStops: [Int: (range: SourceRange, file: SourceFile)] = [:]
    /// Whether a loop of random length whose iterations settle into one
    /// shape is traced no further (``LoopRepetition``); off, it is unrolled
    /// to its limit (for tests that compare the two).
    var repeatsLoops = true
    /// Whether a gradient through a loop that would keep a tape is carried
    /// forward where it can (``Inference/gradientRunner(for:gradient:)``);
    /// off, the reverse sweep always runs (for tests and benchmarks).
    var forwardGradients = true
    /// A deterministic loop's variable, while its iterations are checked
    /// for one shape, and how often the body read it.
    var watchedName: String?
    var watchedReads = 0
    /// The last site computed, to count columns on from it (and to give
    /// again for the same place).
    var siteCache: (file: SourceFile, lineStart: Int, offset: Int, column: Int, site: Site)?
    /// Pure builtins of traced lists already built (`sum mean std softmax
    /// logsumexp dot matvec`): the same call on the same nodes and numbers
    /// in the same loop iteration is the same value (sharing would find
    /// each of its nodes again; this skips the walk), with the appends it
    /// made. Emptied when the graph is compacted.
    var tracedCallCache: [TracedCallKey: Value] = [:]
    /// The log-density terms traced with a number for x, by node (see
    /// ``Tracer/sumOfDensityTerms(_:at:)``). Emptied when the graph is compacted.
    var densityTerms: [NodeID: DensityTerm] = [:]
    /// Where each node was written (by node index), for engine errors.
    var nodeOrigins: [NodeOrigin?] = []
    /// Objectives whose derivatives are taken with a draw's map folded into
    /// it (Inference.derivativeObjective), and those checked and left as they are.
    var foldedObjectives: [FoldKey: (root: NodeID, folds: [NodeID: String])] = [:]
    /// The last note on how randomised QMC shares out the particles (said once per change).
    var quasiNotice: String?
    /// The top-level statement running, and its file (where an interruption is reported).
    var currentRange = SourceRange.at(0)
    var currentFile = SourceFile(name: "<none>", text: "")
    /// Asked at safe points whether Ctrl-C was pressed.
    var shouldStop: (@Sendable () -> Bool)? {
        didSet { executor.shouldStop = shouldStop }
    }
    /// How many nodes were live after the last collection of the graph.
    var liveNodesAfterCollection = 0

    init(settings: Settings, file: SourceFile) {
        self.settings = settings
        self.file = file
        executor = Executor(options: settings.executorOptions)
    }

    func fail(_ message: String, at range: SourceRange) -> RuntimeError {
        RuntimeError(message, at: range, in: file)
    }

    /// An error of the values computed, not of the program's shape (see
    /// ``RuntimeError/isValueError``).
    func valueFail(_ message: String, at range: SourceRange) -> RuntimeError {
        var error = RuntimeError(message, at: range, in: file)
        error.isValueError = true
        return error
    }

    /// Refuses to go deeper when the stack is nearly used up, whatever the
    /// limits allowed (deep expressions inside deep recursion).
    func checkStack(at range: SourceRange) throws {
        guard stackLimit != 0 else { return }
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        if here < stackLimit {
            throw fail("the program nests too deeply: the interpreter's stack is used up", at: range)
        }
    }

    /// Stops the program at a safe point when Ctrl-C was pressed.
    func checkInterrupt(at range: SourceRange) throws {
        if let shouldStop, shouldStop() { throw Interruption(range: range, file: file) }
    }

    // MARK: Statements

    /// Runs a program's top-level statements, displaying expression statements' values.
    func run(_ program: Program) throws {
        file = program.file
        for statement in program.statements {
            currentRange = statement.range
            currentFile = file
            try atSafePoint(statement.range)
            if case .expression(let expression) = statement.kind {
                let value = try evaluate(expression, in: globals)
                if case .none = value { continue }
                let shown = try inference.displayable(value, at: expression.range)
                let source = DisplaySource(expr: file.text(expression.range.start..<expression.range.end))
                output(.display(shown, line: file.line(of: statement.range.start), source: source))
                if case .report(.optimisation(let result)) = shown, result.interrupted {
                    throw Interruption(range: statement.range, file: file)
                }
            } else {
                _ = try execute(statement, in: globals)
                // An assigned report (`fit = minimize(...)`, `h = hist(x)`)
                // is there to be seen: show it, with its name.
                if case .assign(let target, nil, let valueExpr) = statement.kind,
                   case .report(let report)? = globals.lookup(target.name) {
                    let source = DisplaySource(expr: file.text(valueExpr.range.start..<valueExpr.range.end), name: target.name)
                    output(.display(.report(report), line: file.line(of: statement.range.start), source: source))
                    if case .optimisation(let result) = report, result.interrupted {
                        throw Interruption(range: statement.range, file: file)
                    }
                }
            }
        }
    }

    /// Runs the statements of a block in the given scope (blocks open no scope).
    func execute(_ block: Block, in scope: Scope) throws -> Flow {
        for statement in block.statements {
            let flow = try execute(statement, in: scope)
            if !flow.isNormal { return flow }
        }
        return .normal
    }

    /// Runs one statement.
    func execute(_ statement: Stmt, in scope: Scope) throws -> Flow {
        switch statement.kind {
        case .expression(let expression):
            _ = try evaluate(expression, in: scope)

        case .assign(let target, let op, let valueExpr):
            // At top level a parameter's name cannot be rebound; inside a
            // function, assignment binds a local that shadows it (the scope rule).
            if scope === globals && parameters.contains(target.name) {
                throw fail("'\(target.name)' is a parameter; only minimize/maximize change it", at: target.range)
            }
            var value = try evaluate(valueExpr, in: scope)
            if let op {
                if target.name == watchedName { watchedReads += 1 }
                guard let old = scope.lookup(target.name) else {
                    throw fail("'\(target.name)' has no value yet to update with '\(op.rawValue)='", at: target.range)
                }
                value = try binary(op, old, value, at: statement.range, left: target.range, right: valueExpr.range)
            }
            if case .node(let id) = value { graph.label(id, target.name) }
            bind(target.name, value, in: scope)
            assignedAt[target.name] = (statement.range, file)

        case .param(let name, let sizeExpr, let columnsExpr, let valueExpr, let lowerExpr, let upperExpr):
            try declareParameter(name: name, size: sizeExpr, columns: columnsExpr, value: valueExpr,
                                 lower: lowerExpr, upper: upperExpr, scope: scope, statement: statement)

        case .function(let declaration):
            if scope === globals && parameters.contains(declaration.name.name) {
                throw fail("'\(declaration.name.name)' is a parameter; choose another name for the function",
                           at: declaration.name.range)
            }
            bind(declaration.name.name, .function(Closure(declaration: declaration, file: file, scope: scope)), in: scope)

        case .ifChain(let branches, let elseBody):
            return try tracer.executeIf(branches[...], elseBody: elseBody, in: scope, statement: statement)

        case .forIn(let variable, let sequence, let body):
            if scope === globals && parameters.contains(variable.name) {
                throw fail("'\(variable.name)' is a parameter; choose another loop variable", at: variable.range)
            }
            // `for i in a..b` counts without building the list.
            if case .range(let lowExpr, let highExpr) = sequence.kind {
                return try tracer.executeRangeFor(variable, lowExpr, highExpr, body, statement: statement, in: scope)
            }
            // The items stay where a collection of the graph can see
            // (and renumber) the nodes they hold.
            let items = LoopItems(try iterable(try evaluate(sequence, in: scope), at: sequence.range))
            tracer.loopItems.append(items)
            defer { tracer.loopItems.removeLast() }
            var index = 0
            let frame = LoopFrame(scope: scope, range: sequence.range, limited: false, pathDepth: tracer.pathConditions.count)
            return try tracer.runLoop(frame, body: body, statement: statement) {
                guard index < items.values.count else { return .boolean(false) }
                self.bind(variable.name, items.values[index], in: scope)
                index += 1
                return .boolean(true)
            }

        case .whileLoop(let conditionExpr, let body):
            return try tracer.executeWhile(conditionExpr, body, statement: statement, in: scope)

        case .returnValue(let valueExpr):
            let value = try valueExpr.map { try evaluate($0, in: scope) } ?? .none
            return .returned(value, statement.range)

        case .breakLoop:
            return .broke(statement.range)

        case .continueLoop:
            return .continued(statement.range)
        }
        return .normal
    }

    /// `param name = v`, `param name[n] = v` or `param name[r][c] = v`: a
    /// learnable scalar, vector or matrix, each element a parameter leaf of
    /// the graph; `, lower = a`, `, upper = b` bound every element (open
    /// bounds: the optimiser keeps it strictly inside). In an interactive
    /// session a second declaration of the same name sets its value and
    /// bounds (a notebook cell run again).
    func declareParameter(name: Identifier, size sizeExpr: Expr?, columns columnsExpr: Expr? = nil, value valueExpr: Expr,
                          lower lowerExpr: Expr? = nil, upper upperExpr: Expr? = nil,
                          scope: Scope, statement: Stmt) throws {
        if scope !== globals {
            throw fail("'param' declares a global parameter; write it at the top level, not inside a function",
                       at: statement.range)
        }
        try tracer.refuseInRandomBranch("param", at: statement.range)
        let existing = parameters.declaration(of: name.name)
        if let existing, !settings.parametersCanBeRedeclared {
            throw fail("parameter '\(name.name)' is already declared at line \(existing.line)", at: name.range)
        }
        var bounds = ParameterBounds()
        if let lowerExpr {
            bounds.lower = try number(try evaluate(lowerExpr, in: scope), what: "a parameter's lower bound", at: lowerExpr.range)
            guard !bounds.lower.isNaN, bounds.lower < .infinity else {
                throw fail("a parameter's lower bound must be a number below infinity", at: lowerExpr.range)
            }
        }
        if let upperExpr {
            bounds.upper = try number(try evaluate(upperExpr, in: scope), what: "a parameter's upper bound", at: upperExpr.range)
            guard !bounds.upper.isNaN, bounds.upper > -.infinity else {
                throw fail("a parameter's upper bound must be a number above minus infinity", at: upperExpr.range)
            }
        }
        if let lowerExpr, let upperExpr, bounds.lower >= bounds.upper {
            throw fail("the lower bound (\(formatNumber(bounds.lower))) must be below the upper bound (\(formatNumber(bounds.upper)))",
                       at: lowerExpr.range.union(upperExpr.range))
        }
        if let lowerExpr, let upperExpr, bounds.lower.isFinite, bounds.upper.isFinite, !(bounds.upper - bounds.lower).isFinite {
            throw fail("the bounds are too far apart for a double (upper − lower overflows); leave one out for a one-sided bound",
                       at: lowerExpr.range.union(upperExpr.range))
        }
        if globals.values[name.name] != nil {
            throw fail("'\(name.name)' is already a variable; a parameter needs a fresh name", at: name.range)
        }
        let value = try evaluate(valueExpr, in: scope)
        let line = file.line(of: name.range.start)
        let site = tracer.site(name.range)
        var initial: [Double]
        var isVector = false
        var columns: Int?
        if let sizeExpr, let columnsExpr {
            // A matrix: rows × columns, row by row; its value is a list of rows.
            isVector = true
            let rows = try wholeNumber(try evaluate(sizeExpr, in: scope), what: "the rows of a parameter matrix", at: sizeExpr.range)
            let width = try wholeNumber(try evaluate(columnsExpr, in: scope), what: "the columns of a parameter matrix",
                                        at: columnsExpr.range)
            guard rows >= 1 else { throw fail("a parameter matrix needs at least 1 row, got \(rows)", at: sizeExpr.range) }
            guard width >= 1 else { throw fail("a parameter matrix needs at least 1 column, got \(width)", at: columnsExpr.range) }
            guard rows <= ParameterStore.maxVectorLength / width else {
                throw fail("a parameter matrix of \(rows) × \(width) elements is too large (the limit is \(ParameterStore.maxVectorLength) in all)",
                           at: statement.range)
            }
            columns = width
            switch value {
            case .initializer(let mean, let sd):
                initial = drawInitialValues(name.name, count: rows * width, mean: mean, sd: sd)
            case .list(let items):
                guard items.count == rows else {
                    throw fail("'\(name.name)' has \(rows) rows but its initial list has \(items.count)", at: valueExpr.range)
                }
                initial = []
                for item in items {
                    guard case .list(let row) = item, row.count == width else {
                        throw fail("each row of '\(name.name)''s initial list must be a list of \(width) numbers", at: valueExpr.range)
                    }
                    initial += try row.map { try initialValue($0, at: valueExpr.range) }
                }
            default:
                initial = Array(repeating: try initialValue(value, at: valueExpr.range), count: rows * width)
            }
        } else if let sizeExpr {
            isVector = true
            let count = try wholeNumber(try evaluate(sizeExpr, in: scope), what: "the size of a parameter vector",
                                        at: sizeExpr.range)
            guard count >= 1 else {
                throw fail("a parameter vector needs at least 1 element, got \(count)", at: sizeExpr.range)
            }
            guard count <= ParameterStore.maxVectorLength else {
                throw fail("a parameter vector of \(count) elements is too large (the limit is \(ParameterStore.maxVectorLength))",
                           at: sizeExpr.range)
            }
            switch value {
            case .initializer(let mean, let sd):
                initial = drawInitialValues(name.name, count: count, mean: mean, sd: sd)
            case .list(let items):
                guard items.count == count else {
                    throw fail("'\(name.name)' has \(count) elements but its initial list has \(items.count)",
                               at: valueExpr.range)
                }
                initial = try items.map { try initialValue($0, at: valueExpr.range) }
            default:
                initial = Array(repeating: try initialValue(value, at: valueExpr.range), count: count)
            }
        } else if case .initializer(let mean, let sd) = value {
            initial = drawInitialValues(name.name, count: 1, mean: mean, sd: sd)
        } else {
            initial = [try initialValue(value, at: valueExpr.range)]
        }
        if let infinite = initial.first(where: { !$0.isFinite }) {
            throw fail("'\(name.name)' starts at \(formatNumber(infinite)): a parameter's initial value must be a finite number",
                       at: valueExpr.range)
        }
        if let outside = initial.first(where: { !bounds.contains($0) }) {
            throw fail("'\(name.name)' starts at \(formatNumber(outside)), outside its bounds \(bounds.description): "
                       + "a bounded parameter starts strictly inside them", at: valueExpr.range)
        }
        if let existing, existing.indices.count != initial.count || existing.isVector != isVector || existing.columns != columns {
            // Values traced from the old elements would keep them, under the same names.
            throw fail("'\(name.name)' was declared at line \(existing.line) with another shape; declared again it must keep it (:reset starts afresh)",
                       at: name.range)
        }
        if let existing {
            // Declared again with the same shape: new values and bounds in
            // place, so everything traced from it sees them.
            for (index, start) in zip(existing.indices, initial) {
                graph.parameters[index].value = start
                graph.parameters[index].bounds = bounds
            }
            parameters.redeclare(name.name, line: line)
            return
        }
        try tracer.reserveNodes(initial.count, at: statement.range)
        let indices = initial.enumerated().map { position, start in
            let element = columns.map { "\(name.name)[\(position / $0)][\(position % $0)]" } ?? "\(name.name)[\(position)]"
            return graph.addParameter(name: isVector ? element : name.name, value: start, bounds: bounds, at: site)
        }
        parameters.declare(ParameterStore.Entry(name: name.name, indices: indices, isVector: isVector, line: line,
                                                columns: columns))
    }

    /// Starting values drawn from normal(mean, sd), from a stream of their
    /// own derived from the seed and the parameter's name.
    func drawInitialValues(_ name: String, count: Int, mean: Double, sd: Double) -> [Double] {
        var hash = FNV1a()
        hash.add(name.utf8)
        var rng = Xoshiro256(seed: splitMix64(settings.seed) ^ hash.value)
        return (0..<count).map { _ in mean + sd * rng.normal() }
    }

    /// A parameter's starting value: a number known now, not a random value.
    func initialValue(_ value: Value, at range: SourceRange) throws -> Double {
        if case .node(let id) = value {
            if graph[id].isRandom {
                throw fail("a parameter's initial value must be a number, not a random value", at: range)
            }
            if let current = try currentValue(of: id, at: range) { return current }
        }
        return try number(value, what: "a parameter's initial value", at: range)
    }

    /// Unary minus: of a number, an estimate, a traced value, or each
    /// element of a list.
    func negate(_ operand: Value, at range: SourceRange) throws -> Value {
        switch operand {
        case .node(let id): return try tracer.makeNode(.unary(.negate, id), at: range)
        case .list(let items): return try nestedList(items.map { try negate($0, at: range) }, at: range)
        default: break
        }
        guard let x = operand.asNumber else {
            throw fail("cannot negate \(operand.typeDescription)", at: range)
        }
        if case .estimate(let estimate) = operand { return .estimate(estimate.mapped(to: -x, slope: -1)) }
        return .number(-x)
    }

    /// Binds a name in a scope (blocks open none), noting it for the merge of
    /// an if on a traced condition.
    func bind(_ name: String, _ value: Value, in scope: Scope) {
        scope.values[name] = value
        if let last = tracer.branchAssignments.indices.last, tracer.branchAssignments[last].scope === scope {
            tracer.branchAssignments[last].names.insert(name)
        }
    }

    // MARK: Expressions

    /// Evaluates an expression.
    func evaluate(_ expression: Expr, in scope: Scope) throws -> Value {
        switch expression.kind {
        case .number(let value): return .number(value)
        case .string(let text): return .string(text)
        case .boolean(let flag): return .boolean(flag)

        case .name(let name):
            return try lookup(name, at: expression.range, in: scope)

        case .unary(let op, let operandExpr):
            let operand = try evaluate(operandExpr, in: scope)
            switch op {
            case .negate:
                return try negate(operand, at: expression.range)
            case .not:
                if case .node(let id) = operand {
                    return try tracer.makeNode(.unary(.not, id), at: expression.range)
                }
                return .boolean(!(try truth(operand, at: operandExpr.range)))
            }

        case .binary(let op, let leftExpr, let rightExpr):
            // 'and' and 'or' evaluate their right side only when needed.
            if op == .and || op == .or {
                let leftValue = try evaluate(leftExpr, in: scope)
                if case .node = leftValue {
                    // A traced operand: both sides become part of the graph.
                    let rightValue = try evaluate(rightExpr, in: scope)
                    return try tracer.tracedLogic(op, leftValue, rightValue, at: expression.range, right: rightExpr.range)
                }
                let left = try truth(leftValue, at: leftExpr.range)
                if op == .and && !left { return .boolean(false) }
                if op == .or && left { return .boolean(true) }
                let rightValue = try evaluate(rightExpr, in: scope)
                if case .node = rightValue { return try tracer.truthNode(rightValue, at: expression.range) }
                return .boolean(try truth(rightValue, at: rightExpr.range))
            }
            let left = try evaluate(leftExpr, in: scope)
            let right = try evaluate(rightExpr, in: scope)
            return try binary(op, left, right, at: expression.range, left: leftExpr.range, right: rightExpr.range)

        case .range(let lowExpr, let highExpr):
            let (low, high) = try rangeBounds(lowExpr, highExpr, in: scope)
            let count = max(0, high - low)
            guard count <= settings.maxListLength else {
                throw fail("the range \(low)..\(high) has \(count) elements; lists are limited to \(settings.maxListLength)",
                           at: expression.range)
            }
            return .list(count == 0 ? [] : (low..<high).map { .number(Double($0)) })

        case .list(let elements):
            return try nestedList(try elements.map { try evaluate($0, in: scope) }, at: expression.range)

        case .comprehension(let comprehension):
            return try evaluateComprehension(comprehension, in: scope)

        case .index(let baseExpr, let indexExpr):
            let base = try evaluate(baseExpr, in: scope)
            let indexValue = try evaluate(indexExpr, in: scope)
            return try subscriptValue(base, indexValue, at: indexExpr.range, base: baseExpr.range)

        case .call(let calleeExpr, let argumentExprs):
            let annotation = tracer.pendingAnnotation
            tracer.pendingAnnotation = nil
            let callee = try evaluate(calleeExpr, in: scope)
            if let (estimator, range) = annotation {
                guard case .distribution = callee else {
                    throw fail("@\(estimator.name) applies to a call of \(Interpreter.distributionNames)", at: range)
                }
            }
            if case .builtin(let builtin) = callee, builtin.takesObjective {
                return try inference.callWithObjective(builtin, argumentExprs, in: scope, at: expression.range)
            }
            var arguments: [CallArgument] = []
            arguments.reserveCapacity(argumentExprs.count)
            for argument in argumentExprs {
                arguments.append(CallArgument(label: argument.label, value: try evaluate(argument.value, in: scope),
                                              range: argument.value.range))
            }
            if let (estimator, _) = annotation, case .distribution(let id) = callee {
                return try sample(id, arguments, annotation: estimator, at: expression.range)
            }
            return try call(callee, arguments, at: expression.range, callee: calleeExpr.range)

        case .expectation(let inner):
            return try inference.expectation(of: try evaluate(inner, in: scope), at: inner.range)

        case .annotated(let callExpr, let annotation):
            tracer.pendingAnnotation = (annotation, expression.range)
            defer { tracer.pendingAnnotation = nil }
            return try evaluate(callExpr, in: scope)
        }
    }

    /// The value of a name: local, enclosing, global, parameter, then builtin.
    func lookup(_ name: String, at range: SourceRange, in scope: Scope) throws -> Value {
        if name == watchedName { watchedReads += 1 }
        if let value = scope.lookup(name) { return value }
        if let parameter = parameters.value(of: name, in: graph) { return parameter }
        if let builtin = Builtin(rawValue: name) { return .builtin(builtin) }
        if let distribution = DistributionRegistry.id(named: name) { return .distribution(distribution) }
        if let distribution = DensityFunctions.distribution(named: name) { return .density(distribution) }
        if let place = branchOnlyNames[name] {
            throw fail("'\(name)' was bound \(place), so it has no value here", at: range)
        }
        var message = "unknown name '\(name)'"
        if let suggestion = suggestName(for: name, in: scope) { message += "; did you mean '\(suggestion)'?" }
        throw fail(message, at: range)
    }

    /// The closest known name, for "did you mean" hints.
    func suggestName(for name: String, in scope: Scope) -> String? {
        var candidates = Set(Builtin.allCases.map(\.rawValue))
        candidates.formUnion(DistributionRegistry.all.map(\.name))
        candidates.formUnion(DensityFunctions.names)
        candidates.formUnion(parameters.names)
        var current: Scope? = scope
        while let s = current {
            candidates.formUnion(s.values.keys)
            current = s.parent
        }
        return closestName(to: name, among: candidates)
    }

    /// The candidate nearest `name` by edit distance, when near enough to be
    /// a slip (no suggestion for names of one or two letters).
    func closestName<Names: Sequence<String>>(to name: String, among candidates: Names) -> String? {
        Spelling.closest(to: name, among: candidates)
    }

    func evaluateComprehension(_ comprehension: Comprehension, in scope: Scope) throws -> Value {
        // The loop variable lives in its own scope, so it does not leak (as in Python 3).
        let inner = Scope(parent: scope)
        var results: [Value] = []
        func visit(_ item: Value) throws {
            try checkInterrupt(at: comprehension.element.range)
            inner.values[comprehension.variable.name] = item
            if let condition = comprehension.condition,
               !(try tracer.knownTruth(try evaluate(condition, in: inner), at: condition.range, context: "a comprehension's condition")) {
                return
            }
            results.append(try evaluate(comprehension.element, in: inner))
            if results.count > settings.maxListLength {
                throw fail("this list would have more than \(settings.maxListLength) elements", at: comprehension.element.range)
            }
        }
        if case .range(let lowExpr, let highExpr) = comprehension.sequence.kind {
            let (low, high) = try rangeBounds(lowExpr, highExpr, in: scope)
            var i = low
            while i < high {
                try visit(.number(Double(i)))
                i += 1
            }
        } else {
            for item in try iterable(try evaluate(comprehension.sequence, in: scope), at: comprehension.sequence.range) {
                try visit(item)
            }
        }
        return try nestedList(results, at: comprehension.element.range)
    }

    /// A list of these items, refusing to nest lists deeper than
    /// ``Settings/maxListNesting``: displaying, comparing and freeing nested
    /// lists recurses, so the depth must stay bounded.
    func nestedList(_ items: [Value], at range: SourceRange) throws -> Value {
        let limit = Settings.maxListNesting
        // Every value inside counts, also in lists shared many times over, so
        // that showing, comparing or copying the list stays bounded.
        var remaining = settings.maxListLength - items.count
        for item in items {
            guard case .list = item else { continue }
            // Counting first bounds the work of the depth check that follows.
            remaining = item.countValues(within: remaining)
            if remaining < 0 {
                throw fail("this list would hold more than \(settings.maxListLength) values in all, counting those in lists inside it",
                           at: range)
            }
            if item.listDepth(limit: limit) >= limit {
                throw fail("lists may nest at most \(limit) deep", at: range)
            }
        }
        return .list(items)
    }

    /// The integer bounds of `a..b`.
    func rangeBounds(_ lowExpr: Expr, _ highExpr: Expr, in scope: Scope) throws -> (Int, Int) {
        let low = try wholeNumber(try evaluate(lowExpr, in: scope), what: "the start of a range", at: lowExpr.range)
        let high = try wholeNumber(try evaluate(highExpr, in: scope), what: "the end of a range", at: highExpr.range)
        return (low, high)
    }

    /// The items a `for` loop or comprehension walks over.
    func iterable(_ value: Value, at range: SourceRange) throws -> [Value] {
        switch value {
        case .list(let items): return items
        case .string(let text): return text.map { .string(String($0)) }
        default: throw fail("cannot loop over \(value.typeDescription); use a list or a range a..b", at: range)
        }
    }

    /// `base[index]`.
    func subscriptValue(_ base: Value, _ indexValue: Value, at range: SourceRange, base baseRange: SourceRange) throws -> Value {
        let items: [Value]
        var noun = ("element", "elements", "list")
        switch base {
        case .gradient(let gradient): return try inference.component(of: gradient, indexValue, at: range)
        case .hessian(let hessian): return try inference.row(of: hessian, indexValue, at: range)
        case .list(let list): items = list
        case .string(let text):
            items = text.map { .string(String($0)) }
            noun = ("character", "characters", "string")
        default: throw fail("cannot index \(base.typeDescription)", at: baseRange)
        }
        if case .node(let id) = indexValue {
            // A traced index picks per particle; the list must hold numbers.
            guard case .list = base, !items.isEmpty else {
                throw fail("only a non-empty list of numbers can be indexed by a traced value", at: range)
            }
            let choices = try items.map { item -> NodeID in
                guard item.asNumber != nil || item.isNode else {
                    throw fail("a list indexed by a traced value must hold numbers, not \(item.typeDescription)", at: baseRange)
                }
                return try tracer.nodeID(item, what: "an element", at: baseRange)
            }
            return try tracer.makeNode(.pick(index: id, choices: choices), at: range)
        }
        let position = try wholeNumber(indexValue, what: "an index", at: range)
        // Negative indices count from the end, as in Python.
        let resolved = position < 0 ? items.count + position : position
        guard resolved >= 0 && resolved < items.count else {
            throw valueFail("index \(position) is out of range for a \(noun.2) of \(items.count) \(items.count == 1 ? noun.0 : noun.1)",
                       at: range)
        }
        return items[resolved]
    }

    // MARK: Conversions

    /// Truthiness for conditions: booleans, and numbers (non-zero is true).
    func truth(_ value: Value, at range: SourceRange) throws -> Bool {
        switch value {
        case .node(let id):
            throw fail("this condition must be known while tracing, but it \(tracer.dependence(of: id))", at: range)
        case .boolean(let flag): return flag
        case .number(let x): return x != 0
        default: throw fail("a condition must be a boolean or a number, got \(value.typeDescription)", at: range)
        }
    }

    /// A number (booleans count as 1 or 0), or an error naming what was expected.
    func number(_ value: Value, what: String, at range: SourceRange) throws -> Double {
        if case .node(let id) = value {
            throw fail("\(what) must be known while tracing, but it \(tracer.dependence(of: id))", at: range)
        }
        guard let x = value.asNumber else {
            throw fail("\(what) must be a number, got \(value.typeDescription)", at: range)
        }
        return x
    }

    /// A whole number that fits an Int.
    func wholeNumber(_ value: Value, what: String, at range: SourceRange) throws -> Int {
        if case .node(let id) = value {
            throw fail("\(what) must be known while tracing, but it \(tracer.dependence(of: id))", at: range)
        }
        let x = try number(value, what: what, at: range)
        guard x == x.rounded(), abs(x) < 1e15 else {
            throw fail("\(what) must be a whole number, got \(formatNumber(x))", at: range)
        }
        return Int(x)
    }
}

extension Value {
    /// How deeply lists nest in this value (0 for a non-list), counting no further than `limit`.
    func listDepth(limit: Int) -> Int {
        guard case .list(let items) = self else { return 0 }
        guard limit > 0 else { return 1 }
        var deepest = 0
        for item in items {
            if case .list = item {
                deepest = Swift.max(deepest, item.listDepth(limit: limit - 1))
                if deepest >= limit { break }
            }
        }
        return 1 + deepest
    }

    /// Counts the values inside a list (at every depth) against a budget;
    /// returns what is left of it, negative once it is exceeded.
    func countValues(within budget: Int) -> Int {
        guard case .list(let items) = self else { return budget }
        var remaining = budget - items.count
        for item in items where remaining >= 0 {
            if case .list = item { remaining = item.countValues(within: remaining) }
        }
        return remaining
    }

    /// The value as a number, if it is one (booleans count as 1 or 0).
    var asNumber: Double? {
        switch self {
        case .number(let x): return x
        case .boolean(let flag): return flag ? 1 : 0
        case .estimate(let estimate): return estimate.value
        default: return nil
        }
    }
}

/// An objective checked for folds, for a first derivative or (`always`) a second.
struct FoldKey: Hashable {
    var root: NodeID
    var always: Bool
}
