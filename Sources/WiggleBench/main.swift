// wiggle-bench — the particle engine against hand-fused C loops, in one run.
//
//   swift run -c release wiggle-bench [--quick] [--loops | --triples | --mvd | --optimisation | --threads | --second-order | --sampling]
//
// For each scenario and particle count: the median wall time of one gradient
// estimate by the engine (1 thread and all cores) and by the C reference
// (1 thread), nanoseconds per particle, the ratios, and the peak resident
// memory while the engine ran (reset before each measurement).

import CReference
import Foundation
import WiggleGraph
import WiggleLang

/// Builds a graph and names the pieces a scenario needs.
struct Scenario {
    var name: String
    var graph: Graph
    var objective: NodeID
    /// The reference loop: fills objective and gradient estimates.
    var reference: (Int, UInt64) -> [ref_estimate]
}

func makeScenarios() -> [Scenario] {
    var scenarios: [Scenario] = []

    do {
        var g = Graph()
        let mu = g.parameters[g.addParameter(name: "mu", value: 0.5, at: .unknown)].node
        let ls = g.parameters[g.addParameter(name: "log_sigma", value: 0, at: .unknown)].node
        let sigma = g.append(.unary(.exp, ls), at: .unknown)
        let x = g.append(.normal(mean: mu, sd: sigma), at: .unknown)
        let d = g.append(.binary(.subtract, x, g.constant(3)), at: .unknown)
        let f = g.append(.binary(.power, d, g.constant(2)), at: .unknown)
        scenarios.append(Scenario(name: "one normal", graph: g, objective: f) { n, seed in
            var out = [ref_estimate](repeating: ref_estimate(), count: 3)
            ref_one_normal(n, seed, 0.5, 0, &out)
            return out
        })
    }
    do {
        var g = Graph()
        let a = g.parameters[g.addParameter(name: "a", value: 0.97, at: .unknown)].node
        let s = g.parameters[g.addParameter(name: "s", value: 0.2, at: .unknown)].node
        var h = g.constant(1.5)
        for _ in 0..<50 {
            let mean = g.append(.binary(.multiply, a, h), at: .unknown)
            h = g.append(.normal(mean: mean, sd: s), at: .unknown)
        }
        let f = g.append(.binary(.power, h, g.constant(2)), at: .unknown)
        scenarios.append(Scenario(name: "50-step chain", graph: g, objective: f) { n, seed in
            var out = [ref_estimate](repeating: ref_estimate(), count: 3)
            ref_chain(n, seed, 0.97, 0.2, 1.5, &out)
            return out
        })
    }
    do {
        var g = Graph()
        let theta = g.parameters[g.addParameter(name: "theta", value: 0, at: .unknown)].node
        let p = g.append(.unary(.sigmoid, theta), at: .unknown)
        let b = g.append(.bernoulli(probability: p), at: .unknown)
        let d = g.append(.binary(.subtract, b, g.constant(0.499)), at: .unknown)
        let f = g.append(.binary(.power, d, g.constant(2)), at: .unknown)
        scenarios.append(Scenario(name: "bernoulli toy", graph: g, objective: f) { n, seed in
            var out = [ref_estimate](repeating: ref_estimate(), count: 2)
            ref_bernoulli_toy(n, seed, 0, &out)
            return out
        })
    }
    do {
        var g = Graph()
        let mu = g.parameters[g.addParameter(name: "mu", value: 0.3, at: .unknown)].node
        let z = g.append(.normal(mean: mu, sd: g.constant(1)), at: .unknown)
        let p = g.append(.unary(.sigmoid, z), at: .unknown)
        let b = g.append(.bernoulli(probability: p), at: .unknown)
        scenarios.append(Scenario(name: "normal → bernoulli", graph: g, objective: b) { n, seed in
            var out = [ref_estimate](repeating: ref_estimate(), count: 2)
            ref_normal_bernoulli(n, seed, 0.3, &out)
            return out
        })
    }
    do {
        var g = Graph()
        let rate = g.parameters[g.addParameter(name: "rate", value: 1.5, at: .unknown)].node
        let x = g.append(.random(DistributionRegistry.id(named: "gamma") ?? .normal, [g.constant(2.5), rate]), at: .unknown)
        scenarios.append(Scenario(name: "gamma(2.5, rate)", graph: g, objective: x) { n, seed in
            var out = [ref_estimate](repeating: ref_estimate(), count: 2)
            ref_gamma(n, seed, 2.5, 1.5, &out)
            return out
        })
    }
    for rate in [3.5, 40] {
        var g = Graph()
        let r = g.parameters[g.addParameter(name: "rate", value: rate, at: .unknown)].node
        let k = g.append(.random(DistributionRegistry.id(named: "poisson") ?? .normal, [r]), at: .unknown)
        scenarios.append(Scenario(name: "poisson(\(formatNumber(rate)))", graph: g, objective: k) { n, seed in
            var out = [ref_estimate](repeating: ref_estimate(), count: 2)
            ref_poisson(n, seed, rate, &out)
            return out
        })
    }
    return scenarios
}

/// The C reference computes the score function with a leave-one-out
/// baseline for bernoullis and for normals at a jump, so the engine is made
/// to do the same (on its own it would choose the exact 2-point derivative
/// and the measure-valued one for these small graphs).
func scoreForBernoullis(_ graph: Graph, _ root: NodeID) -> [NodeID: EstimatorChoice] {
    var choices = EstimatorAnalysis.analyse(graph, root: root).choices
    for (node, choice) in choices where choice.estimator == .exact || choice.estimator == .mvd {
        choices[node] = EstimatorChoice(.score, [.leaveOneOut])  // the reference's estimator
    }
    return choices
}

/// Seconds since some fixed point, monotonic.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// The median time of one call of each body, measured in alternation (so
/// that drift in the machine's speed hits all of them alike), over enough
/// rounds to take about `budget` seconds.
func medianTimes(budget: Double, _ bodies: [() -> Void]) -> [Double] {
    var once = 0.0
    for body in bodies {
        body()  // warm up
        let start = now()
        body()
        once += max(now() - start, 1e-7)
    }
    let rounds = max(5, min(301, Int(budget / once)))
    var times = [[Double]](repeating: [], count: bodies.count)
    for _ in 0..<rounds {
        for (index, body) in bodies.enumerated() {
            let t0 = now()
            body()
            times[index].append(now() - t0)
        }
    }
    return times.map { $0.sorted()[$0.count / 2] }
}

/// Resets the kernel's record of peak resident memory (Linux).
func resetPeakMemory() {
    if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
        handle.write(Data("5".utf8))
        try? handle.close()
    }
}

/// The peak resident memory, in MiB, of a process of its own (this
/// program again, `--peak-memory`) running `text` once as `wiggle run`
/// would, repeating loops or not: nothing this process holds counts. (Its
/// own VmHWM, read at its end: a child's ru_maxrss would count the pages
/// of this process, which posix_spawn's vfork shares until the exec.)
func separatePeakMiB(_ text: String, repeating: Bool = true, forward: Bool = true) -> Double? {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("wiggle-bench-\(getpid()).wgl").path
    guard (try? text.write(toFile: file, atomically: true, encoding: .utf8)) != nil else { return nil }
    defer { try? FileManager.default.removeItem(atPath: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    process.arguments = ["--peak-memory", file] + (repeating ? [] : ["--unrolled"]) + (forward ? [] : ["--reverse"])
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return Double(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}

/// Peak resident memory since the last reset, in MiB (Linux VmHWM).
func peakMemoryMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") ?? .nan
        return kilobytes / 1024
    }
    return .nan
}

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")

// `--profile NAME N REPEATS`: run one scenario's engine in a loop, for a profiler.
if let index = arguments.firstIndex(of: "--profile"), index + 3 < arguments.count,
   let scenario = makeScenarios().first(where: { $0.name == arguments[index + 1] }),
   let n = Int(arguments[index + 2]), let repeats = Int(arguments[index + 3]) {
    let plan = Plan(graph: scenario.graph, outputs: [scenario.objective],
                    gradientParameters: Array(scenario.graph.parameters.indices),
                    estimators: scoreForBernoullis(scenario.graph, scenario.objective))
    // One runner, as a session keeps one for a graph it re-runs.
    let runner = Runner(plan: plan)
    for draw in 0..<repeats {
        _ = try? runner.run(graph: scenario.graph,
                            configuration: EngineConfiguration(particles: n, seed: 1, draw: UInt64(draw), threads: Int(arguments.last ?? "") ?? 1))
    }
    exit(0)
}
// `--peak-memory FILE [--unrolled] [--reverse]`: run a program once and print
// this process's peak resident memory in MiB (see separatePeakMiB).
if let index = arguments.firstIndex(of: "--peak-memory"), index + 1 < arguments.count,
   let text = try? String(contentsOfFile: arguments[index + 1], encoding: .utf8) {
    let session = Session()
    session.repeatsLoops = !arguments.contains("--unrolled")
    session.forwardGradients = !arguments.contains("--reverse")
    let result = session.run(text) { _ in }
    print(String(format: "%.1f", peakMemoryMiB()))
    exit(result.diagnostics.isEmpty ? 0 : 1)
}
// `--profile-program FILE REPEATS`: run a whole program (parse, trace,
// plan, pilot, engine) in one fresh session per round, for a profiler.
if let index = arguments.firstIndex(of: "--profile-program"), index + 2 < arguments.count,
   let text = try? String(contentsOfFile: arguments[index + 1], encoding: .utf8),
   let repeats = Int(arguments[index + 2]) {
    for _ in 0..<repeats { _ = Session().run(text) { _ in } }
    exit(0)
}
let counts = quick ? [100, 10_000, 100_000] : [100, 10_000, 1_000_000]
let cores = ProcessInfo.processInfo.activeProcessorCount
let budget = quick ? 0.2 : 1.0

print("wiggle-bench: engine vs hand-fused C, median time per gradient estimate (\(cores) cores)")
print("")
let header = ["scenario", "N", "engine 1T", "engine \(cores)T", "C 1T", "1T/C", "\(cores)T/C", "ns/particle 1T", "peak MiB"]
let widths = [20, 9, 11, 11, 11, 7, 7, 15, 9]
func row(_ cells: [String]) -> String {
    zip(cells, widths).map { cell, width in
        cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count)
    }.joined()
}
func seconds(_ t: Double) -> String {
    t < 1e-3 ? String(format: "%.1f µs", t * 1e6) : String(format: "%.2f ms", t * 1e3)
}
if arguments.contains("--threads") {
    runThreadSweep(budget: quick ? 0.2 : 0.6)
    exit(0)
}
if arguments.contains("--sampling") {
    runSamplingBenchmark(quick: quick)
    exit(0)
}
if arguments.contains("--second-order") {
    runSecondOrderBenchmark(particles: quick ? 100_000 : 1_000_000, rounds: quick ? 3 : 5)
    exit(0)
}
if arguments.contains("--triples") {
    runTriplesBenchmark(rounds: quick ? 3 : 7)
    exit(0)
}
if arguments.contains("--mvd") {
    runMeasureValuedBenchmark(particles: quick ? 20_000 : 200_000, budget: budget)
    exit(0)
}
let onlyLoops = arguments.contains("--loops")
if onlyLoops { runLoopsAsLoopsBenchmark(rounds: quick ? 3 : 11) }
let onlyOptimisation = arguments.contains("--optimisation")
if !onlyLoops && !onlyOptimisation { print(row(header)) }
var agreement: [String] = []
for scenario in makeScenarios() where !onlyLoops && !onlyOptimisation {
    let parameters = Array(scenario.graph.parameters.indices)
    let plan = Plan(graph: scenario.graph, outputs: [scenario.objective], gradientParameters: parameters,
                    estimators: scoreForBernoullis(scenario.graph, scenario.objective))
    // One runner per thread count keeps its buffers between runs, as a
    // session (and every optimiser step) does.
    let runners = [Runner(plan: plan), Runner(plan: plan)]
    for n in counts {
        func engine(threads: Int) -> EngineResult? {
            try? runners[threads == 1 ? 0 : 1].run(graph: scenario.graph,
                configuration: EngineConfiguration(particles: n, seed: 1, draw: 1, threads: threads))
        }
        resetPeakMemory()
        _ = engine(threads: cores)
        let peak = peakMemoryMiB()
        let times = medianTimes(budget: budget, [{ _ = engine(threads: 1) }, { _ = engine(threads: cores) },
                                                 { _ = scenario.reference(n, 1) }])
        let (single, multi, reference) = (times[0], times[1], times[2])
        print(row([scenario.name, "\(n)", seconds(single), seconds(multi), seconds(reference),
                   String(format: "%.2f", single / reference), String(format: "%.2f", multi / reference),
                   String(format: "%.1f", single / Double(n) * 1e9), String(format: "%.1f", peak)]))
        if n == counts.last, let result = engine(threads: cores) {
            let ref = scenario.reference(n, 1)
            let engineText = result.gradient.map { String(format: "%.5f ± %.5f", $0.mean, $0.standardError) }
            let refText = ref.dropFirst().map { String(format: "%.5f ± %.5f", $0.value, $0.stderr_) }
            agreement.append("  \(scenario.name): engine \(engineText.joined(separator: ", ")); C \(refText.joined(separator: ", "))")
        }
    }
}
if !onlyLoops && !onlyOptimisation {
print("")
print("gradient estimates at N = \(counts.last ?? 0) (engine and reference draw different streams; they should agree within a few standard errors):")
agreement.forEach { print($0) }
}

// Loops of random length: a geometric count (mean 5 iterations, traced up to
// the default limit of 1,000) beside the same work in a loop of 5, and the
// corridor episode of examples/episode.wgl beside a hand-written C loop.
let loopPrograms: [(name: String, program: String, reference: ((Int, UInt64) -> [ref_estimate])?)] = [
    ("5-iteration loop", "param p = 0.8333333333333334\nf = 0\nfor i in 0..5 { f = f + (bernoulli(p) == 1) }\n", nil),
    ("geometric loop", "param p = 0.8333333333333334\nf = 0\nwhile bernoulli(p) == 1 { f = f + 1 }\n", nil),
    ("corridor episode", corridorProgram, { n, seed in
        var out = [ref_estimate](repeating: ref_estimate(), count: 5)
        ref_corridor(n, seed, [0.5, 0.2, -0.1, 0.3], &out)
        return out
    }),
]
if !onlyOptimisation {
    print("")
    print("loops of random length: median time per gradient estimate (the 5-iteration loop is the geometric loop's yardstick; the corridor's is C)")
    print(row(["program", "N", "engine 1T", "engine \(cores)T", "yardstick", "1T/yard", "\(cores)T/yard", "ns/particle 1T", "peak MiB"]))
}
var loopTimes: [String: [Int: Double]] = [:]
for (name, program, reference) in loopPrograms where !onlyOptimisation {
    let session = Session()
    _ = session.run(program) { _ in }
    guard let (graph, objective) = session.traced("f") else {
        print("  \(name): did not trace")
        continue
    }
    let parameters = Array(graph.parameters.indices)
    let plan = Plan(graph: graph, outputs: [objective], gradientParameters: parameters,
                    estimators: scoreForBernoullis(graph, objective))
    if arguments.contains("--verbose") {
        print("  \(name): \(graph.count) nodes, \(plan.slotCount) main slots, \(plan.loops.count) loops, \(plan.loops.map { $0.iterations.map(\.slotCount).reduce(0, +) }) loop slots")
    }
    // One runner per thread count keeps its buffers between runs, as a session does.
    let runners = [Runner(plan: plan), Runner(plan: plan)]
    for n in counts.dropFirst() {
        func engine(threads: Int) -> EngineResult? {
            try? runners[threads == 1 ? 0 : 1].run(graph: graph, configuration: EngineConfiguration(particles: n, seed: 1, draw: 1, threads: threads))
        }
        resetPeakMemory()
        _ = engine(threads: cores)
        let peak = peakMemoryMiB()
        var bodies: [() -> Void] = [{ _ = engine(threads: 1) }, { _ = engine(threads: cores) }]
        if let reference { bodies.append { _ = reference(n, 1) } }
        let times = medianTimes(budget: budget, bodies)
        loopTimes[name, default: [:]][n] = times[0]
        let yardstick = reference == nil ? loopTimes["5-iteration loop"]?[n] : times[2]
        let ratio = { (t: Double) in yardstick.map { String(format: "%.2f", t / $0) } ?? "—" }
        print(row([name, "\(n)", seconds(times[0]), seconds(times[1]), yardstick.map(seconds) ?? "—",
                   ratio(times[0]), ratio(times[1]), String(format: "%.1f", times[0] / Double(n) * 1e9),
                   String(format: "%.1f", peak)]))
        if n == counts.last, let result = engine(threads: cores) {
            let engineText = result.gradient.map { String(format: "%.4f ± %.4f", $0.mean, $0.standardError) }
            var line = "  \(name): engine f \(String(format: "%.4f", result.outputs[0].mean)), gradient \(engineText.joined(separator: ", "))"
            if let reference {
                let ref = reference(n, 1)
                line += "; C f \(String(format: "%.4f", ref[0].value)), gradient "
                    + ref.dropFirst().map { String(format: "%.4f ± %.4f", $0.value, $0.stderr_) }.joined(separator: ", ")
            }
            print(line)
        }
    }
}

// Optimisation speed: the recurrence of examples/recurrence.wgl (50 steps, a
// small network per step) at 1,000 particles, traced once and re-run per step.
let recurrence = """
    set(seed = 1, particles = 1000, threads = THREADS)
    param w[4] = normal_init(0.3)
    param v[2] = normal_init(0.3)
    param u[2] = normal_init(0.3)
    param c = 0
    fn step(h) {
      a = tanh(w[0] * h + w[1])
      b = tanh(w[2] * h + w[3])
      mean = h + v[0] * a + v[1] * b + c
      sd = 0.05 + softplus(u[0] * a + u[1] * b - 2)
      return normal(mean, sd)
    }
    h = 0
    for t in 0..50 { h = step(h) }
    minimize(E[(h - 3)^2], steps = STEPS, lr = 0.03)
    """
// A 16-unit two-layer network fitted to sin(3x) on a random input, beside
// the same gradient and Adam step written by hand in C.
let network = """
    set(seed = 1, particles = 1000, threads = THREADS)
    param w1[16] = normal_init(0.5)
    param b1[16] = normal_init(0.1)
    param w2[16] = normal_init(0.5)
    param b2 = 0
    x = normal(0, 1)
    h = [tanh(w1[i] * x + b1[i]) for i in 0..16]
    y = sum([w2[i] * h[i] for i in 0..16]) + b2
    minimize(E[(y - sin(3 * x))^2], steps = STEPS, lr = 0.01)
    """
// Variational inference for the mean of 1,000 data points, beside C.
let variational = """
    set(seed = 1, particles = 1000, threads = THREADS)
    ys = [2 + sin(1.7 * i) for i in 0..1000]
    param m = 0
    param ls = 0
    z = normal(m, exp(ls))
    elbo = sum([normal_lpdf(y, z, 1) for y in ys]) + normal_lpdf(z, 0, 10) - normal_lpdf(z, m, exp(ls))
    maximize(E[elbo], steps = STEPS, lr = 0.05)
    """
// The same model with the likelihood in Stan's vectorised form. Both forms
// are reduced to the data's sufficient statistics while tracing.
let variationalVectorised = variational.replacingOccurrences(
    of: "sum([normal_lpdf(y, z, 1) for y in ys])", with: "normal_lpdf(ys, z, 1)")
// A nonlinear regression, y = a tanh(b x): a mean per data point that is
// not a + b·c, so one term per point stays in the graph (nothing to reduce)
// — the engine's per-node speed on a large graph.
let regression = """
    set(seed = 1, particles = 1000, threads = THREADS)
    xs = [2 * sin(1.3 * i) for i in 0..1000]
    ys = [1.5 * tanh(0.8 * xs[i]) + 0.5 * sin(2.9 * i) for i in 0..1000]
    param ma = 0
    param la = 0
    param mb = 0
    param lb = 0
    a = normal(ma, exp(la))
    b = normal(mb, exp(lb))
    loglik = sum([normal_lpdf(ys[i], a * tanh(b * xs[i]), 1) for i in 0..1000])
    prior = normal_lpdf(a, 0, 10) + normal_lpdf(b, 0, 10)
    entropy = -normal_lpdf(a, ma, exp(la)) - normal_lpdf(b, mb, exp(lb))
    maximize(E[loglik + prior + entropy], steps = STEPS, lr = 0.05)
    """
if onlyLoops { exit(0) }
/// The medians, over `rounds` rounds measured in alternation, of the
/// seconds a program's optimisation takes (`THREADS` and `STEPS` filled in)
/// with the vector functions, with the scalar ones (when `scalar`), and of
/// the seconds `reference` takes: (vector, scalar, reference), NaN where
/// not measured.
func optimisationSeconds(_ template: String, threads: Int, steps: Int, scalar: Bool,
                         reference: (() -> Double)? = nil) -> (vector: Double, scalar: Double, reference: Double) {
    let program = template.replacingOccurrences(of: "THREADS", with: "\(threads)")
        .replacingOccurrences(of: "STEPS", with: "\(steps)")
    func run() -> Double {
        var seconds = Double.nan
        _ = Session().run(program) { output in
            if case .display(.report(.optimisation(let result)), _, _) = output { seconds = result.seconds }
        }
        return seconds
    }
    var times: [[Double]] = [[], [], []]
    for _ in 0..<(quick ? 1 : 5) {
        if scalar {
            VectorMath.setEnabled(false)
            times[1].append(run())
            VectorMath.setEnabled(true)
        }
        times[0].append(run())
        if let reference { times[2].append(reference()) }
    }
    let median = times.map { $0.isEmpty ? Double.nan : $0.sorted()[$0.count / 2] }
    return (median[0], median[1], median[2])
}

func threadsLabel(_ threads: Int) -> String { threads == 1 ? "1 thread" : "\(threads) threads" }

print("")
print("optimisation: the recurrence example (50 steps, 1,000 particles), steps per second, with the vector")
print("functions (AVX2, \(VectorMath.isAvailable ? "in use" : "not available here")) and with the scalar ones, alternating")
for threads in [1, cores] {
    let steps = quick ? 50 : 200
    let t = optimisationSeconds(recurrence, threads: threads, steps: steps, scalar: true)
    print(String(format: "  %@: vector %.0f steps/s, scalar %.0f steps/s: %.2f×", threadsLabel(threads),
                 Double(steps) / t.vector, Double(steps) / t.scalar, t.scalar / t.vector))
}
print("")
print("optimisation: a 16-unit two-layer network on a random input (49 parameters, 1,000 particles), steps per")
print("second, vector and scalar math, and a hand-written C loop (libm tanh and sin, one thread) for the same steps")
for threads in [1, cores] {
    let steps = quick ? 50 : 200
    let t = optimisationSeconds(network, threads: threads, steps: steps, scalar: true) {
        // Starting values of the same sizes as normal_init's.
        var parameters = [Double](repeating: 0, count: 49)
        for k in 0..<16 {
            parameters[k] = 0.5 * sin(Double(k) + 1)
            parameters[16 + k] = 0.1 * cos(Double(k))
            parameters[32 + k] = 0.5 * sin(Double(2 * k + 1))
        }
        let start = now()
        _ = ref_network_steps(1000, 1, steps, 0.01, &parameters)
        return now() - start
    }
    print(String(format: "  %@: vector %.0f steps/s, scalar %.0f steps/s (%.2f×); C %.0f steps/s; vector/C time %.2f",
                 threadsLabel(threads), Double(steps) / t.vector, Double(steps) / t.scalar, t.scalar / t.vector,
                 Double(steps) / t.reference, t.vector / t.reference))
}
print("")
print("optimisation: variational inference for the mean of 1,000 data points (1,000 particles), steps per second,")
print("beside a hand-written C loop (one thread) for the same steps")
let data = (0..<1000).map { 2 + sin(1.7 * Double($0)) }
for threads in [1, cores] {
    let steps = quick ? 20 : 100
    let t = optimisationSeconds(variational, threads: threads, steps: steps, scalar: false) {
        var parameters = [0.0, 0.0]
        let start = now()
        _ = ref_vi_steps(1000, 1, steps, 0.05, data, 1000, &parameters)
        return now() - start
    }
    let vectorised = optimisationSeconds(variationalVectorised, threads: threads, steps: steps, scalar: false).vector
    print(String(format: "  %@: Wiggle %.0f steps/s (a sum of 1,000 normal_lpdf terms), %.0f (normal_lpdf(ys, z, 1)); C %.0f steps/s; Wiggle/C time %.3f and %.3f",
                 threadsLabel(threads), Double(steps) / t.vector, Double(steps) / vectorised, Double(steps) / t.reference,
                 t.vector / t.reference, vectorised / t.reference))
}
print("(the C loop computes the 1,000 terms for every particle; Wiggle reduces them to the data's sufficient statistics)")

print("")
print("optimisation: variational inference for a nonlinear regression y = a tanh(b x) on 1,000 points (one term")
print("per point stays in the graph; 1,000 particles), steps per second, beside a hand-written C loop (one thread)")
let xs: [Double] = (0..<1000).map { i in 2 * sin(1.3 * Double(i)) }
let ys: [Double] = (0..<1000).map { i in
    let signal: Double = 1.5 * tanh(0.8 * xs[i])
    let noise: Double = 0.5 * sin(2.9 * Double(i))
    return signal + noise
}
for threads in [1, cores] {
    let steps = quick ? 10 : 50
    let t = optimisationSeconds(regression, threads: threads, steps: steps, scalar: false) {
        var parameters = [0.0, 0.0, 0.0, 0.0]
        let start = now()
        _ = ref_regression_steps(1000, 1, steps, 0.05, xs, ys, 1000, &parameters)
        return now() - start
    }
    print(String(format: "  %@: Wiggle %.0f steps/s; C %.0f steps/s; Wiggle/C time %.2f", threadsLabel(threads),
                 Double(steps) / t.vector, Double(steps) / t.reference, t.vector / t.reference))
}
