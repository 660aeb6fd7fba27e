// Engine.swift — runs a plan over N particles in cache-sized chunks: forward
// through every node, reverse sweep, and per-chunk sums merged in a fixed
// order. Memory is O(chunk × nodes), never O(N × nodes).

import Dispatch
import Foundation
import Synchronization
import WiggleCore
import WiggleDistributions

/// How to run a plan.
public struct EngineConfiguration: Sendable {
    /// Particles (independent samples of the whole graph).
    public var particles: Int
    /// The seed every random stream derives from.
    public var seed: UInt64
    /// Which draw this is: each E[...] (and each optimiser step) draws afresh.
    public var draw: UInt64
    /// Worker threads; results do not depend on it.
    public var threads: Int
    /// Particles per chunk; chunks of a few hundred stay in cache.
    public var chunkSize: Int
    /// Whether to track each output's smallest and largest particle.
    public var collectRange = false
    /// The most memory one worker's buffers may take; a large graph runs in
    /// smaller chunks to fit (this does not depend on the thread count, so
    /// neither do the results).
    public var maxWorkspaceBytes = 1 << 30
    /// Whether to sum the covariance of the gradient's components (for up to
    /// `EngineResult.maxCovarianceParameters` of them): `grad` does, so that
    /// arithmetic on components is right; an optimiser's steps do not.
    public var gradientCovariance = false
    /// Polled between groups of chunks: a run that should stop throws an
    /// interruption (Ctrl-C).
    public var shouldStop: (@Sendable () -> Bool)?
    /// Seconds of one-thread work left after the first group below which a
    /// run stays on one thread (``Runner/parallelWork``; tests set 0 to
    /// exercise the workers on small runs).
    public var parallelWork = Runner.parallelWork
    /// How the particles' numbers are drawn. Antithetic pairs are particles
    /// 2i and 2i + 1 (the count must be even, and chunks are even); the
    /// estimates' standard errors come from the pairs' means.
    public var sampling = Sampling.iid
    /// Under randomised QMC: each score-function weight group's baseline,
    /// the mean cost of another replicate (independent of this one's
    /// points, so no bias); nil for none.
    public var replicateBaselines: [Double]?

    /// A configuration for `particles` particles; the count, threads and chunk size are at least 1.
    public init(particles: Int, seed: UInt64 = 0, draw: UInt64 = 0,
                threads: Int = Runner.cores, chunkSize: Int = 256) {
        self.particles = max(1, particles)
        self.seed = seed
        self.draw = draw
        self.threads = max(1, threads)
        self.chunkSize = max(1, chunkSize)
    }
}

/// What a run of a plan found.
public struct EngineResult: Sendable {
    /// Per output: the particles' mean and variance.
    public var outputs: [Moments]
    /// Per output: the smallest and largest particle.
    public var ranges: [ClosedRange<Double>]
    /// Per output, when ranges were collected: whether every particle was a
    /// whole number (a count, a coin: its histogram gets whole-number bins).
    public var integral: [Bool] = []
    /// Per gradient parameter: the mean and variance of the per-particle
    /// gradient contributions (the estimate is the mean).
    public var gradient: [Moments]
    /// Counts per bin, when a histogram was asked for.
    public var histogram: [Int]
    /// The covariance matrix of the gradient's estimate (of the means, not
    /// of single particles), row by row, when it was asked for and there
    /// are at most `maxCovarianceParameters` components.
    public var gradientCovariance: [Double]?

    /// The most gradient components whose covariance is summed: k² / 2
    /// products per particle grow past the rest of a run's work beyond.
    public static let maxCovarianceParameters = 64

    /// Under randomised QMC or antithetic sampling: per output, the
    /// particles' own mean and variance (`outputs` holds the replicates' or
    /// the pairs' means).
    public var particleMoments: [Moments]?
    /// Under randomised QMC: how many replicates, and points in each.
    public var replicates: (count: Int, points: Int)?
    /// Under randomised QMC: each score-function weight group's mean cost
    /// (the next replicate's baselines).
    public var groupMeanCosts: [Double]?
}

extension EngineResult {
    /// Independent replicates as one estimate: each output's and gradient
    /// component's mean over the replicates' means, its standard error from
    /// their spread; the gradient's covariance likewise.
    public init(replicates results: [EngineResult]) {
        let first = results[0]
        self.init(outputs: [], ranges: [], gradient: [], histogram: [], gradientCovariance: nil)
        func combine(_ pick: (EngineResult) -> [Moments]) -> [Moments] {
            pick(first).indices.map { i in
                var moments = Moments()
                for result in results { moments.add(pick(result)[i].mean) }
                return moments
            }
        }
        outputs = combine(\.outputs)
        gradient = combine(\.gradient)
        ranges = first.ranges.indices.map { i in
            let low = results.map { $0.ranges[i].lowerBound }.min() ?? first.ranges[i].lowerBound
            let high = results.map { $0.ranges[i].upperBound }.max() ?? first.ranges[i].upperBound
            return low...max(low, high)
        }
        integral = first.integral.indices.map { i in results.allSatisfy { $0.integral[i] } }
        histogram = first.histogram.indices.map { bin in results.reduce(0) { $0 + $1.histogram[bin] } }
        particleMoments = first.outputs.indices.map { i in
            var merged = Moments()
            for result in results { merged.merge(result.particleMoments?[i] ?? result.outputs[i]) }
            return merged
        }
        replicates = (results.count, Int(first.outputs.first?.count ?? 0))
        if first.gradientCovariance != nil {
            let k = first.gradient.count
            let r = Double(results.count)
            var covariance = [Double](repeating: 0, count: k * k)
            for result in results {
                for i in 0..<k {
                    for j in 0..<k {
                        covariance[i * k + j] += (result.gradient[i].mean - gradient[i].mean) * (result.gradient[j].mean - gradient[j].mean)
                    }
                }
            }
            gradientCovariance = covariance.map { $0 / ((r - 1) * r) }
        }
    }
}

/// A problem found while running: invalid distribution parameters in some
/// particles, or a value that stopped being a finite number.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    /// The node where it happened.
    public var node: NodeID
    /// Where that node was made, for messages.
    public var site: Site
    /// What went wrong, in words.
    public var message: String
    /// True when the run was stopped from outside (Ctrl-C), not by a problem.
    public var isInterruption = false
    /// For an error of the particles that run an iteration whose tracing
    /// failed: the loop's row in ``Graph/loops`` (its ``LoopStop``).
    public var stoppedLoop: Int?
    /// For a value that is not a finite number: in how many particles, of how many.
    public var nonFiniteCount: (count: Int, particles: Int)?

    public var description: String { "\(site): \(message)" }
}

/// Runs one plan again and again (an optimiser's steps) without allocating
/// anything proportional to the graph after the first run: each worker keeps
/// its workspace, and only the parameter slots and the nodes computed from
/// parameters alone are refreshed.
public final class Runner: @unchecked Sendable {
    // @unchecked: during a run, worker w touches only workspaces[w]; between
    // runs a runner is used from one thread at a time.
    /// The plan every run executes.
    public let plan: Plan
    private var workspaces: [Workspace] = []
    private var chunkSize = 0
    /// Seconds one chunk took on one thread, measured by the last run.
    private var secondsPerChunk: Double?
    /// Each group's sums, kept from run to run (reset, not made again).
    private var groupPartials: [Partial] = []
    /// What `groupPartials` were made for.
    private var partialShape: PartialShape?

    private struct PartialShape: Equatable {
        var groups, outputs, gradients, bins: Int
        var covariance: Bool
    }

    /// Particles per chunk, at least, for a plan with a loop of random length.
    public static let loopChunkSize = 4096
    /// Particles per chunk, at least, for a plan with a loop of random
    /// length whose chunk would touch more than ``loopChunkBytes``.
    public static let narrowLoopChunkSize = 1024
    /// The bytes a loop plan's chunk may touch in its loops' blocks before
    /// it takes narrower chunks (``loopChunkLanes(_:)``).
    public static let loopChunkBytes = 3 << 19
    /// The most groups a run's chunks fall into (each summed by one thread,
    /// merged in order): at most this many cores work on one run, over all
    /// threads and MPI ranks.
    public static let groupLimit = 4096
    /// Particles per group past 64 groups: enough that a group's own costs
    /// (its sums kept, centred and merged) are nothing beside its work.
    public static let particlesPerGroup = 65536

    /// The bytes a chunk's buffers may take to stay in cache.
    public static let cacheBytes = 4 << 20

    /// The cores this process may use, read once: Foundation reads them from
    /// the cgroup files on every call (about 15 µs, half of a small run).
    public static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Seconds of work (on one thread) left after a run's first group below
    /// which the run stays on one thread: waking a worker and refreshing its
    /// buffers costs tens of microseconds, and two threads must never be
    /// slower than one (measured by `wiggle-bench --threads`).
    public static let parallelWork = 400e-6

    /// A runner for a plan; its buffers are made on the first run.
    public init(plan: Plan) {
        self.plan = plan
    }

    /// The bytes the workers' buffers take now.
    public var bufferBytes: Int {
        workspaces.count * chunkSize * Workspace.bytesPerLane(plan)
    }

    /// Frees the workers' buffers (the next run makes them again).
    public func releaseBuffers() {
        workspaces = []
        chunkSize = 0
    }

    /// The lanes of a chunk of a plan with loops of random length: wide, so
    /// that the last iterations, which few particles reach, share their
    /// fixed cost among more; narrower (down to ``narrowLoopChunkSize``)
    /// where its loops' blocks would pass ``loopChunkBytes`` — per loop, six
    /// iterations' blocks in the wider layout of its first two iterations
    /// (about a repeating loop's four traced and the two its later
    /// iterations take in turn) — because a run pays for every page it
    /// touches first (a fault and the kernel's zeroing), about a third of a
    /// short episode's time at 4,096 lanes. The rule reads nothing that
    /// unrolling a loop changes (not the main rows, which then hold what
    /// leaves each iteration), so the unrolled loop has the same chunks,
    /// and the same bits.
    static func loopChunkLanes(_ plan: Plan) -> Int {
        var rows = 0
        for loop in plan.loops { rows += 6 * (loop.iterations.prefix(2).map(\.slotCount).max() ?? 0) }
        let fitting = loopChunkBytes / max(1, rows * MemoryLayout<Double>.size)
        return min(loopChunkSize, max(narrowLoopChunkSize, fitting - fitting % 8))
    }

    /// Runs the plan once with the graph's current parameter values.
    public func run(graph: Graph, configuration: EngineConfiguration,
                    histogram: (range: ClosedRange<Double>, bins: Int)? = nil) throws -> EngineResult {
        let plan = self.plan
        let parameterValues = graph.parameters.map(\.value)
        let bytesPerLane = Workspace.bytesPerLane(plan)
        let fitting = configuration.maxWorkspaceBytes / bytesPerLane
        guard fitting >= 1 else {
            let needed = (bytesPerLane + (1 << 20) - 1) >> 20
            throw EngineError(node: plan.outputNodes.first ?? NodeID(0), site: plan.outputNodes.first.map { graph[$0].site } ?? .unknown,
                              message: "running this graph of \(plan.slotCount) nodes needs at least \(needed) MiB per thread, over the limit of \(configuration.maxWorkspaceBytes >> 20) MiB (raise it with --max-memory)")
        }
        // A loop of random length runs its late iterations for few particles
        // each; larger chunks share the cost of each iteration among more.
        // A large graph takes narrower chunks, so that a chunk's values and
        // adjoints stay in the core's cache (about 1 MiB), down to 16 lanes
        // (which still fill the vector units).
        let cached = max(16, Runner.cacheBytes / bytesPerLane)
        var wanted = plan.loops.isEmpty ? min(configuration.chunkSize, cached)
            : max(configuration.chunkSize, Runner.loopChunkLanes(plan))
        // A loop holding loops runs every iteration up to its limit in the
        // main slots: there the main buffer decides, as without loops.
        if graph.loops.contains(where: \.holdsLoops) { wanted = min(configuration.chunkSize, cached) }
        let widest = min(wanted, configuration.particles, fitting)
        // An antithetic pair never straddles two chunks.
        let chunkSize = configuration.sampling == .antithetic && widest > 1 ? widest - widest % 2 : widest
        let chunkCount = (configuration.particles + chunkSize - 1) / chunkSize
        // Chunks are grouped; a group is summed by one thread in chunk order and
        // the groups are merged in group order, so threads (and MPI ranks)
        // never change a bit. A group is the unit of work: 64 of them, or
        // one per `particlesPerGroup` particles for large runs (so every
        // core of a cluster has its share), up to `groupLimit`.
        let groupCount = min(chunkCount, min(Runner.groupLimit, max(64, configuration.particles / Runner.particlesPerGroup)))
        // More workers than cores would only add buffers (each up to
        // maxWorkspaceBytes); results do not depend on the count.
        let most = min(configuration.threads, groupCount, Runner.cores)
        if chunkSize != self.chunkSize {
            workspaces = []
            self.chunkSize = chunkSize
            secondsPerChunk = nil
        }
        func prepare(_ count: Int) {
            while workspaces.count < count {
                workspaces.append(Workspace(plan: plan, chunkSize: chunkSize, parameterValues: parameterValues))
            }
        }
        prepare(1)
        workspaces[0].refresh(parameterValues: parameterValues)
        let covariance = configuration.gradientCovariance
            && plan.gradientParameters.count <= EngineResult.maxCovarianceParameters
        let bins = histogram?.bins ?? 0
        let shape = PartialShape(groups: groupCount, outputs: plan.outputs.count, gradients: plan.gradientParameters.count,
                                 bins: bins, covariance: covariance)
        if shape != partialShape {
            groupPartials = (0..<groupCount).map { _ in
                Partial(outputs: shape.outputs, gradients: shape.gradients, histogramBins: bins, covariance: covariance)
            }
            partialShape = shape
        }

        // Group g is summed by one worker in chunk order, and the groups are
        // merged in group order: which worker runs a group never changes a bit.
        let runGroup: @Sendable (Workspace, Int, UnsafeMutablePointer<Partial>) -> Void = { workspace, group, partial in
            partial.pointee.reset()
            let first = group * chunkCount / groupCount
            let last = (group + 1) * chunkCount / groupCount
            for chunk in first..<last {
                let lanes = min(chunkSize, configuration.particles - chunk * chunkSize)
                workspace.process(chunk: chunk, lanes: lanes, configuration: configuration,
                                  histogram: histogram?.range, into: &partial.pointee)
            }
            partial.pointee.centreCoMoments()
        }
        // How long a chunk takes, from the last run of this runner (an
        // optimiser re-runs it every step), or else measured on the first
        // group, run on this thread: more workers are woken only when the
        // work is worth their start.
        var first = 0
        let threads: Int
        // Over many processes: this rank runs the groups it owns, and the
        // ranks exchange the partials below.
        let cluster = Cluster.current.flatMap { $0.size > 1 ? $0 : nil }
        if let cluster {
            let owned = (0..<groupCount).filter(cluster.owns).count
            threads = min(most, max(1, owned))
        } else if let perChunk = secondsPerChunk {
            threads = most > 1 && perChunk * Double(chunkCount) >= configuration.parallelWork ? most : 1
        } else {
            let started = DispatchTime.now().uptimeNanoseconds
            groupPartials.withUnsafeMutableBufferPointer { buffer in
                if let base = buffer.baseAddress { runGroup(workspaces[0], 0, base) }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
            let chunksInFirst = max(1, chunkCount / groupCount)
            secondsPerChunk = seconds / Double(chunksInFirst)
            first = 1
            let rest = groupCount - 1
            threads = most > 1 && Double(rest) * seconds >= configuration.parallelWork ? min(most, rest) : 1
        }
        prepare(threads)
        for workspace in workspaces.dropFirst().prefix(threads - 1) { workspace.refresh(parameterValues: parameterValues) }
        let spaces = workspaces
        // Workers take the next group as they finish one, so the load
        // balances itself; a group's partial does not depend on who ran it.
        let next = Atomic<Int>(first)
        // (An interruption throws below, before groups it skipped are merged.)
        let work: @Sendable (Int, UnsafeMutableBufferPointer<Partial>) -> Void = { worker, results in
            while true {
                let group = next.add(1, ordering: .relaxed).oldValue
                guard group < groupCount else { return }
                if let cluster, !cluster.owns(group) { continue }
                if let stop = configuration.shouldStop, stop() { return }
                if let base = results.baseAddress { runGroup(spaces[worker], group, base + group) }
            }
        }
        let started = DispatchTime.now().uptimeNanoseconds
        groupPartials.withUnsafeMutableBufferPointer { buffer in
            if threads == 1 {
                work(0, buffer)
            } else {
                let shared = SendableBuffer(buffer: buffer)
                DispatchQueue.concurrentPerform(iterations: threads) { worker in
                    work(worker, shared.buffer)
                }
            }
        }
        if let cluster { cluster.exchange(&groupPartials) }
        if first == 0 && chunkCount > 0 && cluster == nil {
            // Keep the estimate current (the parameters move, and so may the work).
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
            secondsPerChunk = seconds * Double(threads) / Double(chunkCount)
        }
        if let stop = configuration.shouldStop, stop() {
            throw EngineError(node: NodeID(0), site: .unknown, message: "interrupted", isInterruption: true)
        }

        var total = Partial(plan: plan, histogramBins: bins, covariance: covariance)
        for partial in groupPartials { total.merge(partial) }
        if let cluster { try cluster.check(total, parameters: parameterValues) }
        try total.check(plan: plan, graph: graph, particles: configuration.particles)
        var result = EngineResult(outputs: total.outputs, ranges: zip(total.minima, total.maxima).map { $0...max($0, $1) },
                                  integral: total.integral,
                                  gradient: total.gradient, histogram: total.histogram,
                                  gradientCovariance: covariance ? total.covarianceOfMeans() : nil)
        if !total.groupCosts.isEmpty { result.groupMeanCosts = total.groupCosts.map { $0 / Double(configuration.particles) } }
        if !total.particleOutputs.isEmpty { result.particleMoments = total.particleOutputs }
        return result
    }
}

/// A buffer handed to worker threads; each writes only its own elements.
struct SendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
}

/// Per-group sums.
struct Partial {
    var outputs: [Moments]
    var minima: [Double]
    var integral: [Bool]
    var maxima: [Double]
    var gradient: [Moments]
    /// Sums of products of deviations between gradient components from
    /// their means, k × k row by row (empty when not asked for); merged like
    /// `Moments.m2`. Valid after `centreCoMoments`.
    var coMoments: [Double]
    /// While chunks are added: the deviations' shift, and the sums of their
    /// products (upper triangle).
    var coShift: [Double] = []
    var coSums: [Double]
    var histogram: [Int]
    /// Invalid distribution parameters, by node: how many particles, and the first bad value.
    var failures: [Int32: (count: Int, value: Double, what: FailureKind)] = [:]
    /// Non-finite values, by the first node where they appeared.
    var nonFinite: [Int32: Int] = [:]
    var nonFiniteGradient: [Int: Int] = [:]
    /// Where the reverse sweep first produced an infinite or undefined adjoint.
    var nonFiniteGradientNodes: [Int32: Int] = [:]
    /// Under randomised QMC: each score-function weight group's cost, summed.
    var groupCosts: [Double] = []
    /// Under antithetic sampling (where `outputs` holds the pairs' means):
    /// each output's particles themselves.
    var particleOutputs: [Moments] = []

    init(plan: Plan, histogramBins: Int, covariance: Bool = false) {
        self.init(outputs: plan.outputs.count, gradients: plan.gradientParameters.count,
                  histogramBins: histogramBins, covariance: covariance)
    }

    /// Empty sums for `outputs` outputs and `gradients` gradient components
    /// (what a group's worker makes: it takes no copy of the plan).
    init(outputs count: Int, gradients k: Int, histogramBins: Int, covariance: Bool) {
        outputs = Array(repeating: Moments(), count: count)
        minima = Array(repeating: .infinity, count: count)
        integral = Array(repeating: true, count: count)
        maxima = Array(repeating: -.infinity, count: count)
        gradient = Array(repeating: Moments(), count: k)
        coMoments = covariance ? Array(repeating: 0, count: k * k) : []
        coSums = coMoments
        histogram = Array(repeating: 0, count: histogramBins)
    }

    /// Empties the sums, keeping the arrays (a runner reuses one per group:
    /// allocating them again for every group was a tenth of a small run).
    mutating func reset() {
        for i in outputs.indices {
            outputs[i] = Moments()
            minima[i] = .infinity
            integral[i] = true
            maxima[i] = -.infinity
        }
        for i in gradient.indices { gradient[i] = Moments() }
        for i in coMoments.indices { coMoments[i] = 0 }
        for i in coSums.indices { coSums[i] = 0 }
        coShift.removeAll(keepingCapacity: true)
        for i in histogram.indices { histogram[i] = 0 }
        failures.removeAll(keepingCapacity: true)
        nonFinite.removeAll(keepingCapacity: true)
        nonFiniteGradient.removeAll(keepingCapacity: true)
        nonFiniteGradientNodes.removeAll(keepingCapacity: true)
        for i in groupCosts.indices { groupCosts[i] = 0 }
        for i in particleOutputs.indices { particleOutputs[i] = Moments() }
    }

    mutating func merge(_ other: Partial) {
        for i in outputs.indices {
            outputs[i].merge(other.outputs[i])
            minima[i] = min(minima[i], other.minima[i])
            integral[i] = integral[i] && other.integral[i]
            maxima[i] = max(maxima[i], other.maxima[i])
        }
        if !coMoments.isEmpty {
            mergeCoMoments(other.coMoments, means: other.gradient.map(\.mean), count: other.gradient.first?.count ?? 0)
        }
        for i in gradient.indices { gradient[i].merge(other.gradient[i]) }
        for i in histogram.indices { histogram[i] += other.histogram[i] }
        if groupCosts.count < other.groupCosts.count { groupCosts += Array(repeating: 0, count: other.groupCosts.count - groupCosts.count) }
        for i in other.groupCosts.indices { groupCosts[i] += other.groupCosts[i] }
        if particleOutputs.count < other.particleOutputs.count {
            particleOutputs += Array(repeating: Moments(), count: other.particleOutputs.count - particleOutputs.count)
        }
        for i in other.particleOutputs.indices { particleOutputs[i].merge(other.particleOutputs[i]) }
        for (node, failure) in other.failures {
            if let existing = failures[node] {
                failures[node] = (existing.count + failure.count, existing.value, existing.what)
            } else {
                failures[node] = failure
            }
        }
        nonFinite.merge(other.nonFinite, uniquingKeysWith: +)
        nonFiniteGradient.merge(other.nonFiniteGradient, uniquingKeysWith: +)
        nonFiniteGradientNodes.merge(other.nonFiniteGradientNodes, uniquingKeysWith: +)
    }

    /// Turns the shifted sums of products into co-moments about the means:
    /// Σ n (m − c)(m − c)ᵀ = Σ n (m − μ)(m − μ)ᵀ + N (μ − c)(μ − c)ᵀ.
    mutating func centreCoMoments() {
        guard !coShift.isEmpty else { return }
        let k = gradient.count
        let n = gradient.first?.count ?? 0
        for i in 0..<k {
            for j in i..<k {
                let value = coSums[i * k + j] - n * (gradient[i].mean - coShift[i]) * (gradient[j].mean - coShift[j])
                coMoments[i * k + j] = value
                coMoments[j * k + i] = value
            }
        }
        coShift = []
    }

    /// Adds the co-moments of `count` more particles whose gradient means
    /// are `means`; call before their moments are merged into `gradient`.
    /// (Chan et al.'s pairwise update, as `Moments.merge` does for one.)
    mutating func mergeCoMoments(_ other: [Double], means: [Double], count n: Double) {
        let k = gradient.count
        let m = gradient.first?.count ?? 0
        guard n > 0 else { return }
        let scale = m * n / (m + n)
        for i in 0..<k {
            let di = means[i] - gradient[i].mean
            for j in i..<k {
                let value = coMoments[i * k + j] + other[i * k + j] + di * (means[j] - gradient[j].mean) * scale
                coMoments[i * k + j] = value
                coMoments[j * k + i] = value
            }
        }
    }

    /// Particles per batch for the co-moments of `components` gradient
    /// components: 1 for a few components, up to 32 for 64 (about k
    /// products per particle), and never so many that fewer than 256
    /// batches remain.
    static func coMomentBatch(components k: Int, particles: Int) -> Int {
        var batch = 1
        while batch < 32 && 2 * batch <= k / 2 && particles / (2 * batch) >= 256 { batch *= 2 }
        return batch
    }

    /// The covariance of the gradient's means: the correlations of the
    /// co-moments, scaled by each component's standard error (so the
    /// diagonal is exactly the squared standard errors the gradient shows).
    func covarianceOfMeans() -> [Double] {
        let k = gradient.count
        var covariance = [Double](repeating: 0, count: k * k)
        for i in 0..<k {
            for j in 0..<k {
                let scale = (coMoments[i * k + i] * coMoments[j * k + j]).squareRoot()
                let correlation = i == j ? 1 : (scale > 0 ? Swift.max(-1, Swift.min(1, coMoments[i * k + j] / scale)) : 0)
                covariance[i * k + j] = correlation * gradient[i].standardError * gradient[j].standardError
            }
        }
        return covariance
    }

    /// Throws for the earliest node with a problem.
    func check(plan: Plan, graph: Graph, particles: Int) throws {
        if let (node, failure) = failures.min(by: { $0.key < $1.key }) {
            let id = NodeID(Int(node))
            if case .loopLimit(let loop) = failure.what, loop >= 0, loop < graph.loops.count {
                let trace = graph.loops[loop]
                let running = failure.count == 1 ? "1 of \(particles) particles" : "\(failure.count) of \(particles) particles"
                if let stop = trace.stop {
                    var error = EngineError(node: id, site: stop.site,
                                            message: "\(stop.message) (in \(running), which run iteration \(stop.iteration) of the loop at line \(trace.site.line))")
                    error.stoppedLoop = loop
                    throw error
                }
                let were = failure.count == 1 ? "1 of \(particles) particles was" : "\(failure.count) of \(particles) particles were"
                if let repetition = trace.repetition, !repetition.consistent {
                    // The loop was traced to its repeating iteration only, and a
                    // program written from it since lost that single shape.
                    throw EngineError(node: id, site: graph[id].site,
                                      message: "\(were) still running this loop after the \(repetition.template + 1) iterations traced: the program written from it here (a derivative) does not repeat one shape per iteration, so the rest cannot be run (a limitation of Wiggle; please report it with the program)")
                }
                throw EngineError(node: id, site: graph[id].site,
                                  message: "\(were) still running this loop after \(trace.limit) iterations, the loop limit; raise it with set(loop_limit = N) or --loop-limit N if the loop does end")
            }
            throw EngineError(node: id, site: graph[id].site,
                              message: failure.what.message(value: failure.value, count: failure.count, of: particles))
        }
        if let (node, count) = nonFinite.min(by: { $0.key < $1.key }) {
            let id = NodeID(Int(node))
            let name = graph[id].label.map { "'\($0)'" } ?? "this value"
            var error = EngineError(node: id, site: graph[id].site,
                                    message: "\(name) is not a finite number in \(count) of \(particles) particles")
            error.nonFiniteCount = (count, particles)
            throw error
        }
        if let (firstIndex, firstCount) = nonFiniteGradient.min(by: { $0.key < $1.key }) {
            // Name the parameter and place the caret from one failure: the
            // node where the reverse sweep first broke, and a parameter whose
            // gradient that node reaches (the nan or inf flows back to it).
            var index = firstIndex, count = firstCount
            let broken = nonFiniteGradientNodes.max(by: { $0.key < $1.key }).map { NodeID(Int($0.key)) }
            if let broken {
                let reached = Set(graph.parameters(reaching: broken))
                if let (reachedIndex, reachedCount) = nonFiniteGradient
                    .filter({ reached.contains(plan.gradientParameters[$0.key]) })
                    .min(by: { $0.key < $1.key }) {
                    (index, count) = (reachedIndex, reachedCount)
                }
            }
            let parameter = graph.parameters[plan.gradientParameters[index]]
            let message = "the gradient with respect to '\(parameter.name)' is not a finite number in \(count) of \(particles) particles"
            if let broken {
                throw EngineError(node: broken, site: graph[broken].site,
                                  message: message + "; it breaks here, where the derivative is infinite or undefined")
            }
            throw EngineError(node: parameter.node, site: graph[parameter.node].site, message: message)
        }
    }
}

/// What was invalid in some particles.
enum FailureKind {
    /// A distribution's parameter.
    case parameter(ParameterProblem)
    /// A traced index into a list of `count`.
    case index(count: Int)
    /// Particles still running a loop of random length after the last
    /// iteration traced: its row in ``Graph/loops`` (the limit, or the
    /// error that stopped its tracing).
    case loopLimit(loop: Int)
    /// A loop's iterations would need more memory than the limit.
    case loopMemory(Int)

    func message(value: Double, count: Int, of total: Int) -> String {
        switch self {
        case .parameter(let problem): return problem.message(got: value, count: count, of: total)
        case .index(let size):
            return "an index must be a whole number from -\(size) to \(size - 1) for a list of \(size) (got \(formatNumber(value)) in \(count) of \(total) particles)"
        case .loopLimit:
            // Worded in check(plan:graph:particles:), which has the loop.
            return "\(count) of \(total) particles were still running this loop"
        case .loopMemory(let limit):
            return "the iterations of this loop need more than \(limit >> 20) MiB per thread to run to the end (raise the limit with --max-memory, or lower the loop limit)"
        }
    }
}
