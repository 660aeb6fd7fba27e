// Results.swift — what inference shows: gradients, particle clouds,
// histograms, explanations and optimisations. The output layer renders
// each as text (TextOutput.swift, Charts.swift) and as JSON Lines (JSONLines.swift).

import WiggleGraph
import WiggleSyntax

/// One random node's estimator, as grad and explain report it.
public struct EstimatorReport: Sendable {
    /// The name the node was bound to, or `normal@3:5`.
    public var node: String
    /// The file the node was made in.
    public var file: String
    /// The node's line.
    public var line: Int
    /// The node's column.
    public var column: Int
    /// The distribution's name: "normal", "bernoulli", ...
    public var distribution: String
    /// "pathwise", "score", "exact", or "pathwise+score" (split by term).
    public var estimator: String
    /// The estimator in words: "score function", "exact 2-point derivative".
    public var method: String
    /// Why that estimator was chosen, in words.
    public var reason: String
}

/// A result of inference that is shown rather than computed with: what
/// `hist`, `explain`, `minimize` and the display of a random value give.
public enum Report: Sendable {
    /// A random value's particle cloud (`hist(e)` sets its `isHistogram`).
    case cloud(CloudSummary)
    /// `explain(e)`: the traced graph and each random node's estimator.
    case explanation(Explanation)
    /// minimize / maximize.
    case optimisation(OptimisationResult)
}

/// What `explain(e)` found: the traced graph as a listing, the estimator of
/// each random node, and where a gradient would be biased.
public struct Explanation: Sendable {
    /// The graph, jaxpr-style.
    public var graph: String
    /// Each random node's estimator and why.
    public var estimators: [EstimatorReport]
    /// Where a gradient would be biased.
    public var warnings: [Diagnostic]
}

/// The gradient of an expectation with respect to some parameters.
public struct GradientResult: Sendable {
    /// Per parameter: its name, the estimate and its standard error, and
    /// why the estimate is biased when it is ("misses the jump at line 7").
    public var entries: [(name: String, value: Double, stderr: Double, bias: String?)]
    /// The objective's estimate and standard error at the same particles.
    public var objective: (value: Double, stderr: Double)
    /// The estimator of each random node the objective depends on.
    public var estimators: [EstimatorReport]
    /// Where the gradient may be biased (diagnostics of severity warning).
    public var warnings: [Diagnostic]
    /// Per entry: the index of its parameter in the graph.
    var parameters: [Int] = []
    /// True when the gradient was taken with respect to every parameter the
    /// objective reads (no `wrt`): any other parameter's component is 0.
    var isExhaustive = true
    /// Per entry: the run its error comes from. One source with the
    /// components' covariance, or (beyond `EngineResult.maxCovarianceParameters`
    /// components) one per component, taken to be independent.
    var errorSources: [ErrorSource] = []

    /// True when arithmetic treats the components as independent.
    public var assumesIndependence: Bool {
        errorSources.contains { $0.gradient != nil }
    }

    /// The entry's estimate, its error tied to the run's other components.
    func estimate(_ entry: Int) -> Estimate {
        let (value, stderr) = (entries[entry].value, entries[entry].stderr)
        guard errorSources.indices.contains(entry), stderr > 0 else { return Estimate(exact: value) }
        let source = errorSources[entry]
        return Estimate(value: value, source: source, component: source.dimension == 1 ? 0 : entry)
    }
}

/// A random value's particle cloud, summarised.
public struct CloudSummary: Sendable {
    /// The particles' mean.
    public var mean: Double
    /// The standard error of the mean.
    public var stderr: Double
    /// The particles' standard deviation.
    public var sd: Double
    /// The smallest particle.
    public var min: Double
    /// The largest particle.
    public var max: Double
    /// Counts per equal-width bin between min and max.
    public var histogram: [Int]
    /// How many particles were drawn.
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
    /// The step size used.
    public var learningRate: Double
    /// The final objective estimate and its standard error.
    public var objective: (value: Double, stderr: Double)
    /// The parameters optimised, with the values reached.
    public var parameters: [(name: String, value: Double)]
    /// Steps taken, and steps asked for.
    public var steps: Int
    /// Steps asked for (more than `steps` when interrupted).
    public var requestedSteps: Int
    /// The objective's estimate at every step.
    public var trajectory: [Double]
    /// True when Ctrl-C stopped it early.
    public var interrupted: Bool
    /// Wall-clock seconds.
    public var seconds: Double
    /// Where the gradient that drove it may be biased.
    public var warnings: [Diagnostic] = []
}

/// How an optimisation is going, reported after every step.
public struct OptimisationProgress: Sendable {
    /// "minimize" or "maximize".
    public var direction: String
    /// The step just taken, counting from 1.
    public var step: Int
    /// Steps asked for in all.
    public var steps: Int
    /// The objective's estimate at this step.
    public var objective: Double
    /// Its standard error.
    public var stderr: Double
    /// Wall-clock seconds since the optimisation started.
    public var seconds: Double
}
