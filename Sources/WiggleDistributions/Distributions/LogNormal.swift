// LogNormal.swift — lognormal(mu, sigma): x = exp(mu + sigma·z), the
// exponential of a normal(mu, sigma). Pathwise through the exponential; its
// measure-valued derivative is the normal's pairs, exponentiated.

import Foundation
import WiggleCore

/// The log-normal distribution: log x is normal with mean `mu` and standard
/// deviation `sigma`.
public struct LogNormal: Distribution {
    public init() {}

    public var name: String { "lognormal" }
    public var parameterNames: [String] { ["mu", "sigma"] }
    public var support: Support { .positive }
    public var estimators: [Estimator] { [.pathwise, .score, .mvd] }

    /// mu must be finite (sigma's check and words are the normal's).
    public static let invalidMu = ParameterProblem("mu of a lognormal", "must be a finite number")

    public func problem(parameter index: Int, value: Double) -> ParameterProblem? {
        index == 0 ? (value.isFinite ? nil : LogNormal.invalidMu) : Normal().problem(parameter: index, value: value)
    }

    /// The normal's draws and checks, then the exponential.
    public func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? {
        var failure = Normal().sample(call, streams: streams)
        let o = call.output
        for l in 0..<call.count { o[l] = Foundation.exp(o[l]) }
        if failure?.problem == Normal.invalidMean { failure?.problem = LogNormal.invalidMu }
        return failure
    }

    /// The normal's log-density of log x, less log x (the Jacobian), for x > 0.
    public func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S {
        try S.inside(x, closed: false) {
            let logX = try x.log()
            return try Normal().logDensity(logX, p) - logX
        }
    }

    /// dx/dmu = x, dx/dsigma = x · z with z = (log x − mu)/sigma.
    public func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>) {
        let m = call.count, o = call.output
        let mean = call.parameter(0), sd = call.parameter(1)
        if let gMean = call.adjoint(0) { for l in 0..<m { gMean[l] += g[l] * o[l] } }
        if let gSd = call.adjoint(1) {
            for l in 0..<m { gSd[l] += g[l] * o[l] * (Foundation.log(o[l]) - mean[l]) / sd[l] }
        }
    }

    /// The normal's: z/sigma for mu, (z² − 1)/sigma for sigma, z from log x.
    public func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>) {
        let m = call.count, o = call.output
        let mean = call.parameter(0), sd = call.parameter(1)
        let gMean = call.adjoint(0), gSd = call.adjoint(1)
        for l in 0..<m where w[l] != 0 {
            let z = (Foundation.log(o[l]) - mean[l]) / sd[l]
            if let gMean { gMean[l] += w[l] * z / sd[l] }
            if let gSd { gSd[l] += w[l] * (z * z - 1) / sd[l] }
        }
    }

    /// The normal's worlds (of log x), exponentiated.
    public var measureValuedWorldCount: Int { Normal().measureValuedWorldCount }
    public func measureValuedWorlds(parameter index: Int) -> Range<Int> { Normal().measureValuedWorlds(parameter: index) }
    public func measureValuedPairs(worlds: Set<Int>) -> String { Normal().measureValuedPairs(worlds: worlds) + " of log x" }

    public func fillMeasureValued(_ call: RandomCall, worlds: UnsafeMutablePointer<Double>, stride: Int,
                                  streams: ParticleStreams) {
        Normal().fillMeasureValued(call, worlds: worlds, stride: stride, streams: streams)
        let rows = call.adjoint(1) != nil ? 4 : 2
        for row in 0..<rows {
            let world = worlds + row * stride
            for l in 0..<call.count { world[l] = Foundation.exp(world[l]) }
        }
    }

    public func addMeasureValued(_ call: RandomCall, costs: UnsafePointer<Double>, sampled: UnsafePointer<Double>,
                                 stride: Int) {
        Normal().addMeasureValued(call, costs: costs, sampled: sampled, stride: stride)
    }
}

extension LogNormal: PathwiseTangent {
    /// x = exp(μ + σz): dx = x·(dμ + z·dσ), z = (log x − μ)/σ.
    public func pathwiseTangent<S: DensityScalar>(of x: S, _ p: [S], moving t: [S]) throws -> S {
        try x * (t[0] + t[1] * ((x.log() - p[0]) / p[1]))
    }
}

extension LogNormal: InverseSampling {
    /// exp(mu + sigma·Φ⁻¹(u)).
    public func fillQuantiles(_ call: RandomCall, uniforms: UnsafePointer<Double>) {
        let mu = call.parameter(0), sigma = call.parameter(1)
        for l in 0..<call.count { call.output[l] = Foundation.exp(mu[l] + sigma[l] * normalQuantile(uniforms[l])) }
    }
}
