// Results.swift — what inference shows: gradients, particle clouds,
// histograms, explanations and optimisations. The output layer renders
// each as text (TextOutput.swift, Charts.swift) and as JSON Lines (JSONLines.swift).

import Foundation
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
    /// Why that estimator was chosen, as the analysis and the pilot found it.
    public var clauses: [ReasonClause]
    /// For a second derivative (`hessian`, `hvp`): the estimator its
    /// first-order contribution was written with ("pathwise", "score"; "none"
    /// where no direction moves the node); `estimator` and `clauses` are then
    /// the second order's.
    public var firstOrder: String?
    /// How many draws of the run it stands for: 1, or for a draw of a
    /// repeating loop's template, it and the iterations after it that the
    /// loop may run (``LoopRepetition``).
    public var repeats = 1

    /// The estimator at each order: "pathwise", or "pathwise, then score".
    public var orders: String { firstOrder.map { "\($0), then \(estimator)" } ?? estimator }

    /// Why, in words (explain, JSON and the notebook show it whole).
    public var reason: String { ReasonWords.sentence(clauses) }

    /// Why, in at most ten words, for `grad`'s table.
    public var brief: String { ReasonWords.brief(clauses) }
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
    /// Under antithetic sampling: which draws are paired and which draw
    /// independent numbers in both halves (nil under iid sampling).
    public var sampling: String? = nil
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
    /// "gradient", or "hvp" for a Hessian-vector product (JSON's kind).
    public var kind = "gradient"
    /// Per entry: its component in its error source, when not its own
    /// position (a Hessian's row takes entries below the diagonal from
    /// earlier rows' runs).
    var components: [Int] = []
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
        let component = components.indices.contains(entry) ? components[entry] : entry
        return Estimate(value: value, source: source, component: source.dimension == 1 ? 0 : component)
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
    /// Where `histogram`'s bins lie (for a one-line summary: min to max).
    public var bins: HistogramBins? = nil
    /// True for `hist` of a list of numbers (data, not particles).
    public var isData = false
}

/// A histogram's bins: `count` bins of `width` from `start`.
public struct HistogramBins: Sendable, Equatable {
    public var start: Double
    public var width: Double
    public var count: Int
    /// True when every value is a whole number: bins are whole numbers wide
    /// and labelled by their first value.
    public var isIntegral: Bool

    /// About `target` bins covering `low...high`, with round edges: the
    /// width is 1, 2, 2.5 or 5 times a power of ten (a whole number for
    /// whole-number values, at least 1, so a coin shows two bars).
    public init(low: Double, high: Double, target: Int, integral: Bool) {
        isIntegral = integral
        let span = high - low
        guard span.isFinite, span > 0 else {
            width = integral ? 1 : (abs(low) > 0 ? abs(low) / 10 : 1)
            start = integral ? low : low - width / 2
            count = 1
            return
        }
        let raw = span / Double(max(1, target))
        let power = pow(10, (log10(raw)).rounded(.down))
        let steps: [Double] = [1, 2, 2.5, 5, 10]
        var chosen = (steps.first { $0 * power >= raw } ?? 10) * power
        if integral {
            // 2.5 is no whole number: take 2 (and 25 for 0.25·10², and so on).
            if chosen > 1 && chosen != chosen.rounded() { chosen = chosen.rounded(.down) }
            chosen = max(1, chosen.rounded(.up))
        }
        // Whole-number values start their own bins; others start at a
        // multiple of the width.
        let origin = integral ? low : (low / chosen).rounded(.down) * chosen
        // Bins are half-open, [edge, edge + width): the largest value needs
        // a bin of its own when it falls on an edge.
        let bins = ((high - origin) / chosen).rounded(.down)
        guard chosen > 0, chosen.isFinite, origin.isFinite, bins.isFinite,
              (origin + (min(9_999, max(0, bins)) + 1) * chosen).isFinite else {
            // Values at the ends of the doubles (or a span below the
            // smallest step): one bin holds them all.
            width = span.isFinite && span > 0 ? span : 1
            start = low
            count = 1
            return
        }
        width = chosen
        start = origin
        count = Int(min(9_999, max(0, bins))) + 1
    }

    /// Where the bins end.
    public var end: Double { start + Double(count) * width }

    /// The bin of a value (values outside go to the first or last).
    public func index(of value: Double) -> Int {
        // A value on an edge belongs to the bin it starts, also when
        // rounding puts it a hair below (0.25 − 0.1 is 0.1499...).
        let position = (value - start) / width + 1e-9
        return Int(max(0, min(Double(count - 1), position.rounded(.down))))
    }

    /// Decimal places that tell the edges apart.
    public var decimals: Int {
        if isIntegral { return 0 }
        var places = 0
        while places < 12 {
            let scaled = width * pow(10, Double(places))
            if scaled >= 1 - 1e-9 && abs(scaled - scaled.rounded()) < 1e-9 * scaled { break }
            places += 1
        }
        return places
    }

    /// The label of the bin's first edge, to `decimals` places.
    public func label(_ index: Int) -> String {
        let edge = start + Double(index) * width
        // Far from 1, fixed decimals would print hundreds of digits.
        if abs(edge) >= 1e15 || decimals > 9 { return formatNumber(edge) }
        return String(format: "%.\(decimals)f", abs(edge) < width * 1e-9 ? 0 : edge)
    }
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
    /// Its standard error at every step (the loss curve's band).
    public var trajectoryStderr: [Double] = []
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
