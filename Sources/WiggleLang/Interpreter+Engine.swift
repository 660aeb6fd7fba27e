// Interpreter+Engine.swift — where the tracer hands the graph to the
// particle engine: configurations, the plan and runner cache, engine errors
// as diagnostics, and values computed from parameters alone.

import WiggleGraph
import WiggleSyntax

extension Interpreter {
    // MARK: Running the engine

    /// The configuration for the next draw.
    func nextConfiguration(particles: Int? = nil) -> EngineConfiguration {
        drawCount += 1
        // Tracing only (`wiggle check`): a few particles run every path, and
        // give an estimate a standard error as a run does (a program may
        // divide by it; with two, both particles of a coin often agree).
        let count = settings.checkWithFewParticles ? Settings.checkParticles : (particles ?? settings.particles)
        var configuration = EngineConfiguration(particles: count, seed: settings.seed,
                                                draw: drawCount, threads: settings.threads)
        configuration.shouldStop = shouldStop
        configuration.maxWorkspaceBytes = settings.maxMemoryMB << 20
        return configuration
    }

    /// How many analysed plans stay cached.
    static let keptPlanCount = 256

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
        guard settings.checkWithFewParticles || particles >= 2 else {
            throw fail("estimating a random value needs at least 2 particles for a standard error (got \(particles))", at: range)
        }
    }

    /// Runs a plan, turning engine errors into diagnostics at the node's source.
    func runEngine(_ plan: Plan, configuration: EngineConfiguration,
                   histogram: (range: ClosedRange<Double>, bins: Int)? = nil, runner: Runner) throws -> EngineResult {
        do {
            defer { keepBuffers(of: runner) }
            return try runner.run(graph: graph, configuration: configuration, histogram: histogram)
        } catch let error as EngineError {
            if error.isInterruption { throw Interruption(range: currentRange, file: currentFile) }
            throw runtimeError(error)
        }
    }

    /// An engine error as a diagnostic at the source of its node.
    func runtimeError(_ error: EngineError) -> RuntimeError {
        if let loop = error.stoppedLoop, let place = loopStops[loop] {
            // An error of the particles that run an iteration whose tracing failed.
            return RuntimeError(error.message, at: place.range, in: place.file)
        }
        var message = error.message
        if let (count, particles) = error.nonFiniteCount, let name = unboundName(error.node) {
            let line = graph[error.node].site.line
            message = "'\(name)' has no value in \(count) of \(particles) particles: they ran no iteration of the loop at line \(line) that binds it, and it had none before the loop"
        }
        if let origin = origin(of: error.node) {
            return RuntimeError(message, at: origin.range, in: origin.file)
        }
        return RuntimeError(message, at: .at(0), in: file)
    }

    /// A compiled plan for an objective and some gradient parameters, with the
    /// analysis's warnings (cached: a traced graph is analysed and compiled once).
    func analysedPlan(for root: NodeID, gradient parameters: [Int]) -> (plan: Plan, warnings: [AnalysisWarning]) {
        let (runner, warnings) = cachedRunner(for: root, gradient: parameters)
        return (runner.plan, warnings)
    }

    /// The runner of the cached plan for an objective: an estimate repeated
    /// (in a loop, at the REPL) reuses its plan and, when small, its buffers.
    func cachedRunner(for root: NodeID, gradient parameters: [Int] = []) -> (runner: Runner, warnings: [AnalysisWarning]) {
        let key = PlanKey(root: root, parameters: parameters)
        if let cached = planCache[key] { return cached }
        let analysis = analyse(root, parameters: parameters)
        let plan = Plan(graph: graph, outputs: [root], gradientParameters: parameters, estimators: analysis.choices)
        let entry = (runner: Runner(plan: plan), warnings: analysis.warnings)
        planCache[key] = entry
        // The most recent plans are kept (a loop that re-traces its
        // objective makes a new one every iteration).
        planCacheOrder.append(key)
        if planCacheOrder.count > Interpreter.keptPlanCount {
            planCache[planCacheOrder.removeFirst()] = nil
        }
        return entry
    }

    /// Each random node's estimator for the gradient of E[root], with a
    /// pilot run where more than one unbiased estimator is valid (not while
    /// only checking: one particle measures nothing).
    func analyse(_ root: NodeID, parameters: [Int]) -> AnalysisResult {
        let analysis = EstimatorAnalysis.analyse(graph, root: root, parameters: parameters)
        guard !settings.checkWithFewParticles, !parameters.isEmpty else { return analysis }
        var configuration = EngineConfiguration(particles: EstimatorPilot.stages[0], seed: settings.seed,
                                                draw: EstimatorPilot.draw, threads: settings.threads)
        configuration.shouldStop = shouldStop
        configuration.maxWorkspaceBytes = settings.maxMemoryMB << 20
        return EstimatorPilot.refine(analysis, graph: graph, root: root, parameters: parameters,
                                     configuration: configuration, estimateParticles: settings.particles)
    }

    /// The analysis's warnings as diagnostics at the source of their nodes.
    /// (Each is also kept, once, for `wiggle check`, which shows no results.)
    func diagnostics(_ warnings: [AnalysisWarning]) -> [Diagnostic] {
        warnings.map { warning in
            let origin = origin(of: warning.node)
            let diagnostic = Diagnostic(.runtime, warning.message, in: origin?.file ?? file, at: origin?.range ?? .at(0),
                                        severity: .warning)
            if !reportedWarnings.contains(where: { $0.location == diagnostic.location && $0.message == diagnostic.message }) {
                reportedWarnings.append(diagnostic)
            }
            return diagnostic
        }
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
