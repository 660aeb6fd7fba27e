// Interpreter+Inference.swift — E[...], grad, minimize, sampling, hist,
// explain and the display of random values: where the tracer hands the graph
// to the particle engine.

import Dispatch
import Foundation
import WiggleGraph
import WiggleSyntax

extension Interpreter {
    // MARK: Sampling

    /// `normal(mu, sigma)` and `bernoulli(p)`, with an optional estimator annotation.
    func sample(_ builtin: Builtin, _ arguments: [CallArgument], annotation: EstimatorAnnotation?,
                at range: SourceRange) throws -> Value {
        let names = builtin == .normal ? ["mu", "sigma"] : ["p"]
        let values = try bind(builtin.rawValue, arguments, names: names, at: range)
        var estimator: Estimator?
        if let annotation {
            switch (builtin, annotation) {
            case (.normal, .exact):
                throw fail("@exact applies to bernoulli; a normal takes @pathwise or @score", at: range)
            case (.bernoulli, .pathwise):
                throw fail("a bernoulli cannot be reparametrised; use @score or @exact", at: range)
            default:
                estimator = Estimator(rawValue: annotation.rawValue)
            }
        }
        if builtin == .normal {
            let (mu, sigma) = (values[0], values[1])
            if let s = sigma.value.asNumber, !(s > 0) {
                throw fail("sigma must be > 0 (got \(formatNumber(s)))", at: sigma.range)
            }
            let mean = try nodeID(mu.value, what: "mu", at: mu.range)
            let sd = try nodeID(sigma.value, what: "sigma", at: sigma.range)
            return try makeNode(.normal(mean: mean, sd: sd), at: range, estimator: estimator)
        }
        let p = values[0]
        if let x = p.value.asNumber, !(x >= 0 && x <= 1) {
            throw fail("p must be between 0 and 1 (got \(formatNumber(x)))", at: p.range)
        }
        return try makeNode(.bernoulli(probability: try nodeID(p.value, what: "p", at: p.range)), at: range,
                            estimator: estimator)
    }

    /// Binds positional and keyword arguments to a builtin's parameter names.
    func bind(_ name: String, _ arguments: [CallArgument], names: [String], at range: SourceRange) throws -> [CallArgument] {
        var bound = [CallArgument?](repeating: nil, count: names.count)
        var position = 0
        for argument in arguments {
            if let label = argument.label {
                guard let index = names.firstIndex(of: label.name) else {
                    throw fail("\(name) has no argument named '\(label.name)'", at: label.range)
                }
                if bound[index] != nil { throw fail("\(name) got two values for '\(label.name)'", at: label.range) }
                bound[index] = argument
            } else {
                guard position < names.count else {
                    throw fail("\(name) expects \(countPhrase(names.count, "argument")), got \(arguments.count)", at: range)
                }
                bound[position] = argument
                position += 1
            }
        }
        return try bound.enumerated().map { index, argument in
            guard let argument else {
                throw fail("\(name) expects \(countPhrase(names.count, "argument")) (\(names.joined(separator: ", "))), got \(arguments.count)",
                           at: range)
            }
            return argument
        }
    }

    // MARK: Running the engine

    /// The configuration for the next draw.
    func nextConfiguration(particles: Int? = nil) -> EngineConfiguration {
        drawCount += 1
        // Tracing only (`wiggle check`): one particle is enough to run every path.
        let count = settings.traceOnly ? 1 : (particles ?? settings.particles)
        var configuration = EngineConfiguration(particles: count, seed: settings.seed,
                                                draw: drawCount, threads: settings.threads)
        configuration.shouldStop = shouldStop
        configuration.maxWorkspaceBytes = settings.maxMemoryMB << 20
        return configuration
    }

    /// Buffers up to this size stay with a cached plan between runs...
    static let keptBufferBytes = 8 << 20
    /// ...for the plans run most recently, this many of them.
    static let keptBufferCount = 8

    /// Keeps a runner's buffers for its next run if they are small and the
    /// runner is among the most recently used; frees the rest.
    func keepBuffers(of runner: Runner) {
        if runner.bufferBytes > Interpreter.keptBufferBytes {
            runner.releaseBuffers()
            return
        }
        bufferedRunners.removeAll { $0 === runner }
        bufferedRunners.append(runner)
        if bufferedRunners.count > Interpreter.keptBufferCount {
            bufferedRunners.removeFirst().releaseBuffers()
        }
    }

    /// A random estimate needs two particles for its standard error.
    func requireTwoParticles(_ particles: Int, at range: SourceRange) throws {
        guard settings.traceOnly || particles >= 2 else {
            throw fail("estimating a random value needs at least 2 particles for a standard error (got \(particles))", at: range)
        }
    }

    /// Runs a plan, turning engine errors into diagnostics at the node's source.
    func runEngine(_ plan: Plan, configuration: EngineConfiguration,
                   histogram: (range: ClosedRange<Double>, bins: Int)? = nil, runner: Runner? = nil) throws -> EngineResult {
        do {
            if let runner {
                defer { keepBuffers(of: runner) }
                return try runner.run(graph: graph, configuration: configuration, histogram: histogram)
            }
            return try Engine.run(plan, graph: graph, configuration: configuration, histogram: histogram)
        } catch let error as EngineError {
            if error.isInterruption { throw Interruption(range: currentRange, file: currentFile) }
            throw runtimeError(error)
        }
    }

    /// An engine error as a diagnostic at the source of its node.
    func runtimeError(_ error: EngineError) -> RuntimeError {
        if let origin = origin(of: error.node) {
            return RuntimeError(error.message, at: origin.range, in: origin.file)
        }
        return RuntimeError(error.message, at: .at(0), in: file)
    }

    /// A compiled plan for an objective and some gradient parameters, with the
    /// analysis's warnings (cached: a traced graph is analysed and compiled once).
    func plan(for root: NodeID, gradient parameters: [Int] = []) -> Plan {
        analysedPlan(for: root, gradient: parameters).plan
    }

    func analysedPlan(for root: NodeID, gradient parameters: [Int]) -> (plan: Plan, warnings: [AnalysisWarning]) {
        let (runner, warnings) = cachedRunner(for: root, gradient: parameters)
        return (runner.plan, warnings)
    }

    /// The runner of the cached plan for an objective: an estimate repeated
    /// (in a loop, at the REPL) reuses its plan and, when small, its buffers.
    func cachedRunner(for root: NodeID, gradient parameters: [Int] = []) -> (runner: Runner, warnings: [AnalysisWarning]) {
        let key = PlanKey(root: root, parameters: parameters)
        if let cached = planCache[key] { return cached }
        let analysis = EstimatorAnalysis.analyse(graph, root: root, parameters: parameters)
        let plan = Plan(graph: graph, outputs: [root], gradientParameters: parameters, estimators: analysis.choices)
        let entry = (runner: Runner(plan: plan), warnings: analysis.warnings)
        planCache[key] = entry
        return entry
    }

    // MARK: E[...]

    /// `E[e]`: a Monte Carlo estimate and its standard error.
    func expectation(of value: Value, at range: SourceRange) throws -> Value {
        switch value {
        case .node(let id):
            if let exact = try currentValue(of: id, at: range) { return .expectation(value: exact, stderr: 0) }
            try requireTwoParticles(settings.particles, at: range)
            let runner = cachedRunner(for: id).runner
            let result = try runEngine(runner.plan, configuration: nextConfiguration(), runner: runner)
            try requireFinite(result.outputs[0].mean, result.outputs[0].standardError, at: range)
            return .expectation(value: result.outputs[0].mean, stderr: result.outputs[0].standardError)
        case .expectation(let estimate, let stderr):
            return .expectation(value: estimate, stderr: stderr)
        default:
            // The expectation of a deterministic number is that number, exactly.
            guard let x = value.asNumber else {
                throw fail("E[...] needs a number inside, got \(value.typeDescription)", at: range)
            }
            return .expectation(value: x, stderr: 0)
        }
    }

    // MARK: grad, minimize, maximize

    /// `grad(E[e], wrt = [...])`, `minimize(E[e], ...)`, `maximize(E[e], ...)`.
    func callWithObjective(_ builtin: Builtin, _ argumentExprs: [Argument], in scope: Scope,
                           at range: SourceRange) throws -> Value {
        let name = builtin.rawValue
        guard let first = argumentExprs.first, first.label == nil, case .expectation(let inner) = first.value.kind else {
            throw fail("\(name) needs an expectation as its first argument: \(name)(E[...])", at: range)
        }
        let objective = try evaluate(inner, in: scope)
        var options: [String: CallArgument] = [:]
        for argument in argumentExprs.dropFirst() {
            guard let label = argument.label else {
                throw fail("\(name) takes one expectation, then named options", at: argument.value.range)
            }
            let allowed = builtin == .grad ? ["wrt", "particles"] : ["steps", "lr", "optimizer", "particles", "wrt"]
            guard allowed.contains(label.name) else {
                throw fail("\(name) has no option '\(label.name)' (it takes \(allowed.joined(separator: ", ")))", at: label.range)
            }
            options[label.name] = CallArgument(label: label, value: try evaluate(argument.value, in: scope),
                                               range: argument.value.range)
        }
        try refuseInRandomBranch(name, at: range)
        let root = try nodeID(objective, what: "the objective", at: inner.range)
        let wrt = try gradientParameters(options["wrt"], objective: root)
        var particles = settings.particles
        if let option = options["particles"] {
            particles = try wholeNumber(option.value, what: "particles", at: option.range)
            guard particles >= 1 && particles <= Settings.maxParticles else {
                throw fail("particles must be between 1 and \(Settings.maxParticles), got \(particles)", at: option.range)
            }
        }
        if graph[root].isRandom { try requireTwoParticles(particles, at: range) }
        if builtin == .grad {
            return .gradient(try gradient(of: root, wrt: wrt, particles: particles))
        }
        return try optimise(root, wrt: wrt, maximize: builtin == .maximize, options: options, particles: particles,
                            at: range)
    }

    /// The parameter indices of `wrt = [...]`, or every parameter the objective reads.
    func gradientParameters(_ option: CallArgument?, objective: NodeID) throws -> [Int] {
        guard let option else { return graph.parameters(reaching: objective) }
        var items: [Value] = []
        func flatten(_ value: Value) {
            if case .list(let values) = value { values.forEach(flatten) } else { items.append(value) }
        }
        flatten(option.value)
        var indices: [Int] = []
        for item in items {
            guard case .node(let id) = item, case .parameter(let index) = graph[id].op else {
                throw fail("wrt lists parameters, but it holds \(item.isNode ? "a value computed from them" : item.typeDescription)",
                           at: option.range)
            }
            if !indices.contains(index) { indices.append(index) }
        }
        return indices
    }

    /// The gradient of E[root] with respect to some parameters.
    func gradient(of root: NodeID, wrt: [Int], particles: Int) throws -> GradientResult {
        let isRandom = graph[root].isRandom
        let (runner, warnings) = cachedRunner(for: root, gradient: wrt)
        let plan = runner.plan
        let result = try runEngine(plan, configuration: nextConfiguration(particles: isRandom ? particles : 1), runner: runner)
        let objectiveRange = origin(of: root)?.range ?? currentRange
        try requireFinite(result.outputs[0].mean, result.outputs[0].standardError, at: objectiveRange)
        for moments in result.gradient { try requireFinite(moments.mean, moments.standardError, at: objectiveRange) }
        let entries = zip(wrt, result.gradient).map { index, moments in
            // Below rounding level (an exact estimator) the error is 0.
            let stderr = !isRandom || moments.standardError <= 1e-12 * abs(moments.mean) ? 0 : moments.standardError
            return (name: graph.parameters[index].name, value: moments.mean, stderr: stderr)
        }
        return GradientResult(entries: entries,
                              objective: (result.outputs[0].mean, isRandom ? result.outputs[0].standardError : 0),
                              estimators: estimatorReports(plan),
                              warnings: warnings.map { WarningReport(message: $0.message, file: $0.site.file,
                                                                     line: $0.site.line, column: $0.site.column) })
    }

    /// The estimator of every random node of a plan, for people.
    func estimatorReports(_ plan: Plan) -> [EstimatorReport] {
        plan.randomNodes.map { id, choice in
            let node = graph[id]
            let distribution = node.op.distributionName ?? "?"
            return EstimatorReport(node: node.label ?? "\(distribution)@\(node.site.line):\(node.site.column)",
                                   file: node.site.file, line: node.site.line, column: node.site.column,
                                   distribution: distribution, estimator: choice.estimator.rawValue,
                                   reason: choice.reason)
        }
    }

    /// minimize / maximize with Adam or plain SGD; parameters change in place.
    func optimise(_ root: NodeID, wrt: [Int], maximize: Bool, options: [String: CallArgument], particles: Int,
                  at range: SourceRange) throws -> Value {
        var steps = 100
        if let option = options["steps"] {
            steps = try wholeNumber(option.value, what: "steps", at: option.range)
            guard steps >= 0 && steps <= 10_000_000 else {
                throw fail("steps must be between 0 and 10000000, got \(steps)", at: option.range)
            }
        }
        var learningRate = 0.05
        if let option = options["lr"] {
            learningRate = try number(option.value, what: "lr", at: option.range)
            guard learningRate > 0 && learningRate.isFinite else {
                throw fail("lr must be a positive number, got \(formatNumber(learningRate))", at: option.range)
            }
        }
        var useAdam = true
        if let option = options["optimizer"] {
            guard case .string(let name) = option.value, name == "adam" || name == "sgd" else {
                throw fail("optimizer must be \"adam\" or \"sgd\"", at: option.range)
            }
            useAdam = name == "adam"
        }
        let isRandom = graph[root].isRandom
        let (plan, warnings) = analysedPlan(for: root, gradient: wrt)
        let runner = Runner(plan: plan)
        if settings.traceOnly { steps = min(steps, 1) }
        var optimizer = WiggleGraph.Optimizer(kind: useAdam ? .adam : .sgd, learningRate: learningRate, count: wrt.count)
        let direction = maximize ? "maximize" : "minimize"
        var trajectory: [Double] = []
        var lastError = 0.0
        var interrupted = false
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        var values = wrt.map { graph.parameters[$0].value }
        var gradient = [Double](repeating: 0, count: wrt.count)
        for step in 0..<steps {
            if let shouldStop, shouldStop() {
                interrupted = true
                break
            }
            let result: EngineResult
            do {
                result = try runEngine(plan, configuration: nextConfiguration(particles: isRandom ? particles : 1),
                                       runner: runner)
            } catch is Interruption {
                interrupted = true
                break
            } catch var error as RuntimeError where step > 0 {
                error.message += " (at step \(step + 1) of \(direction); the parameters may have diverged: try a smaller lr)"
                throw error
            }
            trajectory.append(result.outputs[0].mean)
            lastError = isRandom ? result.outputs[0].standardError : 0
            for index in gradient.indices { gradient[index] = maximize ? -result.gradient[index].mean : result.gradient[index].mean }
            optimizer.step(&values, gradient: gradient)
            for (index, value) in zip(wrt, values) {
                guard value.isFinite else {
                    throw fail("the optimisation diverged at step \(step + 1): '\(graph.parameters[index].name)' became \(formatNumber(value)); try a smaller lr",
                               at: range)
                }
                graph.parameters[index].value = value
            }
            output(.progress(OptimisationProgress(direction: direction, step: step + 1, steps: steps,
                                                  objective: trajectory[step], stderr: lastError, seconds: elapsed())))
        }
        var objective = (value: trajectory.last ?? .nan, stderr: lastError)
        if !interrupted {
            // The objective at the parameters reached.
            do {
                let final = try runEngine(plan, configuration: nextConfiguration(particles: isRandom ? particles : 1),
                                          runner: runner)
                objective = (final.outputs[0].mean, isRandom ? final.outputs[0].standardError : 0)
            } catch is Interruption {
                interrupted = true
            }
        }
        return .optimisation(OptimisationResult(
            direction: direction, optimizer: useAdam ? "adam" : "sgd", learningRate: learningRate,
            objective: objective, parameters: wrt.map { (graph.parameters[$0].name, graph.parameters[$0].value) },
            steps: trajectory.count, requestedSteps: steps, trajectory: trajectory, interrupted: interrupted,
            seconds: elapsed(),
            warnings: warnings.map { WarningReport(message: $0.message, file: $0.site.file, line: $0.site.line,
                                                   column: $0.site.column) }))
    }

    // MARK: Display of random values

    /// A value ready to show: random nodes summarised, parameter-only nodes computed.
    func summarize(_ value: Value, at range: SourceRange) throws -> Value {
        switch value {
        case .node(let id):
            if let exact = try currentValue(of: id, at: range) { return .number(exact) }
            try requireTwoParticles(settings.particles, at: range)
            return .cloud(try cloud(of: id, bins: 16, isHistogram: false))
        case .list(let items):
            // A list of plain values is shown as it is, without a copy.
            guard value.containsNode else { return value }
            return .list(try items.map { try summarize($0, at: range) })
        default:
            return value
        }
    }

    /// Runs a random node twice on the same particles: once for its moments
    /// and range, once to count it into bins over that range.
    func cloud(of id: NodeID, bins: Int, isHistogram: Bool) throws -> CloudSummary {
        let runner = cachedRunner(for: id).runner
        let plan = runner.plan
        var configuration = nextConfiguration()
        configuration.collectRange = true
        let first = try runEngine(plan, configuration: configuration, runner: runner)
        let range = first.ranges[0]
        let second = try runEngine(plan, configuration: configuration, histogram: (range, bins), runner: runner)
        let moments = first.outputs[0]
        return CloudSummary(mean: moments.mean, stderr: moments.standardError, sd: moments.standardDeviation,
                            min: range.lowerBound, max: range.upperBound, histogram: second.histogram,
                            particles: configuration.particles, isHistogram: isHistogram)
    }

    /// `hist(e)`: a terminal histogram of e's particles.
    func histogram(_ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        try noKeywords("hist", arguments, allowed: ["bins"])
        let positional = arguments.filter { $0.label == nil }
        guard positional.count == 1 else {
            throw fail("hist expects 1 argument, got \(positional.count)", at: range)
        }
        var bins = 20
        if let option = keyword("bins", arguments) {
            bins = try wholeNumber(option.value, what: "bins", at: option.range)
            guard bins >= 1 && bins <= 200 else { throw fail("bins must be between 1 and 200, got \(bins)", at: option.range) }
        }
        let argument = positional[0]
        switch argument.value {
        case .node(let id) where graph[id].isRandom:
            try requireTwoParticles(settings.particles, at: argument.range)
            return .cloud(try cloud(of: id, bins: bins, isHistogram: true))
        case .node(let id):
            return .number(try currentValue(of: id, at: argument.range) ?? .nan)
        default:
            throw fail("hist expects a random value, got \(argument.value.typeDescription)", at: argument.range)
        }
    }

    /// `explain(e)`: the traced graph of e with each random node's estimator.
    func explain(_ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        try noKeywords("explain", arguments)
        guard arguments.count == 1 else {
            throw fail("explain expects 1 argument, got \(arguments.count)", at: range)
        }
        var value = arguments[0].value
        if case .expectation = value {
            throw fail("explain shows how a value is traced: write explain(e), not explain(E[e])", at: arguments[0].range)
        }
        if let x = value.asNumber { value = .node(constantNode(x)) }
        let root = try nodeID(value, what: "explain's argument", at: arguments[0].range)
        let analysis = EstimatorAnalysis.analyse(graph, root: root)
        var text = graph.render(roots: [root], estimators: analysis.choices)
        let reports = estimatorReports(Plan(graph: graph, outputs: [root], estimators: analysis.choices))
        for report in reports {
            text += "\n  \(report.node)  \(report.distribution)  \(report.estimator)  (\(report.estimator == "pathwise" ? "pathwise" : report.estimator == "score" ? "score function" : "exact 2-point derivative"): \(report.reason))"
        }
        for warning in analysis.warnings {
            text += "\n  warning: line \(warning.site.line): \(warning.message)"
        }
        return .text(text, kind: "explain")
    }

    /// The current value of a node computed from parameters alone (nil for a
    /// random node); a nan or inf on the way is an error at the node it came from.
    func currentValue(of id: NodeID, at range: SourceRange) throws -> Double? {
        switch graph.evaluateChecked(id) {
        case nil: return nil
        case .success(let value)?: return value
        case .failure(let problem)?:
            let name = graph[problem.node].label.map { "'\($0)'" } ?? "this value"
            let message = "\(name) is not a finite number (\(formatNumber(problem.value))) at the parameters' current values"
            if let origin = origin(of: problem.node) { throw RuntimeError(message, at: origin.range, in: origin.file) }
            throw fail(message, at: range)
        }
    }

    /// An estimate that overflowed or became undefined is an error, not a printed nan.
    func requireFinite(_ value: Double, _ stderr: Double, at range: SourceRange) throws {
        guard value.isFinite && stderr.isFinite else {
            throw fail("the estimate is not a finite number (\(formatNumber(value)) ± \(formatNumber(stderr))): its particles are too large for a double",
                       at: range)
        }
    }

    // MARK: Node origins

    /// Remembers where a node came from, for engine errors.
    func recordOrigin(_ id: NodeID, _ range: SourceRange) {
        while nodeOrigins.count < Int(id.index) { nodeOrigins.append(nil) }
        if nodeOrigins.count == Int(id.index) {
            nodeOrigins.append(NodeOrigin(file: file, range: range))
        }
    }

    func origin(of id: NodeID) -> NodeOrigin? {
        Int(id.index) < nodeOrigins.count ? nodeOrigins[Int(id.index)] : nil
    }
}

/// Where a node was written.
struct NodeOrigin {
    var file: SourceFile
    var range: SourceRange
}
