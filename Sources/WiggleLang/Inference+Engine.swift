// Inference+Engine.swift — where the tracer hands the graph to the
// executor (WiggleGraph: plans, runners, the pilot): engine errors as
// diagnostics, and values computed from parameters alone.

import WiggleGraph
import WiggleSyntax

extension Inference {
    // MARK: Running the engine

    /// The configuration for the next draw.
    func nextConfiguration(particles: Int? = nil) -> EngineConfiguration {
        interpreter.executor.nextConfiguration(particles: particles)
    }

    /// A random estimate needs two particles for its standard error.
    func requireTwoParticles(_ particles: Int, at range: SourceRange) throws {
        guard interpreter.settings.checkWithFewParticles || particles >= 2 else {
            throw interpreter.fail("estimating a random value needs at least 2 particles for a standard error (got \(particles))", at: range)
        }
        // Antithetic pairs are one sample each: two of them at least.
        guard interpreter.settings.checkWithFewParticles || interpreter.settings.sampling != .antithetic || particles >= 3 else {
            throw interpreter.fail("estimating a random value with antithetic pairs needs at least 4 particles (2 pairs) for a standard error (got \(particles))",
                                   at: range)
        }
    }

    /// Runs a runner's plan, turning engine errors into diagnostics at the node's source.
    func runEngine(_ runner: Runner, configuration: EngineConfiguration,
                   histogram: (range: ClosedRange<Double>, bins: Int)? = nil) throws -> EngineResult {
        do {
            return try interpreter.executor.run(runner, graph: interpreter.graph, configuration: configuration, histogram: histogram)
        } catch let error as EngineError {
            throw diagnosed(error)
        }
    }

    /// An engine error as what the interpreter throws: an interruption, or
    /// a diagnostic at the source of its node.
    func diagnosed(_ error: EngineError) -> any Error {
        if error.isInterruption { return Interruption(range: interpreter.currentRange, file: interpreter.currentFile) }
        return runtimeError(error)
    }

    /// An engine error as a diagnostic at the source of its node.
    func runtimeError(_ error: EngineError) -> RuntimeError {
        if let loop = error.stoppedLoop, let place = interpreter.loopStops[loop] {
            // An error of the particles that run an iteration whose tracing failed.
            return RuntimeError(error.message, at: place.range, in: place.file)
        }
        var message = error.message
        if let (count, particles) = error.nonFiniteCount, let name = interpreter.tracer.unboundName(error.node) {
            let line = interpreter.graph[error.node].site.line
            message = "'\(name)' has no value in \(count) of \(particles) particles: they ran no iteration of the loop at line \(line) that binds it, and it had none before the loop"
        }
        if let origin = interpreter.origin(of: error.node) {
            return RuntimeError(message, at: origin.range, in: origin.file)
        }
        return RuntimeError(message, at: .at(0), in: interpreter.file)
    }

    /// The runner of the cached plan for an objective and some gradient
    /// parameters, with the analysis's warnings (a traced graph is analysed
    /// and compiled once).
    func cachedRunner(for root: NodeID, gradient parameters: [Int] = [], also: [NodeID] = [])
        -> (runner: Runner, warnings: [AnalysisWarning]) {
        interpreter.executor.runner(for: root, gradient: parameters, also: also, in: interpreter.graph)
    }

    /// The runner of the gradient of E[root] with respect to `wrt`, with
    /// the analysis's warnings: in forward mode where that is the better
    /// way (``Executor/forwardRunner(for:gradient:also:reverse:in:)``),
    /// then with the reverse sweep's runner to fall back on, else the
    /// reverse sweep's alone.
    func gradientRunner(for root: NodeID, gradient wrt: [Int])
        -> (runner: Runner, fallback: Runner?, warnings: [AnalysisWarning]) {
        let (reverse, warnings) = cachedRunner(for: root, gradient: wrt)
        // Stochastic triples run only forward.
        guard interpreter.forwardGradients || reverse.plan.takesTriples,
              let forward = interpreter.executor.forwardRunner(for: root, gradient: wrt, reverse: reverse.plan,
                                                               in: &interpreter.graph) else {
            return (reverse, nil, warnings)
        }
        // A tangent's node is where the node it was made for was written.
        for (node, source) in forward.madeFor {
            if let origin = interpreter.origin(of: source) { interpreter.recordOrigin(node, origin) }
        }
        return (forward.runner, reverse, warnings)
    }

    /// Runs a gradient's runner; where it is in forward mode and fails, the
    /// reverse sweep's runs the same draw instead, and its result or error
    /// stands. (No such program is known: a defence, should a tangent come
    /// out undefined where the reverse sweep would pass nothing back.)
    func runGradient(_ runners: (runner: Runner, fallback: Runner?), configuration: EngineConfiguration) throws -> EngineResult {
        guard let fallback = runners.fallback else { return try runEngine(runners.runner, configuration: configuration) }
        do {
            return try interpreter.executor.run(runners.runner, graph: interpreter.graph, configuration: configuration)
        } catch let error as EngineError where !error.isInterruption {
            // Stochastic triples run only forward: said when the sweep stands in.
            if runners.runner.plan.takesTriples {
                interpreter.output(.notice("stochastic triples could not run (\(error.message)); the score function ran in their place"))
            }
            return try runEngine(fallback, configuration: configuration)
        }
    }

    /// The analysis's warnings as diagnostics at the source of their nodes.
    /// (Each is also kept, once, for `wiggle check`, which shows no results.)
    func diagnostics(_ warnings: [AnalysisWarning]) -> [Diagnostic] {
        warnings.map { warning in
            let origin = interpreter.origin(of: warning.node)
            let diagnostic = Diagnostic(.runtime, warning.message, in: origin?.file ?? interpreter.file, at: origin?.range ?? .at(0),
                                        severity: .warning)
            if !interpreter.reportedWarnings.contains(where: { $0.location == diagnostic.location && $0.message == diagnostic.message }) {
                interpreter.reportedWarnings.append(diagnostic)
            }
            return diagnostic
        }
    }

    /// An estimate that overflowed or became undefined is an error, not a printed nan.
    func requireFinite(_ value: Double, _ stderr: Double, at range: SourceRange) throws {
        guard value.isFinite && stderr.isFinite else {
            throw interpreter.fail("the estimate is not a finite number (\(formatNumber(value)) ± \(formatNumber(stderr))): its particles are too large for a double",
                       at: range)
        }
    }
}
