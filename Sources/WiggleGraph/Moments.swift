// Moments.swift — running mean and variance, merged in a fixed order.

/// Count, mean and sum of squared deviations of a stream of numbers; two
/// of them merge exactly (Chan et al.), so chunks can be summarised apart
/// and combined in chunk order, whatever thread computed them.
public struct Moments: Sendable, Equatable {
    public private(set) var count: Double = 0
    public private(set) var mean: Double = 0
    public private(set) var m2: Double = 0

    public init() {}

    /// Adds `n` numbers read from a pointer.
    @inlinable
    public mutating func add(_ values: UnsafePointer<Double>, count n: Int) {
        guard n > 0 else { return }
        var sum = 0.0
        for i in 0..<n { sum += values[i] }
        let chunkMean = sum / Double(n)
        var squares = 0.0
        for i in 0..<n {
            let d = values[i] - chunkMean
            squares += d * d
        }
        merge(count: Double(n), mean: chunkMean, m2: squares)
    }

    /// Adds one number.
    public mutating func add(_ value: Double) {
        merge(count: 1, mean: value, m2: 0)
    }

    /// Merges another summary into this one.
    public mutating func merge(_ other: Moments) {
        merge(count: other.count, mean: other.mean, m2: other.m2)
    }

    @usableFromInline
    mutating func merge(count n: Double, mean otherMean: Double, m2 otherM2: Double) {
        guard n > 0 else { return }
        if count == 0 {
            count = n
            mean = otherMean
            m2 = otherM2
            return
        }
        let total = count + n
        let delta = otherMean - mean
        mean += delta * n / total
        m2 += otherM2 + delta * delta * count * n / total
        count = total
    }

    /// The sample variance (n - 1 in the denominator).
    public var variance: Double { count > 1 ? m2 / (count - 1) : 0 }

    /// The sample standard deviation.
    public var standardDeviation: Double { variance.squareRoot() }

    /// The standard error of the mean.
    public var standardError: Double { count > 0 ? (variance / count).squareRoot() : 0 }
}
