// Moments.swift — running mean and variance, merged in a fixed order.

import WiggleCore

/// Count, mean and sum of squared deviations of a stream of numbers; two
/// of them merge exactly (Chan et al.), so chunks can be summarised apart
/// and combined in chunk order, whatever thread computed them.
public struct Moments: Sendable, Equatable {
    /// How many numbers were added.
    public private(set) var count: Double = 0
    /// Their mean.
    public private(set) var mean: Double = 0
    /// The sum of squared deviations from the mean.
    public private(set) var m2: Double = 0

    public init() {}

    /// Adds `n` numbers read from a pointer. Returns false, adding nothing,
    /// when one of them is not finite.
    @inlinable @discardableResult
    public mutating func add(_ values: UnsafePointer<Double>, count n: Int) -> Bool {
        guard n > 0 else { return true }
        var chunkMean = Moments.sum(values, count: n) / Double(n)
        if !chunkMean.isFinite {
            // A nan or inf, or a sum that overflowed (values near the largest
            // double): tell them apart, and divide first in the second case.
            for i in 0..<n where !values[i].isFinite { return false }
            chunkMean = 0
            for i in 0..<n { chunkMean += values[i] / Double(n) }
        }
        // Four independent accumulators: floating-point sums do not reorder
        // themselves, and one serial chain would wait on every add.
        var q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0
        var i = 0
        while i + 4 <= n {
            let d0 = values[i] - chunkMean, d1 = values[i + 1] - chunkMean
            let d2 = values[i + 2] - chunkMean, d3 = values[i + 3] - chunkMean
            q0 += d0 * d0; q1 += d1 * d1; q2 += d2 * d2; q3 += d3 * d3
            i += 4
        }
        while i < n {
            let d = values[i] - chunkMean
            q0 += d * d
            i += 1
        }
        merge(count: Double(n), mean: chunkMean, m2: (q0 + q1) + (q2 + q3))
        return true
    }

    /// The sum of `n` numbers, with four accumulators (in a fixed order, so
    /// the result does not depend on anything but the numbers).
    @inlinable
    public static func sum(_ values: UnsafePointer<Double>, count n: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i + 4 <= n {
            s0 += values[i]; s1 += values[i + 1]; s2 += values[i + 2]; s3 += values[i + 3]
            i += 4
        }
        while i < n {
            s0 += values[i]
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// Adds `n` zeros.
    public mutating func addZeros(_ n: Int) {
        merge(count: Double(n), mean: 0, m2: 0)
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
