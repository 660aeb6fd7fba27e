// IDs.swift — the names the graph uses for what lives in higher layers: a
// distribution's place in the distribution registry and an estimator's in
// the estimator table (WiggleDistributions holds both tables).

/// A distribution's index in the registry.
public struct DistributionID: Hashable, Sendable, Comparable {
    /// The position in the registry.
    public let index: Int32

    /// The ID at `index`.
    public init(_ index: Int) { self.index = Int32(truncatingIfNeeded: index) }

    public static func < (a: DistributionID, b: DistributionID) -> Bool { a.index < b.index }

    /// `normal(mu, sigma)`.
    public static let normal = DistributionID(0)
    /// `bernoulli(p)`.
    public static let bernoulli = DistributionID(1)
}

/// An estimator's place in the table: what a node records and an
/// instruction carries (one byte).
public struct Estimator: Hashable, Sendable {
    /// The position in the estimator table (WiggleDistributions' `EstimatorRegistry`).
    public let index: UInt8

    /// The estimator at `index` of the table.
    public init(index: UInt8) { self.index = index }

    /// Reparametrised: x = mean + sd·ε, differentiated along the path.
    public static let pathwise = Estimator(index: 0)
    /// REINFORCE: ∇log p(x) times the downstream cost minus a baseline.
    public static let score = Estimator(index: 1)
    /// The exact k-point derivative of a finite distribution, `@exact`.
    public static let exact = Estimator(index: 2)
    /// The measure-valued derivative, `@mvd`.
    public static let mvd = Estimator(index: 3)
    /// Stochastic triples with pruning, `@triple`: each particle carries
    /// one alternative path where a flip of a discrete draw would move it.
    public static let triple = Estimator(index: 4)
}
