import Foundation
import Testing
@testable import WiggleGraph

/// The executor owns what runs a graph's estimates: each draw afresh, plans
/// cached per objective, and the optimiser's loop, with no syntax in sight.
@Suite struct ExecutorTests {
    func executor(particles: Int = 20_000) -> Executor {
        Executor(options: Executor.Options(particles: particles, seed: 3, threads: 1, maxWorkspaceBytes: 1 << 30))
    }

    @Test func plansAreCachedAndEveryRunDrawsAfresh() throws {
        var b = Builder()
        let mu = b.parameter("mu", 0.5)
        let x = b.normal(mu, b.constant(1))
        let loss = b.binary(.multiply, x, x)
        let e = executor()
        let first = e.runner(for: loss, gradient: [0], in: b.graph)
        #expect(first.runner === e.runner(for: loss, gradient: [0], in: b.graph).runner)
        #expect(first.runner !== e.runner(for: loss, gradient: [], in: b.graph).runner)
        let a = try e.run(first.runner, graph: b.graph, configuration: e.nextConfiguration())
        let c = try e.run(first.runner, graph: b.graph, configuration: e.nextConfiguration())
        #expect(e.drawCount == 2)
        #expect(a.outputs[0].mean != c.outputs[0].mean)
        // E[x²] = mu² + 1, d/dmu = 2 mu.
        #expect(within(a.outputs[0], 1.25, 5) && within(a.gradient[0], 1, 5))
        e.forgetPlans()
        #expect(first.runner !== e.runner(for: loss, gradient: [0], in: b.graph).runner)
    }

    /// E[(x − 3)²] with x ~ normal(mu, 1) is (mu − 3)² + 1: Adam takes mu to 3.
    @Test func theOptimiserLoopStepsTheGraphsParameters() throws {
        var b = Builder()
        let mu = b.parameter("mu", 0)
        let x = b.normal(mu, b.constant(1))
        let d = b.binary(.subtract, x, b.constant(3))
        let loss = b.binary(.multiply, d, d)
        let e = executor(particles: 2_000)
        let runner = e.runner(for: loss, gradient: [0], in: b.graph).runner
        var graph = b.graph
        var steps: [Int] = []
        let request = Executor.OptimisationRequest(root: loss, parameters: [0], maximize: false, steps: 300, learningRate: 0.1,
                                                   kind: .adam, particles: 2_000, finalParticles: 20_000)
        let run = try e.optimise(request, runner: runner, graph: &graph) { step, _, _, _ in steps.append(step) }
        #expect(steps == Array(1...300) && run.trajectory.count == 300 && !run.interrupted)
        #expect(abs(graph.parameters[0].value - 3) < 0.1)
        // At mu ≈ 3 the objective is 1 + (mu − 3)².
        let exact = 1 + (graph.parameters[0].value - 3) * (graph.parameters[0].value - 3)
        #expect(abs(run.objective.value - exact) < 5 * run.objective.stderr)
    }

    /// A run that fails after a step puts the parameters back where the
    /// last run that worked had them: E[x²] with x ~ normal(0, s) moves s by
    /// 2s, so SGD with lr = 1 takes s = 1 to −1, where the second step's
    /// run refuses sigma.
    @Test func aFailedStepRestoresTheParameters() throws {
        var b = Builder()
        let s = b.parameter("s", 1)
        let x = b.normal(b.constant(0), s)
        let loss = b.binary(.multiply, x, x)
        let e = executor(particles: 1_000)
        let runner = e.runner(for: loss, gradient: [0], in: b.graph).runner
        var graph = b.graph
        let request = Executor.OptimisationRequest(root: loss, parameters: [0], maximize: false, steps: 5, learningRate: 1,
                                                   kind: .sgd, particles: 1_000, finalParticles: 1_000)
        do {
            _ = try e.optimise(request, runner: runner, graph: &graph) { _, _, _, _ in }
            Issue.record("the second step should have failed")
        } catch Executor.OptimisationFailure.run(let error, let step, let completed, let lastValid) {
            #expect(step == 2 && completed == 0 && lastValid == [1])
            #expect(error.message.hasPrefix("sigma must be > 0"))
        }
        #expect(graph.parameters[0].value == 1)
    }

    /// A step to a value past the doubles is refused before it is taken.
    @Test func aDivergingStepIsRefused() throws {
        var b = Builder()
        let mu = b.parameter("mu", 1)
        let loss = b.binary(.multiply, mu, mu)
        let e = executor(particles: 2)
        let runner = e.runner(for: loss, gradient: [0], in: b.graph).runner
        var graph = b.graph
        let request = Executor.OptimisationRequest(root: loss, parameters: [0], maximize: true, steps: 3, learningRate: 1e308,
                                                   kind: .sgd, particles: 2, finalParticles: 2)
        do {
            _ = try e.optimise(request, runner: runner, graph: &graph) { _, _, _, _ in }
            Issue.record("the first step should have diverged")
        } catch Executor.OptimisationFailure.diverged(let position, let value, let step, let lastValid) {
            #expect(position == 0 && value == .infinity && step == 1 && lastValid == [1])
        }
        #expect(graph.parameters[0].value == 1)
    }
}
