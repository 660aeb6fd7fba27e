// Settings.swift — what `set(...)` and the command line control.

import Foundation
import WiggleGraph
import WiggleSyntax

/// Run settings: particles, seed and the limits that keep a run from running away.
public struct Settings: Sendable {
    /// Particles per estimate.
    public var particles = 10_000
    /// The seed every random stream derives from.
    public var seed: UInt64 = 0
    /// Calls that may be in progress at once (runaway recursion stops here).
    public var maxCallDepth = 2_000
    /// The most elements one list may hold.
    public var maxListLength = 10_000_000
    /// The most nodes the traced graph may hold.
    public var maxGraphNodes = 5_000_000
    /// The most memory (MiB) one engine worker's buffers may take.
    public var maxMemoryMB = 1024
    /// Worker threads for the particle engine (results do not depend on it).
    public var threads = Runner.cores
    /// The most iterations a loop of random length may run; particles still
    /// running after them are an error, never a silent truncation.
    public var loopLimit = 1_000
    /// The largest loop limit accepted (each iteration is traced).
    public static let maxLoopLimit = 1_000_000
    /// How the particles' numbers are drawn: independently, in antithetic
    /// pairs, or as scrambled Sobol' points.
    public var sampling = Sampling.iid
    /// Under randomised QMC: independent randomisations (at least 2).
    public var replicates = 16
    /// The most replicates accepted.
    public static let maxReplicates = 1024

    /// Settings the command line gave (`seed`, `particles`, `threads`): a
    /// program's `set(...)` does not change them, and says so once.
    public var fixedByCommandLine: Set<String> = []

    /// The settings as `set(...)` takes them.
    public var summary: String {
        "seed = \(seed), particles = \(particles), threads = \(threads), loop_limit = \(loopLimit)"
            + (sampling == .iid ? "" : ", sampling = \"\(sampling.rawValue)\"")
            + (sampling == .rqmc ? ", replicates = \(replicates)" : "")
    }

    /// `wiggle check`: run the program to find its errors, with every
    /// estimate on `checkParticles` particles and every optimisation for one step.
    public var checkWithFewParticles = false
    /// Particles per estimate under `wiggle check`.
    public static let checkParticles = 32

    /// How deeply lists may nest (their display, comparison and release recurse).
    public static let maxListNesting = 1_000

    /// The graph is collected (nodes no value reaches are freed) when it has
    /// this many nodes and twice as many as after the last collection.
    public var collectionThreshold = 50_000

    /// The largest particle count accepted.
    public static let maxParticles = 100_000_000
    /// Particles per step of minimize and maximize unless `particles =`
    /// says otherwise (or the session has fewer): an optimiser needs a cheap
    /// noisy gradient, not a precise one. The objective reached is still
    /// estimated with the session's particle count.
    public static let optimisationParticles = 1_000

    /// In the REPL and the Jupyter kernel, `param` may name a parameter
    /// again to set its value and bounds (a cell run twice); in a file it is
    /// an error, as a second declaration there is a mistake.
    public var parametersCanBeRedeclared = false

    /// Default settings.
    public init() {}
}

extension Settings {
    /// What the executor needs of the settings.
    var executorOptions: Executor.Options {
        var options = Executor.Options(particles: particles, seed: seed, threads: threads, maxWorkspaceBytes: maxMemoryMB << 20,
                                       fewParticles: checkWithFewParticles ? Settings.checkParticles : nil)
        options.sampling = sampling
        options.replicates = replicates
        return options
    }
}

extension Sampling {
    /// The sampling named `name`, or why not, in words (with a "did you mean").
    public static func named(_ name: String) -> Result<Sampling, SamplingNameError> {
        if let sampling = Sampling(rawValue: name) { return .success(sampling) }
        let names = Sampling.allCases.map(\.rawValue)
        let hint = Spelling.closest(to: name, among: names).map { "; did you mean \"\($0)\"?" } ?? ""
        return .failure(SamplingNameError(message: "unknown sampling \"\(name)\" (it is one of \(names.map { "\"\($0)\"" }.joined(separator: ", ")))\(hint)"))
    }
}

/// Why a sampling's name was refused.
public struct SamplingNameError: Error, Sendable {
    public var message: String
}

extension Settings {
    /// Under randomised QMC, when the particles do not share out into the
    /// replicates as powers of two: what is used instead, in words.
    public var quasiRounding: String? {
        guard sampling == .rqmc, !checkWithFewParticles else { return nil }
        let points = Executor.pointsPerReplicate(particles: particles, replicates: replicates)
        guard points * replicates != particles else { return nil }
        return "sampling = \"rqmc\": \(replicates) replicates of \(points) point\(points == 1 ? "" : "s") each (\(points * replicates) particles) for particles = \(particles); each replicate is a scrambled Sobol' net of a power-of-two size"
    }
}
