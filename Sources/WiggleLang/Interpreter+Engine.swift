// Interpreter+Engine.swift — where the tracer hands the graph to the
// executor (WiggleGraph: plans, runners, the pilot): engine errors as
// diagnostics, and values computed from parameters alone.

import WiggleGraph
import WiggleSyntax

extension Interpreter {
    // MARK: Running the engine

    /// The configuration for the next draw.
    func nextConfiguration(particles: Int? = nil) -> EngineConfiguration {
        executor.nextConfiguration(particles: particles)
    }

    /// A random estimate needs two particles for its standard error.
    func requireTwoParticles(_ particles: Int, at range: SourceRange) throws {
        guard settings.checkWithFewParticles || particles >= 2 else {
            throw fail("estimating a random value needs at least 2 particles for a standard error (got \(particles))", at: range)
        }
    }

    /// Runs a runner's plan, turning engine errors into diagnostics at the node's source.
    func runEngine(_ runner: Runner, configuration: EngineConfiguration,
                   histogram: (range: ClosedRange<Double>, bins: Int)? = nil) throws -> EngineResult {
        do {
            return try executor.run(runner, graph: graph, configuration: configuration, histogram: histogram)
        } catch let error as EngineError {
            throw diagnosed(error)
        }
    }

    /// An engine error as what the interpreter throws: an interruption, or
    /// a diagnostic at the source of its node.
    func diagnosed(_ error: EngineError) -> any Error {
        if error.isInterruption { return Interruption(range: currentRange, file: currentFile) }
        return runtimeError(error)
    }

    /// An engine error as a diagnostic at the source of its node.
    func runtimeError(_ error: EngineError) -> RuntimeError {
        if let loop = error.stoppedLoop, let place = loopStops[loop] {
            // An error of the particles that run an iteration whose tracing failed.
            return RuntimeError(error.message, at: place.range, in: place.file)
        }
        var message = error.message
        if let (count, particles) = error.nonFiniteCount, let name = tracer.unboundName(error.node) {
            let line = graph[error.node].site.line
            message = "'\(name)' has no value in \(count) of \(particles) particles: they ran no iteration of the loop at line \(line) that binds it, and it had none before the loop"
        }
        if let origin = origin(of: error.node) {
            return RuntimeError(message, at: origin.range, in: origin.file)
        }
        return RuntimeError(message, at: .at(0), in: file)
    }

    /// The runner of the cached plan for an objective and some gradient
    /// parameters, with the analysis's warnings (a traced graph is analysed
    /// and compiled once).
    func cachedRunner(for root: NodeID, gradient parameters: [Int] = []) -> (runner: Runner, warnings: [AnalysisWarning]) {
        executor.runner(for: root, gradient: parameters, in: graph)
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
