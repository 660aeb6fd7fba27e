// Inference+Optimisation.swift — minimize and maximize.

import WiggleGraph
import WiggleSyntax

extension Inference {
    /// minimize / maximize with Adam or plain SGD; parameters change in place.
    /// Each step estimates the gradient with `particles`; the objective
    /// reached is estimated with `finalParticles`.
    func optimise(_ root: NodeID, wrt: [Int], maximize: Bool, options: [String: CallArgument], particles: Int,
                  finalParticles: Int, at range: SourceRange) throws -> Value {
        let direction = maximize ? "maximize" : "minimize"
        guard !wrt.isEmpty else {
            let names = interpreter.parameters.names.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            let declared = interpreter.parameters.names.isEmpty ? "declare one with param" : "\(names) \(interpreter.parameters.names.count == 1 ? "does" : "do") not reach it"
            throw interpreter.fail("\(direction) has nothing to change: no parameter reaches this objective (\(declared))",
                       at: interpreter.origin(of: root)?.range ?? range)
        }
        var steps = 100
        if let option = options["steps"] {
            steps = try interpreter.wholeNumber(option.value, what: "steps", at: option.range)
            guard steps >= 0 && steps <= 10_000_000 else {
                throw interpreter.fail("steps must be between 0 and 10000000, got \(steps)", at: option.range)
            }
        }
        var learningRate = 0.05
        if let option = options["lr"] {
            learningRate = try interpreter.number(option.value, what: "lr", at: option.range)
            guard learningRate > 0 && learningRate.isFinite else {
                throw interpreter.fail("lr must be a positive number, got \(formatNumber(learningRate))", at: option.range)
            }
        }
        var useAdam = true
        if let option = options["optimizer"] {
            guard case .string(let name) = option.value, name == "adam" || name == "sgd" else {
                throw interpreter.fail("optimizer must be \"adam\" or \"sgd\"", at: option.range)
            }
            useAdam = name == "adam"
        }
        let (runner, fallback, warnings) = gradientRunner(for: root, gradient: wrt)
        if interpreter.settings.checkWithFewParticles { steps = min(steps, 1) }
        let request = Executor.OptimisationRequest(root: root, parameters: wrt, maximize: maximize, steps: steps,
                                                   learningRate: learningRate, kind: useAdam ? .adam : .sgd,
                                                   particles: particles, finalParticles: finalParticles)
        let bounded = wrt.contains { interpreter.graph.parameters[$0].bounds.isBounded }
        /// Where a failure left the parameters, in words.
        func restored(_ lastValid: [Double], after completed: Int) -> String {
            let shown = zip(wrt, lastValid).prefix(4).map { "\(interpreter.graph.parameters[$0].name) = \(formatNumber($1))" }
            let more = wrt.count > 4 ? ", ..." : ""
            let when = completed == 0 ? "their starting values" : "their values after step \(completed), the last that ran"
            return "the parameters are back at \(when) (\(shown.joined(separator: ", "))\(more))"
        }
        /// What to try: a parameter check that failed ("sigma must be > 0")
        /// is what a bound prevents.
        func hint(for message: String) -> String {
            message.contains(" must be ") && !bounded
                ? "try a smaller lr, or bound the parameter (param s = 0.5, lower = 0)" : "try a smaller lr"
        }
        let done: Executor.OptimisationRun
        // The executor steps the parameters of a copy of the graph (the
        // progress reports may read the interpreter's); they are copied back
        // however it ends.
        var working = interpreter.graph
        defer { interpreter.graph.parameters = working.parameters }
        do {
            done = try interpreter.executor.optimise(request, runner: runner, fallback: fallback, graph: &working) { step, objective, stderr, seconds in
                interpreter.output(.progress(OptimisationProgress(direction: direction, step: step, steps: steps,
                                                      objective: objective, stderr: stderr, seconds: seconds)))
            }
        } catch let error as EngineError {
            throw diagnosed(error)
        } catch Executor.OptimisationFailure.run(let failure, let step, let completed, let lastValid) {
            guard var error = diagnosed(failure) as? RuntimeError else { throw diagnosed(failure) }
            let when = step > steps ? "at the parameters \(direction) reached" : "at step \(step) of \(direction)"
            error.message += " (\(when); \(restored(lastValid, after: completed)); \(hint(for: error.message)))"
            throw error
        } catch Executor.OptimisationFailure.diverged(let position, let value, let step, let lastValid) {
            let name = interpreter.graph.parameters[wrt[position]].name
            throw interpreter.fail("the optimisation diverged at step \(step): '\(name)' became \(formatNumber(value)); \(restored(lastValid, after: step - 1)); try a smaller lr",
                                   at: range)
        }
        interpreter.graph.parameters = working.parameters
        let trajectory = done.trajectory, objective = done.objective, interrupted = done.interrupted
        let trajectoryStderr = done.trajectoryStderr
        return .report(.optimisation(OptimisationResult(
            direction: direction, optimizer: useAdam ? "adam" : "sgd", learningRate: learningRate,
            objective: objective, parameters: wrt.map { (interpreter.graph.parameters[$0].name, interpreter.graph.parameters[$0].value) },
            steps: trajectory.count, requestedSteps: steps, trajectory: trajectory,
            trajectoryStderr: trajectoryStderr, interrupted: interrupted,
            seconds: done.seconds,
            warnings: diagnostics(warnings))))
    }
}
