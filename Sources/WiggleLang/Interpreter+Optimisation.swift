// Interpreter+Optimisation.swift — minimize and maximize.

import Dispatch
import WiggleGraph
import WiggleSyntax

extension Interpreter {
    /// minimize / maximize with Adam or plain SGD; parameters change in place.
    /// Each step estimates the gradient with `particles`; the objective
    /// reached is estimated with `finalParticles`.
    func optimise(_ root: NodeID, wrt: [Int], maximize: Bool, options: [String: CallArgument], particles: Int,
                  finalParticles: Int, at range: SourceRange) throws -> Value {
        let direction = maximize ? "maximize" : "minimize"
        guard !wrt.isEmpty else {
            let names = parameters.names.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            let declared = parameters.names.isEmpty ? "declare one with param" : "\(names) \(parameters.names.count == 1 ? "does" : "do") not reach it"
            throw fail("\(direction) has nothing to change: no parameter reaches this objective (\(declared))",
                       at: origin(of: root)?.range ?? range)
        }
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
        if settings.checkWithFewParticles { steps = min(steps, 1) }
        var optimizer = WiggleGraph.Optimizer(kind: useAdam ? .adam : .sgd, learningRate: learningRate, count: wrt.count)
        var trajectory: [Double] = []
        var trajectoryStderr: [Double] = []
        var lastError = 0.0
        var interrupted = false
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        // The optimiser steps each parameter in its unconstrained space
        // (ParameterBounds); values and gradients stay as declared.
        let bounds = wrt.map { graph.parameters[$0].bounds }
        var values = wrt.map { graph.parameters[$0].value }
        var unconstrained = zip(bounds, values).map { $0.unconstrained($1) }
        var gradient = [Double](repeating: 0, count: wrt.count)
        /// The values of the last step whose run succeeded: where a failure
        /// leaves the parameters.
        var lastValid = values
        func restoreLastValid(after completed: Int) -> String {
            for (index, value) in zip(wrt, lastValid) { graph.parameters[index].value = value }
            let shown = zip(wrt, lastValid).prefix(4).map { "\(graph.parameters[$0].name) = \(formatNumber($1))" }
            let more = wrt.count > 4 ? ", ..." : ""
            let when = completed == 0 ? "their starting values" : "their values after step \(completed), the last that ran"
            return "the parameters are back at \(when) (\(shown.joined(separator: ", "))\(more))"
        }
        /// What to try: a parameter check that failed ("sigma must be > 0")
        /// is what a bound prevents.
        func hint(for message: String) -> String {
            message.contains(" must be ") && !bounds.contains(where: \.isBounded)
                ? "try a smaller lr, or bound the parameter (param s = 0.5, lower = 0)" : "try a smaller lr"
        }
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
                error.message += " (at step \(step + 1) of \(direction); \(restoreLastValid(after: step - 1)); \(hint(for: error.message)))"
                throw error
            }
            lastValid = values
            trajectory.append(result.outputs[0].mean)
            lastError = isRandom ? result.outputs[0].standardError : 0
            trajectoryStderr.append(lastError)
            for index in gradient.indices {
                let declared = maximize ? -result.gradient[index].mean : result.gradient[index].mean
                gradient[index] = declared * bounds[index].slope(at: values[index])
            }
            optimizer.step(&unconstrained, gradient: gradient)
            for position in values.indices {
                let value = bounds[position].constrained(unconstrained[position])
                guard value.isFinite else {
                    let name = graph.parameters[wrt[position]].name
                    let note = restoreLastValid(after: step)
                    throw fail("the optimisation diverged at step \(step + 1): '\(name)' became \(formatNumber(value)); \(note); try a smaller lr",
                               at: range)
                }
                values[position] = value
            }
            for (index, value) in zip(wrt, values) { graph.parameters[index].value = value }
            output(.progress(OptimisationProgress(direction: direction, step: step + 1, steps: steps,
                                                  objective: trajectory[step], stderr: lastError, seconds: elapsed())))
        }
        var objective = (value: trajectory.last ?? .nan, stderr: lastError)
        if !interrupted {
            // The objective at the parameters reached.
            do {
                let final = try runEngine(plan, configuration: nextConfiguration(particles: isRandom ? finalParticles : 1),
                                          runner: runner)
                objective = (final.outputs[0].mean, isRandom ? final.outputs[0].standardError : 0)
            } catch is Interruption {
                interrupted = true
            } catch var error as RuntimeError where !trajectory.isEmpty {
                error.message += " (at the parameters \(direction) reached; \(restoreLastValid(after: trajectory.count - 1)); \(hint(for: error.message)))"
                throw error
            }
        }
        return .report(.optimisation(OptimisationResult(
            direction: direction, optimizer: useAdam ? "adam" : "sgd", learningRate: learningRate,
            objective: objective, parameters: wrt.map { (graph.parameters[$0].name, graph.parameters[$0].value) },
            steps: trajectory.count, requestedSteps: steps, trajectory: trajectory,
            trajectoryStderr: trajectoryStderr, interrupted: interrupted,
            seconds: elapsed(),
            warnings: diagnostics(warnings))))
    }
}
