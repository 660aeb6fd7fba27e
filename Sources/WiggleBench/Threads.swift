// Threads.swift — `wiggle-bench --threads`: for each benchmark model and
// particle count from 256 to 2^20, the median time of a gradient estimate on
// one thread and on all cores (measured in alternation), and their ratio.
// Two threads must never be slower than one.

import Foundation
import WiggleGraph

func runThreadSweep(budget: Double) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    print("threads: median time of a gradient estimate, 1 thread and \(cores), by particle count (work = particles × work per particle)")
    let widths = [22, 9, 12, 11, 11, 8]
    func row(_ cells: [String]) -> String {
        zip(cells, widths).map { cell, width in
            cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count)
        }.joined()
    }
    print(row(["model", "N", "work", "1 thread", "\(cores) threads", "ratio"]))
    var worst = 0.0
    for scenario in makeScenarios() {
        let parameters = Array(scenario.graph.parameters.indices)
        let plan = Plan(graph: scenario.graph, outputs: [scenario.objective], gradientParameters: parameters,
                        estimators: scoreForBernoullis(scenario.graph, scenario.objective))
        let runners = [Runner(plan: plan), Runner(plan: plan)]
        for power in stride(from: 8, through: 20, by: 2) {
            let n = 1 << power
            func engine(_ threads: Int) {
                _ = try? runners[threads == 1 ? 0 : 1].run(graph: scenario.graph, configuration:
                    EngineConfiguration(particles: n, seed: 1, draw: 1, threads: threads))
            }
            let times = medianTimes(budget: budget, [{ engine(1) }, { engine(cores) }])
            let ratio = times[1] / times[0]
            worst = max(worst, ratio)
            print(row([scenario.name, "\(n)", String(format: "%.3g", Double(n) * plan.workPerParticle),
                       seconds(times[0]), seconds(times[1]), String(format: "%.2f", ratio)]))
        }
    }
    print(String(format: "worst ratio (%d threads over 1): %.2f", cores, worst))
}
