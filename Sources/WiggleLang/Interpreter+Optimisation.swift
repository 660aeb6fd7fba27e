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
            trajectoryStderr.append(lastError)
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
                let final = try runEngine(plan, configuration: nextConfiguration(particles: isRandom ? finalParticles : 1),
                                          runner: runner)
                objective = (final.outputs[0].mean, isRandom ? final.outputs[0].standardError : 0)
            } catch is Interruption {
                interrupted = true
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
