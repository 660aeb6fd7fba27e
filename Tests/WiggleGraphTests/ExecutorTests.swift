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

    /// A step past the doubles stops with the parameters at their last valid values.
    @Test func aDivergingOptimisationRestoresTheParameters() {
        var b = Builder()
        let mu = b.parameter("mu", 1)
        let loss = b.unary(.exp, b.unary(.exp, b.binary(.multiply, mu, b.constant(-600))))
        let e = executor(particles: 2)
        let runner = e.runner(for: loss, gradient: [0], in: b.graph).runner
        var graph = b.graph
        let request = Executor.OptimisationRequest(root: loss, parameters: [0], maximize: true, steps: 10, learningRate: 1e300,
                                                   kind: .sgd, particles: 2, finalParticles: 2)
        #expect(throws: Executor.OptimisationFailure.self) {
            _ = try e.optimise(request, runner: runner, graph: &graph) { _, _, _, _ in }
        }
        #expect(graph.parameters[0].value.isFinite)
    }
}
