// Inference.swift — the results of E[...], grad(...) and random displays.

import WiggleGraph

/// One random node's estimator, as grad and explain report it.
public struct EstimatorReport: Sendable {
    /// The name the node was bound to, or `normal@3:5`.
    public var node: String
    public var file: String
    public var line: Int
    public var column: Int
    public var distribution: String
    public var estimator: String
    public var reason: String
}

/// The gradient of an expectation with respect to some parameters.
public struct GradientResult: Sendable {
    /// Per parameter: its name, the estimate and its standard error.
    public var entries: [(name: String, value: Double, stderr: Double)]
    /// The objective's estimate and standard error at the same particles.
    public var objective: (value: Double, stderr: Double)
    /// The estimator of each random node the objective depends on.
    public var estimators: [EstimatorReport]
    /// Where the gradient may be biased, in words.
    public var warnings: [WarningReport]
}

/// A warning about a result, with the place it is about.
public struct WarningReport: Sendable {
    public var message: String
    public var file: String
    public var line: Int
    public var column: Int
}

/// A random value's particle cloud, summarised.
public struct CloudSummary: Sendable {
    public var mean: Double
    public var stderr: Double
    public var sd: Double
    public var min: Double
    public var max: Double
    /// Counts per equal-width bin between min and max.
    public var histogram: [Int]
    public var particles: Int
    /// True for `hist(e)`: a full histogram rather than a one-line summary.
    public var isHistogram: Bool
}

/// The result of minimize / maximize.
public struct OptimisationResult: Sendable {
    /// "minimize" or "maximize".
    public var direction: String
    /// "adam" or "sgd".
    public var optimizer: String
    public var learningRate: Double
    /// The final objective estimate and its standard error.
    public var objective: (value: Double, stderr: Double)
    /// The parameters optimised, with the values reached.
    public var parameters: [(name: String, value: Double)]
    /// Steps taken, and steps asked for.
    public var steps: Int
    public var requestedSteps: Int
    /// The objective's estimate at every step.
    public var trajectory: [Double]
    /// True when Ctrl-C stopped it early.
    public var interrupted: Bool
    /// Wall-clock seconds.
    public var seconds: Double
    /// Where the gradient that drove it may be biased.
    public var warnings: [WarningReport] = []
}

/// How an optimisation is going, reported after every step.
public struct OptimisationProgress: Sendable {
    public var direction: String
    public var step: Int
    public var steps: Int
    public var objective: Double
    public var stderr: Double
    public var seconds: Double
}
