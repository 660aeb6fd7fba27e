import Foundation
import Testing
@testable import WiggleGraph
import WiggleLang

/// The corridor episode of `wiggle-bench --loops` (examples/episode.wgl with
/// its own weights): a loop of random length whose score terms add up as it
/// runs, each step's `bernoulli(sigmoid(w[pos]))` picking one of four
/// parameters per particle.
@Suite struct CorridorTests {
    static let weights = [0.5, 0.2, -0.1, 0.3]
    static let episode = """
        param w[4] = [0.5, 0.2, -0.1, 0.3]
        pos = 0
        t = 0
        while pos < 4 and bernoulli(0.9) == 1 {
          right = bernoulli(sigmoid(w[pos]))
          pos = max(pos + 2 * right - 1, 0)
          t = t + 1
        }
        f = (pos == 4) - 0.05 * t
        """

    /// E[f] from cell 0, by value iteration over the cells: from cell p < 4
    /// the coin goes on with 0.9, the step costs 0.05, and the agent moves
    /// to p + 1 with sigmoid(w[p]), else to max(p − 1, 0); the goal pays 1.
    /// The iteration contracts by 0.9, so 2,000 rounds leave nothing.
    static func exact(_ w: [Double]) -> Double {
        var value = [0.0, 0, 0, 0, 1]
        for _ in 0..<2000 {
            var next = value
            for p in 0..<4 {
                let q = 1 / (1 + exp(-w[p]))
                next[p] = 0.9 * (-0.05 + q * value[p + 1] + (1 - q) * value[max(p - 1, 0)])
            }
            value = next
        }
        return value[0]
    }

    /// Each weight's derivative, by central differences of the exact value
    /// (step 1e-5: an error near 1e-10, far below the estimate's).
    static func exactGradient(_ w: [Double]) -> [Double] {
        (0..<4).map { k in
            var up = w, down = w
            up[k] += 1e-5
            down[k] -= 1e-5
            return (exact(up) - exact(down)) / 2e-5
        }
    }

    @Test func theGradientIsTheExactOne() {
        let values = displayedValues("set(seed = 7, particles = 100000)\n" + Self.episode + "\nE[f]\ngrad(E[f])\n")
        guard values.count == 2, case .estimate(let mean) = values[0], case .gradient(let gradient) = values[1] else {
            Issue.record("unexpected output \(values.map(Display.plain))")
            return
        }
        let value = Self.exact(Self.weights)
        #expect(abs(mean.value - value) < 5 * mean.stderr, "\(mean.value) ± \(mean.stderr) vs \(value)")
        let exact = Self.exactGradient(Self.weights)
        #expect(gradient.entries.count == 4)
        for (entry, truth) in zip(gradient.entries, exact) {
            #expect(entry.stderr > 0 && entry.stderr < 0.01)
            #expect(abs(entry.value - truth) < 5 * entry.stderr, "\(entry.name): \(entry.value) ± \(entry.stderr) vs \(truth)")
        }
    }

    /// `w[pos]`'s adjoint goes straight to the particle's sum for that
    /// weight (LoopWork.Iteration.pickSums): the bits of the same plan with
    /// every import's adjoint through a row of its own, on one thread and two.
    @Test func picksAddingToTheSumsGiveTheSameBits() throws {
        let session = Session()
        _ = session.run("set(seed = 3, particles = 5000)\n" + Self.episode) { _ in }
        guard let (graph, f) = session.traced("f") else {
            Issue.record("f was not traced")
            return
        }
        let parameters = Array(graph.parameters.indices)
        let choices = EstimatorAnalysis.analyse(graph, root: f, parameters: parameters).choices
        var runs: [[UInt64]] = []
        for direct in [true, false] {
            let plan = Plan(graph: graph, outputs: [f], gradientParameters: parameters, estimators: choices,
                            options: PlanOptions(picksAddToSums: direct))
            #expect(plan.loops.count == 1 && plan.loops[0].scoreSumGroup != nil)
            // The repeating iteration sends its pick straight to the sums.
            let work = LoopWork.make(plan.loops, calls: plan.randomCalls, pickTables: direct ? plan.pickTables : nil,
                                     gradient: true)
            #expect(work[0].iterations.contains { $0.pickSums != nil } == direct)
            work.forEach { $0.deallocate() }
            for threads in [1, 2] {
                var configuration = EngineConfiguration(particles: 5000, seed: 3, draw: 1, threads: threads)
                configuration.parallelWork = 0
                let result = try Runner(plan: plan).run(graph: graph, configuration: configuration)
                runs.append(result.gradient.flatMap { [$0.mean.bitPattern, $0.standardError.bitPattern] })
            }
        }
        #expect(runs.allSatisfy { $0 == runs[0] })
        #expect(runs[0].count == 8)
    }

    /// A comparison is already 0 or 1: `and` / `or` of comparisons (and of
    /// those) take them as they are, with no `!= 0` node, and mean the same.
    @Test func conditionsThatAreTruthValuesAreTakenAsTheyAre() {
        let session = Session()
        let values = displayedValues("""
            set(seed = 5, particles = 100000)
            x = normal(0, 1)
            inside = x > -1 and x < 1
            either = inside or x > 2
            flag = bernoulli(0.5) and x < 0
            E[inside]
            E[either]
            E[flag]
            """, session: session)
        guard let (graph, inside) = session.traced("inside"), let (_, either) = session.traced("either"),
              let (_, flag) = session.traced("flag") else {
            Issue.record("not traced")
            return
        }
        func isComparison(_ id: NodeID) -> Bool {
            if case .binary(let function, _, _) = graph[id].op {
                return [.less, .greater].contains(function)
            }
            return false
        }
        guard case .binary(.multiply, let a, let b) = graph[inside].op,
              case .binary(.max, let c, let d) = graph[either].op,
              case .binary(.multiply, let e, let g) = graph[flag].op else {
            Issue.record("unexpected nodes")
            return
        }
        #expect(isComparison(a) && isComparison(b))
        #expect(c == inside && isComparison(d))
        // A draw's value is not known to be 0 or 1 in the graph: it is compared with 0.
        #expect(!isComparison(e) && isComparison(g))
        if case .binary(.notEqual, _, _) = graph[e].op {} else { Issue.record("the draw is not compared with 0") }
        let phi = { (z: Double) in 0.5 * erfc(-z / 2.0.squareRoot()) }
        let exact = [phi(1) - phi(-1), phi(1) - phi(-1) + 1 - phi(2), 0.25]
        #expect(values.count == 3)
        for (value, truth) in zip(values, exact) {
            guard case .estimate(let estimate) = value else {
                Issue.record("expected an estimate, got \(Display.plain(value))")
                continue
            }
            #expect(abs(estimate.value - truth) < 5 * estimate.stderr, "\(estimate.value) ± \(estimate.stderr) vs \(truth)")
        }
    }
}
