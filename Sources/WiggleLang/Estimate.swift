// Estimate.swift — a Monte Carlo estimate as a value: a number and, to first
// order, how its error depends on the runs that produced it.
//
// Each `E[...]` and each `grad(...)` is one source of error: its estimates
// are means over particles, with a covariance matrix the engine summed
// (1 × 1 for an expectation, k × k for a gradient of k components). Sources
// are independent of each other, since every call draws afresh. An estimate
// keeps, per source it depends on, the weights of the linear combination of
// that source's components it is to first order; arithmetic moves the
// weights by the chain rule (the delta method). So `e - e` is 0 ± 0, and
// `g["a"] - g["b"]` counts the covariance of the two components.

import WiggleGraph

/// One run's estimates, with their covariance.
public final class ErrorSource: Sendable {
    /// The covariance matrix of the run's estimates, row by row.
    let covariance: [Double]
    /// How many estimates the run made.
    let dimension: Int
    /// For one component of a gradient whose covariance was not summed:
    /// the gradient, shared by its components' sources.
    let gradient: ErrorSource?

    init(covariance: [Double], dimension: Int, gradient: ErrorSource? = nil) {
        self.covariance = covariance
        self.dimension = dimension
        self.gradient = gradient
    }

    /// One estimate with standard error `stderr`.
    convenience init(stderr: Double, gradient: ErrorSource? = nil) {
        self.init(covariance: [stderr * stderr], dimension: 1, gradient: gradient)
    }
}

/// A number estimated by Monte Carlo, with its standard error.
public struct Estimate: Sendable {
    /// The estimate.
    public var value: Double
    /// Per source: the weights of its components in this estimate's error.
    var terms: [(source: ErrorSource, weights: [Double])]
    /// True when it depends on two components of a gradient whose covariance
    /// was not summed (too many components): its error takes them as independent.
    public var assumesIndependence = false

    /// An estimate that is a run's `component`-th estimate.
    init(value: Double, source: ErrorSource, component: Int = 0) {
        self.value = value
        var weights = [Double](repeating: 0, count: source.dimension)
        if weights.indices.contains(component) { weights[component] = 1 }
        terms = [(source, weights)]
    }

    /// An estimate with no error (an exact value).
    init(exact value: Double) {
        self.value = value
        terms = []
    }

    /// An estimate from a run of its own, with standard error `stderr`.
    /// An error at the level of rounding (a mean of equal particles) is 0.
    init(value: Double, stderr: Double) {
        self = stderr > 1e-12 * Swift.abs(value)
            ? Estimate(value: value, source: ErrorSource(stderr: stderr)) : Estimate(exact: value)
    }

    /// The standard error, to first order: √(Σ wᵀ C w) over the sources.
    public var stderr: Double {
        var variance = 0.0
        for (source, weights) in terms {
            let k = source.dimension
            for i in 0..<k where weights[i] != 0 {
                for j in 0..<k where weights[j] != 0 {
                    variance += weights[i] * source.covariance[i * k + j] * weights[j]
                }
            }
        }
        return Swift.max(0, variance).squareRoot()
    }

    /// `f(self)` with derivative `slope` at the value.
    func mapped(to value: Double, slope: Double) -> Estimate {
        var result = self
        result.value = value
        result.terms = terms.map { ($0.source, $0.weights.map { $0 * slope }) }
        return result
    }

    /// `f(a, b)` with partial derivatives `da`, `db` at the values: weights
    /// on a source both depend on are added.
    static func combined(_ a: Estimate, _ b: Estimate, to value: Double, _ da: Double, _ db: Double) -> Estimate {
        var result = a.mapped(to: value, slope: da)
        result.assumesIndependence = a.assumesIndependence || b.assumesIndependence
        for (source, weights) in b.terms {
            let scaled = weights.map { $0 * db }
            if let index = result.terms.firstIndex(where: { $0.source === source }) {
                for i in scaled.indices { result.terms[index].weights[i] += scaled[i] }
            } else {
                if let gradient = source.gradient, result.terms.contains(where: { $0.source.gradient === gradient }) {
                    result.assumesIndependence = true
                }
                result.terms.append((source, scaled))
            }
        }
        return result
    }

    /// The sum of several estimates, in one pass (weights on one source added).
    static func sum(_ items: [Estimate]) -> Estimate {
        var result = Estimate(exact: items.reduce(0) { $0 + $1.value })
        var position: [ObjectIdentifier: Int] = [:]
        var gradients = Set<ObjectIdentifier>()
        for item in items {
            result.assumesIndependence = result.assumesIndependence || item.assumesIndependence
            for (source, weights) in item.terms {
                if let index = position[ObjectIdentifier(source)] {
                    for i in weights.indices { result.terms[index].weights[i] += weights[i] }
                    continue
                }
                if let gradient = source.gradient, !gradients.insert(ObjectIdentifier(gradient)).inserted {
                    result.assumesIndependence = true
                }
                position[ObjectIdentifier(source)] = result.terms.count
                result.terms.append((source, weights))
            }
        }
        return result
    }
}
