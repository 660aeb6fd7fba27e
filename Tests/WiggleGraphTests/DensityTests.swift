import Foundation
import Testing
@testable import WiggleGraph

/// Each distribution's log-density is written once (generic over
/// ``DensityScalar``); these tests check that one definition against the
/// rest of what the distribution says: that it is a density (it integrates
/// or sums to 1), and that the score function it uses is its derivative.
@Suite struct DensityTests {
    /// Valid parameters for each builtin distribution, two sets each.
    static let parameterSets: [String: [[Double]]] = [
        "normal": [[0.3, 1.7], [-2, 0.4]],
        "bernoulli": [[0.3], [0.85]],
        "uniform": [[-1, 2.5], [0.2, 0.3]],
        "exponential": [[0.7], [3]],
        "gamma": [[2.5, 1.5], [0.6, 0.8]],
        "beta": [[2, 3], [0.7, 1.6]],
        "poisson": [[3.5], [0.4]],
        "categorical": [[0.2, 0.5, 0.3], [0.05, 0.95]],
        "lognormal": [[0.2, 0.5], [-1, 1.2]],
        "student_t": [[4, 0.5, 1.5], [1.3, -1, 0.7]],
    ]

    /// ∫ exp(log p(x)) dx over the support (a fine midpoint rule after
    /// substituting x = c + s·tan(u) on the real line, x = s·u/(1 − u) on
    /// the positive reals), or Σ p(k) over the outcomes.
    func total(_ d: any Distribution, _ p: [Double]) -> Double {
        let n = 400_000
        func density(_ x: Double) -> Double { exp(d.logDensity(x, parameters: p)) }
        switch d.support {
        case .binary, .categories:
            return d.outcomes(parameterCount: p.count).reduce(0) { $0 + density($1) }
        case .naturalNumbers:
            return (0..<200).reduce(0) { $0 + density(Double($1)) }
        case .unitInterval, .interval:
            let (a, b) = d.support == .unitInterval ? (0.0, 1.0) : (p[0], p[1])
            // x = a + (b − a)(1 − cos πu)/2 clusters points at the ends, where
            // a beta density may be unbounded.
            var sum = 0.0
            for i in 0..<n {
                let u = (Double(i) + 0.5) / Double(n)
                let x = a + (b - a) * (1 - cos(Double.pi * u)) / 2
                sum += density(x) * (b - a) * Double.pi * sin(Double.pi * u) / 2
            }
            return sum / Double(n)
        case .positive:
            var sum = 0.0
            for i in 0..<n {
                let u = (Double(i) + 0.5) / Double(n)
                let v = u * u * u  // clusters points near 0, where a gamma may be unbounded
                let x = v / (1 - v)
                sum += density(x) * 3 * u * u / ((1 - v) * (1 - v))
            }
            return sum / Double(n)
        case .realLine:
            var sum = 0.0
            for i in 0..<n {
                let u = -Double.pi / 2 + Double.pi * (Double(i) + 0.5) / Double(n)
                let x = tan(u)
                sum += density(x) * (1 + x * x)
            }
            return sum * Double.pi / Double(n)
        }
    }

    @Test(arguments: DistributionRegistry.builtins.map(\.name))
    func theLogDensityIsADensity(_ name: String) throws {
        let d = try #require(DistributionRegistry.builtins.first { $0.name == name })
        let sets = try #require(DensityTests.parameterSets[name], "give \(name) parameters to test with")
        for p in sets {
            // Heavy or unbounded ends leave the quadrature ~1e-4 short at worst.
            #expect(abs(total(d, p) - 1) < 2e-4, "\(name)\(p)")
        }
    }

    /// The score function each distribution runs (hand-fused or derived)
    /// adds w · ∂log p(x | θ)/∂θᵢ, with the derivative of its own
    /// log-density (in dual numbers), for draws from it.
    @Test(arguments: DistributionRegistry.builtins.filter { $0.admits(.score) }.map(\.name))
    func theScoreIsTheLogDensitysDerivative(_ name: String) throws {
        let d = try #require(DistributionRegistry.builtins.first { $0.name == name })
        let sets = try #require(DensityTests.parameterSets[name])
        for p in sets {
            let m = 64, k = p.count
            // Rows: the draws, then each parameter's values, then adjoints.
            let values = UnsafeMutablePointer<Double>.allocate(capacity: (k + 1) * m)
            let adjoints = UnsafeMutablePointer<Double>.allocate(capacity: (k + 1) * m)
            let weights = UnsafeMutablePointer<Double>.allocate(capacity: m)
            defer { values.deallocate(); adjoints.deallocate(); weights.deallocate() }
            for i in 0..<k { for l in 0..<m { values[(i + 1) * m + l] = p[i] } }
            adjoints.initialize(repeating: 0, count: (k + 1) * m)
            for l in 0..<m { weights[l] = 1 + Double(l % 3) }
            let slots = (1...k).map { Int32($0) }
            let carries = [Bool](repeating: true, count: k)
            try slots.withUnsafeBufferPointer { slots in
                try carries.withUnsafeBufferPointer { carries in
                    let call = RandomCall(count: m, output: values, values: values, adjoints: adjoints, stride: m,
                                          slots: slots.baseAddress!, carries: carries.baseAddress!, parameterCount: k)
                    let streams = ParticleStreams(seed: 11, draw: 0, address: 3, first: 0)
                    #expect(d.sample(call, streams: streams) == nil)
                    d.addScore(call, weights: weights)
                    for i in 0..<k {
                        for l in 0..<m {
                            let exact = weights[l] * d.logDensityDerivative(values[l], parameters: p, in: i)
                            let got = adjoints[(i + 1) * m + l]
                            #expect(abs(got - exact) <= 1e-9 * max(1, abs(exact)), "\(name)\(p) ∂/∂θ\(i) at x = \(values[l])")
                            _ = try #require(exact.isFinite)
                        }
                    }
                }
            }
        }
    }

    /// The number, in doubles, and the closed forms people know.
    @Test func numbersAgainstClosedForms() {
        func lp(_ name: String, _ x: Double, _ p: [Double]) -> Double {
            DistributionRegistry.builtins.first { $0.name == name }?.logDensity(x, parameters: p) ?? .nan
        }
        #expect(abs(lp("normal", 1, [0, 2]) - (-0.125 - log(2) - 0.5 * log(2 * .pi))) < 1e-15)
        #expect(abs(lp("lognormal", 2, [0, 1]) - (-0.5 * log(2) * log(2) - log(2) - 0.5 * log(2 * .pi))) < 1e-15)
        // The t with one degree of freedom is the Cauchy distribution.
        #expect(abs(lp("student_t", 1.5, [1, 0.5, 2]) - log(1 / (.pi * 2 * (1 + 0.25)))) < 1e-14)
        // Far in the tail, where z² overflows: the Cauchy's −log π − 2 log x.
        #expect(abs(lp("student_t", 1e300, [1, 0, 1]) - (-log(Double.pi) - 2 * log(1e300))) < 1e-12 * 1400)
        #expect(lp("lognormal", 0, [0, 1]) == -.infinity)
        #expect(lp("lognormal", -1, [0, 1]) == -.infinity)
        #expect(lp("uniform", 2, [0, 2]) == -.infinity)
        #expect(lp("exponential", 0, [2]) == log(2))
        #expect(lp("gamma", 0, [1, 2]) == log(2))
        #expect(lp("gamma", 0, [2, 2]) == -.infinity)
        #expect(lp("gamma", 0, [0.5, 2]) == .infinity)
        #expect(lp("bernoulli", 2, [0.3]) == -.infinity)
        #expect(lp("poisson", 2.5, [1]) == -.infinity)
        #expect(lp("categorical", 3, [0.5, 0.5]) == -.infinity)
    }
}
