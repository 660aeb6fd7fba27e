// Executor.swift — what runs a traced graph's estimates for a session: the
// draw counter (each estimate draws afresh), the plans compiled for each
// objective and set of gradient parameters (analysed, with a pilot where more
// than one unbiased estimator is valid), the runners and the buffers the
// recent ones keep, and the optimiser's loop. The tracer (WiggleLang) builds
// the graph and hands it here; nothing here knows of syntax.

import Dispatch
import WiggleAnalysis
import WiggleCore
import WiggleDistributions

/// Runs estimates, gradients and optimisations of one graph's nodes.
public final class Executor {
    /// How the next runs are made.
    public struct Options: Sendable {
        public var particles: Int
        public var seed: UInt64
        public var threads: Int
        /// Every workspace together stays under this many bytes.
        public var maxWorkspaceBytes: Int
        /// Tracing only (`wiggle check`): every run has this many particles
        /// and no pilot runs (nil to run as asked).
        public var fewParticles: Int?
        /// How the particles' numbers are drawn (the pilot always draws independently).
        public var sampling = Sampling.iid
        /// Under randomised QMC: the independent randomisations whose spread gives the standard error.
        public var replicates = 16

        public init(particles: Int, seed: UInt64, threads: Int, maxWorkspaceBytes: Int, fewParticles: Int? = nil) {
            self.particles = particles
            self.seed = seed
            self.threads = threads
            self.maxWorkspaceBytes = maxWorkspaceBytes
            self.fewParticles = fewParticles
        }
    }

    /// A compiled plan's key: its objective and gradient parameters.
    struct PlanKey: Hashable {
        var root: NodeID
        var parameters: [Int]
        var also: [NodeID] = []
    }

    /// How many analysed plans stay cached.
    public static let keptPlanCount = 256
    /// Buffers up to this size stay with a cached plan between runs...
    public static let keptBufferBytes = 8 << 20
    /// ...for the plans run most recently, this many of them.
    public static let keptBufferCount = 8

    /// The settings of the runs to come.
    public var options: Options
    /// Asked at safe points whether the run should stop (Ctrl-C).
    public var shouldStop: (@Sendable () -> Bool)?
    /// How many times the engine has drawn; each estimate draws afresh.
    public private(set) var drawCount: UInt64 = 0
    private var planCache: [PlanKey: (runner: Runner, warnings: [AnalysisWarning])] = [:]
    /// Per objective and gradient parameters: its forward-mode runner, or
    /// nil where the reverse sweep runs (``forwardRunner(for:gradient:also:reverse:in:)``).
    private var forwardCache: [PlanKey: Runner?] = [:]
    /// The forward program with stochastic triples the last pilot compiled,
    /// for the graph of that many nodes (the gradient's runner, when it
    /// takes the same estimators).
    private var pilotTriples: (key: PlanKey, nodes: Int, built: (estimators: [NodeID: Estimator], graph: Graph, runner: Runner,
                                                                madeFor: [(node: NodeID, source: NodeID)]))?
    /// The keys of ``planCache``, oldest first.
    private var planCacheOrder: [PlanKey] = []
    /// The runners that keep their buffers, least recently used first.
    private var bufferedRunners: [Runner] = []

    public init(options: Options) {
        self.options = options
    }

    /// The configuration of the next draw.
    public func nextConfiguration(particles: Int? = nil) -> EngineConfiguration {
        drawCount += 1
        var count = options.fewParticles ?? particles ?? options.particles
        // Antithetic pairs need an even count: an odd one gains a particle.
        if options.sampling == .antithetic && count % 2 == 1 { count += 1 }
        var configuration = EngineConfiguration(particles: count, seed: options.seed, draw: drawCount, threads: options.threads)
        configuration.sampling = options.sampling
        configuration.shouldStop = shouldStop
        configuration.maxWorkspaceBytes = options.maxWorkspaceBytes
        return configuration
    }

    /// The runner of the cached plan for an objective, with the analysis's
    /// warnings: an estimate repeated (in a loop, at the REPL) reuses its
    /// plan and, when small, its buffers.
    /// `also`: more outputs estimated in the same run (each must be finite
    /// in every particle, as the root must), not differentiated.
    public func runner(for root: NodeID, gradient parameters: [Int] = [], also: [NodeID] = [], in graph: Graph)
        -> (runner: Runner, warnings: [AnalysisWarning]) {
        let key = PlanKey(root: root, parameters: parameters, also: also)
        if let cached = planCache[key] { return cached }
        let analysis = analyse(root, parameters: parameters, in: graph)
        let plan = Plan(graph: graph, outputs: [root] + also, gradientParameters: parameters, estimators: analysis.choices)
        let entry = (runner: Runner(plan: plan), warnings: analysis.warnings)
        planCache[key] = entry
        // The most recent plans are kept (a loop that re-traces its
        // objective makes a new one every iteration).
        planCacheOrder.append(key)
        if planCacheOrder.count > Executor.keptPlanCount {
            planCache[planCacheOrder.removeFirst()] = nil
        }
        return entry
    }

    /// The most gradient components worth carrying forward: each adds its
    /// tangent's work to every iteration, where the reverse sweep of a loop
    /// that keeps a tape costs about two more passes whatever their number.
    public static let forwardComponentLimit = 4

    /// The runner of the gradient of E[root] in forward mode, when that is
    /// the better way: a loop of random length would keep a tape for the
    /// reverse sweep (its checkpoints, and the segments between them run
    /// twice), no loop holds loops, every draw the parameters move is
    /// pathwise, there are at most ``forwardComponentLimit`` of them, and
    /// the tangents repeat each repeating loop's shape. Each component is
    /// then the expectation of a tangent (WiggleAnalysis's DerivativeProgram
    /// in the direction of that parameter: the same pathwise derivatives,
    /// carried forward with the values through each iteration), so a loop
    /// keeps only two iterations in memory and runs once. `reverse` is the
    /// plan as compiled for the reverse sweep, whose estimators it keeps.
    /// Nil when it does not apply; else the runner, and the nodes added to
    /// `graph`, each with the node it was made for.
    public func forwardRunner(for root: NodeID, gradient parameters: [Int], also: [NodeID] = [], reverse: Plan,
                              in graph: inout Graph) -> (runner: Runner, madeFor: [(node: NodeID, source: NodeID)])? {
        let key = PlanKey(root: root, parameters: parameters, also: also)
        if let known = forwardCache[key] { return known.map { ($0, []) } }
        var made: (runner: Runner, madeFor: [(node: NodeID, source: NodeID)])?
        defer {
            // Bounded like the plans (a loop that re-traces its objective makes new keys).
            if forwardCache.count >= Executor.keptPlanCount { forwardCache = [:] }
            forwardCache[key] = made?.runner
        }
        // Not where a loop holds loops: the outer one is traced to its limit,
        // a loop of its own in every iteration, and writing tangents over
        // all of them costs more than the sweep saves (2-4x at a limit of 3,000).
        let choices = Dictionary(reverse.randomNodes.map { ($0.node, $0.choice) }, uniquingKeysWith: { a, _ in a })
        // Draws taking stochastic triples run only here (the reverse plan
        // takes them as the score function).
        let triples = Executor.hasTriples(choices)
        guard !parameters.isEmpty, graph[root].isRandom, choices.values.allSatisfy({ $0.split == nil }) else { return nil }
        if !triples {
            guard parameters.count <= Executor.forwardComponentLimit,
                  reverse.loops.contains(where: { $0.needsAdjoint && $0.scoreSumGroup == nil }),
                  !graph.loops.contains(where: \.holdsLoops) else { return nil }
        }
        // The pilot's, when it compiled these estimators' program for this graph.
        if triples, let kept = pilotTriples, kept.key == key, kept.nodes == graph.count,
           kept.built.estimators == choices.mapValues(\.estimator) {
            pilotTriples = nil
            graph = kept.built.graph
            made = (kept.built.runner, kept.built.madeFor)
            return made
        }
        var extended = graph
        let configuration = pilotConfiguration
        let original = graph
        guard let programs = try? Executor.forwardPrograms(of: root, parameters: parameters, choices: choices, baseline: {
            Executor.baselineEstimate(of: root, graph: original, configuration: configuration)
        }, in: &extended) else { return nil }
        let tangents = programs.map(\.node)
        let madeFor = programs.flatMap(\.madeFor)
        guard Executor.repetitionsHold(from: graph, in: extended) else { return nil }
        graph = extended
        let plan = Plan(graph: graph, outputs: [root] + also, gradientParameters: parameters, estimators: choices,
                        tangents: tangents)
        made = (Runner(plan: plan), madeFor)
        return made
    }

    /// Whether every repeating loop goes on repeating with a program written
    /// in (the program may give its first iterations other shapes than the
    /// template's), and every loop the program added (a replay's copy)
    /// repeats too: else their iterations past those traced could not run.
    static func repetitionsHold(from graph: Graph, in extended: Graph) -> Bool {
        for (index, after) in extended.loops.enumerated() {
            let repeated = index < graph.loops.count ? graph.loops[index].repetition?.consistent == true : after.repetition != nil
            if repeated && after.repetition?.consistent != true { return false }
        }
        return true
    }

    /// The most gradient components stochastic triples are carried for:
    /// each carries an alternative path of its own through the program.
    public static let tripleComponentLimit = 16

    /// Whether some draw takes stochastic triples.
    static func hasTriples(_ choices: [NodeID: EstimatorChoice]) -> Bool {
        choices.values.contains { $0.estimator.mechanism == .triples }
    }

    /// Each parameter's derivative program for forward mode: pathwise
    /// draws, and with stochastic triples also enumerated ones and the
    /// score function's (whose baseline is then a constant: `baseline`
    /// gives an estimate of E[root] independent of the run's, asked for
    /// only where some draw takes that rule; without one it is 0, still
    /// unbiased). A measure-valued derivative has no program form beside
    /// them. Throws why not.
    static func forwardPrograms(of root: NodeID, parameters: [Int], choices: [NodeID: EstimatorChoice],
                                baseline: (() -> Double?)? = nil, in graph: inout Graph) throws -> [DerivativeProgram] {
        let triples = hasTriples(choices)
        let allowed: Set<DerivativeProgram.Rule> = triples ? [.pathwise, .triple, .exact, .score] : [.pathwise]
        let original = graph
        func build(_ b: Double) throws -> [DerivativeProgram] {
            try parameters.map { parameter in
                let program = try DerivativeProgram.build(of: root, direction: [parameter: 1], choices: choices, baseline: b, in: &graph)
                if let (node, rule) = program.rules.first(where: { !allowed.contains($0.value) }) {
                    let what = rule == .score ? "the score function" : "the \(rule) rule"
                    throw DerivativeProgramError(message: "a draw here takes \(what), which does not run beside them", node: node)
                }
                // The score rule stands only for the score function itself.
                if let (node, _) = program.rules.first(where: { id, rule in
                    rule == .score && (choices[id]?.estimator ?? .score) != .score
                }) {
                    throw DerivativeProgramError(message: "a draw here takes the measure-valued derivative, which does not run beside them",
                                                 node: node)
                }
                return program
            }
        }
        let programs = try build(0)
        guard triples, programs.contains(where: \.usesScore), let b = baseline?(), b != 0 else { return programs }
        graph = original
        return try build(b)
    }

    /// E[root] on the pilot's own streams, independent of every estimate's:
    /// the score rule's constant baseline beside stochastic triples. Nil
    /// when the run fails or is not finite.
    static func baselineEstimate(of root: NodeID, graph: Graph, configuration: EngineConfiguration) -> Double? {
        var pilot = configuration
        pilot.particles = EstimatorPilot.stages.last ?? 2_048
        pilot.draw = EstimatorPilot.draw
        pilot.collectRange = false
        let plan = Plan(graph: graph, outputs: [root])
        guard let result = try? Runner(plan: plan).run(graph: graph, configuration: pilot),
              let mean = result.outputs.first?.mean, mean.isFinite else { return nil }
        return mean
    }

    /// Choices whose stochastic triples cannot run (in forward mode, for
    /// the gradient in `parameters`, each particle's values within
    /// `maxBytes`) as the score function, with why.
    static func runnableTriples(_ analysis: AnalysisResult, root: NodeID, parameters: [Int], graph: Graph,
                                maxBytes: Int) -> AnalysisResult {
        guard hasTriples(analysis.choices), !parameters.isEmpty else { return analysis }
        var refusal: String?
        if parameters.count > tripleComponentLimit {
            refusal = "a gradient of more than \(tripleComponentLimit) parameters carries too many alternative paths"
        } else {
            var scratch = graph
            do {
                let programs = try forwardPrograms(of: root, parameters: parameters, choices: analysis.choices, in: &scratch)
                if !repetitionsHold(from: graph, in: scratch) {
                    refusal = "a loop of random length here no longer repeats one shape with the alternative path written in"
                }
                // A value per node for each particle, at the least.
                let bytes = scratch.ancestors(of: [root] + programs.map(\.node)).count * MemoryLayout<Double>.size
                if bytes > maxBytes {
                    let needed = (bytes + (1 << 20) - 1) >> 20
                    refusal = "its alternative paths need at least \(needed) MiB per particle, over the limit of \(maxBytes >> 20) MiB (raise it with --max-memory)"
                }
            } catch let error as DerivativeProgramError {
                refusal = error.message
            } catch {
                refusal = "\(error)"
            }
        }
        guard let refusal else { return analysis }
        var result = analysis
        for (id, choice) in analysis.choices where choice.estimator.mechanism == .triples {
            result.choices[id] = EstimatorChoice(.score, [.notPossible(choice.estimator, .noTriples(refusal)), .leaveOneOut])
        }
        return result
    }

    /// The pilot's runs: its first stage, its own draw (streams no
    /// estimate uses), the session's seed, threads, stop and memory limit.
    var pilotConfiguration: EngineConfiguration {
        var configuration = EngineConfiguration(particles: EstimatorPilot.stages[0], seed: options.seed,
                                                draw: EstimatorPilot.draw, threads: options.threads)
        configuration.shouldStop = shouldStop
        configuration.maxWorkspaceBytes = options.maxWorkspaceBytes
        return configuration
    }

    /// An analysis the caller has just made of the same graph (a node count
    /// that has not moved since), for the next ``analyse`` of the same root
    /// and parameters to take instead of making it again; used once.
    public var handedAnalysis: (root: NodeID, parameters: [Int], nodes: Int, result: AnalysisResult)?

    /// Each random node's estimator for the gradient of E[root], with a
    /// pilot run where more than one unbiased estimator is valid (not while
    /// only checking: a few particles measure nothing).
    public func analyse(_ root: NodeID, parameters: [Int], in graph: Graph) -> AnalysisResult {
        let found: AnalysisResult
        if let known = handedAnalysis, known.root == root, known.parameters == parameters, known.nodes == graph.count {
            found = known.result
        } else {
            found = EstimatorAnalysis.analyse(graph, root: root, parameters: parameters)
        }
        handedAnalysis = nil
        let analysis = Executor.runnableTriples(found, root: root, parameters: parameters, graph: graph,
                                                maxBytes: options.maxWorkspaceBytes)
        guard options.fewParticles == nil, !parameters.isEmpty else { return analysis }
        let configuration = pilotConfiguration
        let built = PilotBuilt()
        defer { pilotTriples = built.triples.map { (PlanKey(root: root, parameters: parameters, also: []), graph.count, $0) } }
        return EstimatorPilot.refine(analysis, graph: graph, root: root, parameters: parameters,
                                     configuration: configuration, estimateParticles: options.particles, built: built)
    }

    /// Runs a runner's plan; afterwards its buffers stay for its next run
    /// if they are small and it is among the most recently used.
    public func run(_ runner: Runner, graph: Graph, configuration: EngineConfiguration,
                    histogram: (range: ClosedRange<Double>, bins: Int)? = nil) throws -> EngineResult {
        defer { keepBuffers(of: runner) }
        guard configuration.sampling == .rqmc else {
            return try runner.run(graph: graph, configuration: configuration, histogram: histogram)
        }
        // Randomised QMC: R independent scrambles of 2^k points each, the
        // estimate their mean and its error their spread.
        let replicates = max(2, options.replicates)
        var results: [EngineResult] = []
        for replicate in 0..<replicates {
            var one = configuration
            one.particles = Executor.pointsPerReplicate(particles: configuration.particles, replicates: replicates)
            // Each replicate is an evaluation of its own (its scrambles and
            // its pseudo-random numbers), apart from every other evaluation's.
            one.draw = configuration.draw &+ (UInt64(replicate + 1) << 40)
            // The score function's baselines: the previous replicate's mean costs.
            one.replicateBaselines = results.last?.groupMeanCosts
            results.append(try runner.run(graph: graph, configuration: one, histogram: histogram))
        }
        return EngineResult(replicates: results)
    }

    /// Points per replicate under randomised QMC: the particles shared out,
    /// rounded up to a power of two (a Sobol' net's size).
    public static func pointsPerReplicate(particles: Int, replicates: Int) -> Int {
        let share = max(1, (particles + replicates - 1) / replicates)
        var points = 1
        while points < share { points <<= 1 }
        return points
    }

    private func keepBuffers(of runner: Runner) {
        if runner.bufferBytes > Executor.keptBufferBytes {
            runner.releaseBuffers()
            return
        }
        bufferedRunners.removeAll { $0 === runner }
        bufferedRunners.append(runner)
        if bufferedRunners.count > Executor.keptBufferCount {
            bufferedRunners.removeFirst().releaseBuffers()
        }
    }

    /// Forgets every plan and frees every buffer (the graph's nodes were renumbered).
    public func forgetPlans() {
        planCache = [:]
        forwardCache = [:]
        pilotTriples = nil
        planCacheOrder = []
        for runner in bufferedRunners { runner.releaseBuffers() }
        bufferedRunners = []
    }

    // MARK: Optimisation

    /// How an optimisation is asked for.
    public struct OptimisationRequest {
        public var root: NodeID
        public var parameters: [Int]
        public var maximize: Bool
        public var steps: Int
        public var learningRate: Double
        public var kind: Optimiser.Kind
        /// Particles of each step's gradient, and of the objective reached.
        public var particles: Int
        public var finalParticles: Int

        public init(root: NodeID, parameters: [Int], maximize: Bool, steps: Int, learningRate: Double,
                    kind: Optimiser.Kind, particles: Int, finalParticles: Int) {
            self.root = root
            self.parameters = parameters
            self.maximize = maximize
            self.steps = steps
            self.learningRate = learningRate
            self.kind = kind
            self.particles = particles
            self.finalParticles = finalParticles
        }
    }

    /// What an optimisation did.
    public struct OptimisationRun {
        /// The objective's estimate at each step, and its standard error.
        public var trajectory: [Double] = []
        public var trajectoryStderr: [Double] = []
        /// The objective at the parameters reached.
        public var objective: (value: Double, stderr: Double) = (.nan, 0)
        /// True when Ctrl-C stopped it.
        public var interrupted = false
        public var seconds = 0.0
    }

    /// Why an optimisation stopped early; the parameters are back at `lastValid`
    /// (their values after step `completed`, or their starting values when it is 0).
    public enum OptimisationFailure: Error {
        /// A run failed at step `step` (from 1; `steps` + 1 for the objective reached).
        case run(EngineError, step: Int, completed: Int, lastValid: [Double])
        /// Parameter `position` of the request became `value` at step `step`.
        case diverged(position: Int, value: Double, step: Int, lastValid: [Double])
    }

    /// Steps the parameters with Adam or SGD, each in its unconstrained
    /// space (``ParameterBounds``), the values and gradients as declared;
    /// `progress(step, objective, stderr, seconds)` after each step. The
    /// graph's parameters change in place.
    /// `fallback`: where `runner` carries the gradient forward, the reverse
    /// sweep's runner, which runs a step's draw again when the forward run
    /// fails (its result or error stands).
    public func optimise(_ request: OptimisationRequest, runner: Runner, fallback: Runner? = nil, graph: inout Graph,
                         progress: (Int, Double, Double, Double) -> Void) throws -> OptimisationRun {
        func attempt(_ configuration: EngineConfiguration) throws -> EngineResult {
            guard let fallback else { return try run(runner, graph: graph, configuration: configuration) }
            do {
                return try run(runner, graph: graph, configuration: configuration)
            } catch let error as EngineError where !error.isInterruption {
                return try run(fallback, graph: graph, configuration: configuration)
            }
        }
        let wrt = request.parameters
        let isRandom = graph[request.root].isRandom
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        var optimizer = Optimiser(kind: request.kind, learningRate: request.learningRate, count: wrt.count)
        let bounds = wrt.map { graph.parameters[$0].bounds }
        var values = wrt.map { graph.parameters[$0].value }
        var unconstrained = zip(bounds, values).map { $0.unconstrained($1) }
        var gradient = [Double](repeating: 0, count: wrt.count)
        // The values of the last step whose run succeeded: where a failure
        // leaves the parameters.
        var lastValid = values
        func restore() { for (index, value) in zip(wrt, lastValid) { graph.parameters[index].value = value } }
        var done = OptimisationRun()
        var lastError = 0.0
        for step in 0..<request.steps {
            if let shouldStop, shouldStop() {
                done.interrupted = true
                break
            }
            let result: EngineResult
            do {
                result = try attempt(nextConfiguration(particles: isRandom ? request.particles : 1))
            } catch let error as EngineError {
                if error.isInterruption {
                    done.interrupted = true
                    break
                }
                guard step > 0 else { throw error }
                restore()
                throw OptimisationFailure.run(error, step: step + 1, completed: step - 1, lastValid: lastValid)
            }
            lastValid = values
            done.trajectory.append(result.outputs[0].mean)
            lastError = isRandom ? result.outputs[0].standardError : 0
            done.trajectoryStderr.append(lastError)
            for index in gradient.indices {
                let declared = request.maximize ? -result.gradient[index].mean : result.gradient[index].mean
                gradient[index] = declared * bounds[index].slope(at: values[index])
            }
            optimizer.step(&unconstrained, gradient: gradient)
            for position in values.indices {
                let value = bounds[position].constrained(unconstrained[position])
                guard value.isFinite else {
                    restore()
                    throw OptimisationFailure.diverged(position: position, value: value, step: step + 1, lastValid: lastValid)
                }
                values[position] = value
            }
            for (index, value) in zip(wrt, values) { graph.parameters[index].value = value }
            progress(step + 1, done.trajectory[step], lastError, elapsed())
        }
        done.objective = (done.trajectory.last ?? .nan, lastError)
        if !done.interrupted {
            // The objective at the parameters reached.
            do {
                let final = try attempt(nextConfiguration(particles: isRandom ? request.finalParticles : 1))
                done.objective = (final.outputs[0].mean, isRandom ? final.outputs[0].standardError : 0)
            } catch let error as EngineError {
                if error.isInterruption {
                    done.interrupted = true
                } else if done.trajectory.isEmpty {
                    throw error
                } else {
                    restore()
                    throw OptimisationFailure.run(error, step: request.steps + 1, completed: done.trajectory.count - 1,
                                                  lastValid: lastValid)
                }
            }
        }
        done.seconds = elapsed()
        return done
    }
}
