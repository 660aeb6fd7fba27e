// Normal.swift — normal(mu, sigma): reparametrised as x = mu + sigma·z; its
// measure-valued derivative is the Weibull pair for the mean and the
// Maxwell pair for sigma.

import Foundation
import WiggleCore

/// The normal distribution with mean `mu` and standard deviation `sigma`.
public struct Normal: Distribution, SufficientStatistics {
    public init() {}

    public var name: String { "normal" }
    public var parameterNames: [String] { ["mu", "sigma"] }
    public var support: Support { .realLine }
    public var estimators: [Estimator] { [.pathwise, .score, .mvd] }

    /// sigma must be a positive finite number.
    public static let invalidSigma = ParameterProblem("sigma", "must be > 0")
    /// mu must be finite.
    public static let invalidMean = ParameterProblem("the mean of a normal", "must be a finite number")

    public func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        if index == 0 { return value.isFinite ? nil : Normal.invalidMean }
        return value > 0 && value < .infinity ? nil : Normal.invalidSigma
    }

    /// x = mean + sd · z, with z from each particle's own stream: first the
    /// draws, then the arithmetic and the checks (plain loops that vectorise).
    public func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? {
        let m = call.count, o = call.output
        let mean = call.parameter(0), sd = call.parameter(1)
        Ziggurat.fill(o, count: m, streams: streams)
        if m > 0 && call.isUniform(0) && call.isUniform(1) {
            // One mean and one sd for every lane: held in registers, the same arithmetic.
            let mu = mean[0], sigma = sd[0]
            for l in 0..<m { o[l] = mu + sigma * o[l] }
        } else {
            for l in 0..<m { o[l] = mean[l] + sd[l] * o[l] }
        }
        return checkParameters(call)
    }

    /// The lanes' parameters: nil when every sd is positive and finite and
    /// every mean finite, else the first lane's problem and how many share it.
    func checkParameters(_ call: RandomCall) -> SampleFailure? {
        let m = call.count
        let mean = call.parameter(0), sd = call.parameter(1)
        // The same mean and sd in every lane: one lane stands for all.
        if m > 0 && call.isUniform(0) && call.isUniform(1) {
            if !(sd[0] > 0 && sd[0] < .infinity) { return SampleFailure(Normal.invalidSigma, value: sd[0], count: m) }
            return mean[0].isFinite ? nil : SampleFailure(Normal.invalidMean, value: mean[0], count: m)
        }
        // Fast check for the whole chunk: the smallest sd is positive and
        // (mean - mean) + (sd - sd) sums to exactly 0 when all are finite.
        // Four lanes at a time into four running pairs, so the loop is not
        // one long chain of dependent adds.
        var smallest = SIMD4<Double>(repeating: .infinity)
        var finite = SIMD4<Double>(repeating: 0)
        var l = 0
        while l + 4 <= m {
            let s = SIMD4(sd[l], sd[l + 1], sd[l + 2], sd[l + 3])
            let u = SIMD4(mean[l], mean[l + 1], mean[l + 2], mean[l + 3])
            smallest = smallest.replacing(with: s, where: s .< smallest)
            finite += (u - u) + (s - s)
            l += 4
        }
        var least = smallest.min(), total = finite.sum()
        for k in l..<m {
            least = sd[k] < least ? sd[k] : least
            total += (mean[k] - mean[k]) + (sd[k] - sd[k])
        }
        if least > 0 && total == 0 { return nil }
        var bad = 0
        for l in 0..<m where !(sd[l] > 0 && sd[l] < .infinity && mean[l].isFinite) { bad += 1 }
        // Name the first lane's problem: a bad sigma counts the bad sigmas.
        for l in 0..<m {
            if !(sd[l] > 0 && sd[l] < .infinity) {
                let count = (0..<m).filter { !(sd[$0] > 0 && sd[$0] < .infinity) }.count
                return SampleFailure(Normal.invalidSigma, value: sd[l], count: count)
            }
            if !mean[l].isFinite { return SampleFailure(Normal.invalidMean, value: mean[l], count: bad) }
        }
        return nil
    }

    /// −z²/2 − log σ − log √(2π), z = (x − μ)/σ.
    public func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S {
        let z = try (x - p[0]) / p[1]
        return try S(-0.5) * z.squared() - (p[1].log() + S(Normal.logRootTwoPi))
    }

    /// log √(2π).
    public static let logRootTwoPi = 0.5 * Foundation.log(2 * Double.pi)

    /// Σᵢ log N(yᵢ; ·, σ) from the sum of squares Σ(yᵢ − μᵢ)² of n data:
    /// the one form both the sufficient statistics and a regression's
    /// centred sums (WiggleLang) reduce to.
    public static func logLikelihood<S: DensityScalar>(squares: S, count n: Double, sigma: S) throws -> S {
        let scaled = try squares / (sigma * sigma)
        return try S(-0.5) * scaled - (S(n) * sigma.log() + S(n * logRootTwoPi))
    }

    /// dx/dmean = 1, dx/dsd = z = (x - mean) / sd.
    public func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>) {
        let m = call.count, o = call.output
        let mean = call.parameter(0), sd = call.parameter(1)
        if let gMean = call.adjoint(0) { for l in 0..<m { gMean[l] += g[l] } }
        if let gSd = call.adjoint(1) { for l in 0..<m { gSd[l] += g[l] * (o[l] - mean[l]) / sd[l] } }
    }

    /// Σᵢ log N(yᵢ; a + b·cᵢ, σ) from centred sums: with u = c − c̄ and
    /// w = y − ȳ, Σ(y − a − bc)² = Σw² − 2bΣuw + b²Σu² + n(ȳ − a − bc̄)²
    /// (the cross terms vanish), so a regression's likelihood is a handful
    /// of nodes whatever the number of points.
    public static func regressionLogLikelihood<S: DensityScalar>(ys: [Double], cs: [Double], a: S, b: S, sigma: S) throws -> S {
        let n = Double(ys.count)
        let cMean = cs.reduce(0, +) / n, yMean = ys.reduce(0, +) / n
        var suu = 0.0, suw = 0.0, sww = 0.0
        for (c, y) in zip(cs, ys) {
            let u = c - cMean, w = y - yMean
            suu += u * u
            suw += u * w
            sww += w * w
        }
        let offset = try S(yMean) - a - b * S(cMean)
        let spread = try S(sww) - S(2 * suw) * b + S(suu) * b.squared()
        return try logLikelihood(squares: spread + S(n) * offset.squared(), count: n, sigma: sigma)
    }

    /// Σ(y − μ)² = Σ(y − ȳ)² + n(ȳ − μ)².
    public func logLikelihood<S: DensityScalar>(of ys: [Double], _ p: [S]) throws -> S {
        let n = Double(ys.count)
        let mean = ys.reduce(0, +) / n
        let spread = ys.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let offset = try S(mean) - p[0]
        return try Normal.logLikelihood(squares: S(spread) + S(n) * offset.squared(), count: n, sigma: p[1])
    }

    /// Worlds 0 and 1 for the mean, 2 and 3 for sigma.
    public var measureValuedWorldCount: Int { 4 }
    public func measureValuedWorlds(parameter index: Int) -> Range<Int> { index == 0 ? 0..<2 : 2..<4 }
    public func measureValuedPairs(worlds: Set<Int>) -> String {
        [worlds.contains(0) ? "Weibull pair for mu" : nil, worlds.contains(2) ? "Maxwell pair for sigma" : nil]
            .compactMap { $0 }.joined(separator: ", ")
    }

    /// ∂N(x; μ, σ)/∂μ = (x − μ)/σ² · N is, split at x = μ and normalised,
    /// 1/(σ√2π) times the difference of two Rayleigh densities: x = μ ± σW
    /// with W ~ Weibull(2, √2), the same W for both (worlds 0 and 1).
    /// ∂N/∂σ = (z² − 1)/σ · N is 1/σ times the double-sided Maxwell density
    /// (z² φ(z)) less the normal's: x = μ + σM and x = μ + σUM with U
    /// uniform on (0, 1), for U·M is then standard normal (worlds 2 and 3).
    /// W = √(a² + b²) and |M| = √(a² + b² + c²) from standard normals a, b,
    /// c; a uniform v on (−1, 1) gives M's sign and U = |v|, so U·M = v|M|.
    /// Only the pairs of parameters that carry a derivative are drawn.
    public func fillMeasureValued(_ call: RandomCall, worlds: UnsafeMutablePointer<Double>, stride: Int,
                                  streams: ParticleStreams) {
        let m = call.count, mean = call.parameter(0), sd = call.parameter(1)
        let plusMean = worlds, minusMean = worlds + stride
        let plusSd = worlds + 2 * stride, minusSd = worlds + 3 * stride
        // The normals a, b, c and the uniform v first, each particle's from
        // its own stream, in the rows they will be overwritten in; then the
        // arithmetic, in loops that vectorise.
        let xs = Ziggurat.table
        let scale = call.adjoint(1) != nil
        for l in 0..<m {
            var rng = streams.generator(l)
            plusMean[l] = Ziggurat.sample(&rng, table: xs)
            minusMean[l] = Ziggurat.sample(&rng, table: xs)
            if scale {
                plusSd[l] = Ziggurat.sample(&rng, table: xs)
                minusSd[l] = 2 * rng.uniformOpen() - 1
            }
        }
        if scale {
            for l in 0..<m {
                let a = plusMean[l], b = minusMean[l], c = plusSd[l], v = minusSd[l]
                let size = (a * a + b * b + c * c).squareRoot()
                plusSd[l] = mean[l] + sd[l] * (v < 0 ? -size : size)
                minusSd[l] = mean[l] + sd[l] * (v * size)
            }
        }
        for l in 0..<m {
            let a = plusMean[l], b = minusMean[l]
            let w = (a * a + b * b).squareRoot()
            plusMean[l] = mean[l] + sd[l] * w
            minusMean[l] = mean[l] - sd[l] * w
        }
    }

    public func addMeasureValued(_ call: RandomCall, costs: UnsafePointer<Double>, sampled: UnsafePointer<Double>,
                                 stride: Int) {
        let m = call.count, sd = call.parameter(1)
        if let gMean = call.adjoint(0) {
            let plus = costs, minus = costs + stride
            let scale = 1 / (2 * Double.pi).squareRoot()
            for l in 0..<m { gMean[l] += scale / sd[l] * (plus[l] - minus[l]) }
        }
        if let gSd = call.adjoint(1) {
            let plus = costs + 2 * stride, minus = costs + 3 * stride
            for l in 0..<m { gSd[l] += (plus[l] - minus[l]) / sd[l] }
        }
    }

    /// d log N(x; mean, sd) = z/sd dmean + (z² - 1)/sd dsd.
    public func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>) {
        let m = call.count, o = call.output
        let mean = call.parameter(0), sd = call.parameter(1)
        let gMean = call.adjoint(0), gSd = call.adjoint(1)
        for l in 0..<m {
            let z = (o[l] - mean[l]) / sd[l]
            if let gMean { gMean[l] += w[l] * z / sd[l] }
            if let gSd { gSd[l] += w[l] * (z * z - 1) / sd[l] }
        }
    }
}

extension Normal: PathwiseTangent {
    /// x = μ + σz: dx = dμ + z·dσ.
    public func pathwiseTangent<S: DensityScalar>(of x: S, _ p: [S], moving t: [S]) throws -> S {
        try t[0] + t[1] * ((x - p[0]) / p[1])
    }
}

extension Normal: InverseSampling {
    /// mean + sd·Φ⁻¹(u).
    public func fillQuantiles(_ call: RandomCall, uniforms: UnsafePointer<Double>) {
        let mean = call.parameter(0), sd = call.parameter(1)
        for l in 0..<call.count { call.output[l] = mean[l] + sd[l] * normalQuantile(uniforms[l]) }
    }

    /// Every lane inverts: the checks alone, no draw first.
    public func sampleByInversion(_ call: RandomCall, uniforms: UnsafePointer<Double>, streams: ParticleStreams) -> SampleFailure? {
        fillQuantiles(call, uniforms: uniforms)
        return checkParameters(call)
    }
}
