// DensityScalar.swift — the numbers a log-density is written over. Each
// distribution writes log p(x | θ) once, generic over this protocol; the
// same definition gives
//   - the number (`Double`), for `normal_lpdf(1, 0, 1)` and the samplers
//     that need a density,
//   - the tracer's nodes (WiggleLang's traced scalar), so that
//     `normal_lpdf(x, mu, sigma)` of random or parameter values is a graph
//     that gradients flow through,
//   - its derivative in one parameter (``Dual``), from which a
//     distribution that writes no score of its own gets one, and against
//     which the hand-fused scores are checked by a test.

import WiggleCore

/// A number, a traced value or a dual number: what a log-density is
/// computed in. Arithmetic may throw (the tracer refuses an elementary
/// function of a number outside its domain, at the call); `Double` never does.
public protocol DensityScalar {
    /// A constant.
    init(_ constant: Double)
    /// The number, when it is one (not traced; a dual's value).
    var known: Double? { get }

    static func + (a: Self, b: Self) throws -> Self
    static func - (a: Self, b: Self) throws -> Self
    static func * (a: Self, b: Self) throws -> Self
    static func / (a: Self, b: Self) throws -> Self
    /// f(self) for an elementary function (`log`, `lgamma`, `abs`, `round`, ...).
    func applying(_ f: UnaryFunction) throws -> Self
    /// 1 where a == b, 0 where not.
    static func equal(_ a: Self, _ b: Self) throws -> Self
    /// 1 where a ≥ b, 0 where not.
    static func atLeast(_ a: Self, _ b: Self) throws -> Self

    /// A discrete support: `body` where `condition` is 1, −inf where it is 0.
    /// A traced condition adds log(condition) — a comparison, as a discrete
    /// value's support is.
    static func restricted(to condition: Self, _ body: () throws -> Self) throws -> Self
    /// A continuous support: `body` where `distance` > 0 (≥ 0 when
    /// `closed`), −inf outside. A traced distance adds 0 · log(distance):
    /// nan outside (an error where it is used) and no comparison, so a
    /// pathwise value stays pathwise.
    static func inside(_ distance: Self, closed: Bool, _ body: () throws -> Self) throws -> Self
}

extension DensityScalar {
    public func log() throws -> Self { try applying(.log) }
    public func lgamma() throws -> Self { try applying(.lgamma) }
    public func abs() throws -> Self { try applying(.abs) }
    public func squared() throws -> Self { try self * self }
}

extension Double: DensityScalar {
    public var known: Double? { self }

    public func applying(_ f: UnaryFunction) -> Double { f.apply(self) }
    public static func equal(_ a: Double, _ b: Double) -> Double { a == b ? 1 : 0 }
    public static func atLeast(_ a: Double, _ b: Double) -> Double { a >= b ? 1 : 0 }

    public static func restricted(to condition: Double, _ body: () throws -> Double) rethrows -> Double {
        condition != 0 && !condition.isNaN ? try body() : -.infinity
    }

    public static func inside(_ distance: Double, closed: Bool, _ body: () throws -> Double) rethrows -> Double {
        (closed ? distance >= 0 : distance > 0) ? try body() : -.infinity
    }
}

/// A number and its derivative in one direction (forward-mode automatic
/// differentiation): a log-density computed in duals, with one parameter's
/// derivative set to 1, gives ∂log p/∂θᵢ — the score.
public struct Dual: DensityScalar, Sendable {
    /// The value.
    public var value: Double
    /// Its derivative.
    public var derivative: Double

    /// A value with a derivative.
    public init(_ value: Double, derivative: Double) {
        self.value = value
        self.derivative = derivative
    }

    /// A constant: derivative 0.
    public init(_ constant: Double) { self.init(constant, derivative: 0) }

    public var known: Double? { value }

    public static func + (a: Dual, b: Dual) -> Dual { Dual(a.value + b.value, derivative: a.derivative + b.derivative) }
    public static func - (a: Dual, b: Dual) -> Dual { Dual(a.value - b.value, derivative: a.derivative - b.derivative) }
    public static func * (a: Dual, b: Dual) -> Dual {
        // A constant factor of 0 contributes nothing, even against an infinite derivative.
        let left = b.derivative == 0 ? 0 : a.value * b.derivative
        let right = a.derivative == 0 ? 0 : a.derivative * b.value
        return Dual(a.value * b.value, derivative: left + right)
    }
    public static func / (a: Dual, b: Dual) -> Dual {
        let q = a.value / b.value
        return Dual(q, derivative: (a.derivative - (b.derivative == 0 ? 0 : q * b.derivative)) / b.value)
    }

    public func applying(_ f: UnaryFunction) -> Dual {
        let y = f.apply(value)
        return Dual(y, derivative: derivative == 0 ? 0 : f.derivative(value, result: y) * derivative)
    }
    public static func equal(_ a: Dual, _ b: Dual) -> Dual { Dual(a.value == b.value ? 1 : 0) }
    public static func atLeast(_ a: Dual, _ b: Dual) -> Dual { Dual(a.value >= b.value ? 1 : 0) }

    public static func restricted(to condition: Dual, _ body: () throws -> Dual) rethrows -> Dual {
        condition.value != 0 && !condition.value.isNaN ? try body() : Dual(-.infinity)
    }

    public static func inside(_ distance: Dual, closed: Bool, _ body: () throws -> Dual) rethrows -> Dual {
        (closed ? distance.value >= 0 : distance.value > 0) ? try body() : Dual(-.infinity)
    }
}

/// A distribution whose log-likelihood of many data can be written from a
/// few statistics of the data (a normal's: n, the mean and Σ(y − ȳ)²), so
/// that `normal_lpdf(ys, mu, sigma)` is a handful of nodes, not one per
/// datum. Optional: without it, a list's log-density is the sum of each
/// datum's term.
public protocol SufficientStatistics: Distribution {
    /// Σᵢ log p(yᵢ | p) for data `ys` inside the support, none of them nan.
    func logLikelihood<S: DensityScalar>(of ys: [Double], _ p: [S]) throws -> S
}

/// A distribution sampled by inversion, x = F⁻¹(u) for one uniform u, so
/// that antithetic sampling can pair u with 1 − u (DESIGN: sampling). One
/// without it (a rejection sampler: gamma, beta, student_t) draws
/// independent numbers in both halves of a pair. Optional.
public protocol InverseSampling: Distribution {
    /// `call.output[l] = F⁻¹(uniforms[l])` under lane l's parameters, for
    /// the lanes it can invert cheaply; it leaves the others as they are
    /// (drawn independently).
    func fillQuantiles(_ call: RandomCall, uniforms: UnsafePointer<Double>)

    /// The draws by inversion, with the parameters checked as `sample`
    /// checks them. By default `sample` runs first (for its checks, and the
    /// lanes `fillQuantiles` leaves alone), then the inversion; a
    /// distribution whose every lane inverts may check without sampling.
    func sampleByInversion(_ call: RandomCall, uniforms: UnsafePointer<Double>, streams: ParticleStreams) -> SampleFailure?
}

extension InverseSampling {
    public func sampleByInversion(_ call: RandomCall, uniforms: UnsafePointer<Double>, streams: ParticleStreams) -> SampleFailure? {
        if let failure = sample(call, streams: streams) { return failure }
        fillQuantiles(call, uniforms: uniforms)
        return nil
    }
}

/// A reparametrised distribution whose draw's movement with its parameters
/// can be written in its own terms: x = T(ε; θ) at fixed noise ε, so
/// dx = Σᵢ ∂T/∂θᵢ · dθᵢ, with ε recovered from x (a normal's z = (x − μ)/σ).
/// The second-order analysis builds a first-order pathwise contribution
/// as a program from it (`DerivativeProgram`); a distribution without it
/// (an implicit reparametrisation, as the gamma's) takes the score
/// function there. Optional.
public protocol PathwiseTangent: Distribution {
    /// How the draw `x` moves when its parameters `p` move by `t`.
    func pathwiseTangent<S: DensityScalar>(of x: S, _ p: [S], moving t: [S]) throws -> S
}

extension Distribution {
    /// log p(x | parameters) as a number: the generic definition in doubles.
    public func logDensity(_ x: Double, parameters: [Double]) -> Double {
        (try? logDensity(x, parameters)) ?? .nan
    }

    /// ∂ log p(x | θ)/∂θᵢ, from the log-density in dual numbers.
    public func logDensityDerivative(_ x: Double, parameters: [Double], in index: Int) -> Double {
        var duals = parameters.map { Dual($0) }
        duals[index].derivative = 1
        return ((try? logDensity(Dual(x), duals)) ?? Dual(.nan)).derivative
    }

    /// Score function from the log-density itself: adds
    /// `w · ∂log p(x | θ)/∂θᵢ` in dual numbers, one pass per carried
    /// parameter. A distribution may write a faster one of its own (a test
    /// checks each against this).
    public func addScore(_ call: RandomCall, weights w: UnsafePointer<Double>) {
        let k = call.parameterCount
        var parameters = [Dual](repeating: Dual(0), count: k)
        for i in 0..<k {
            guard let gradient = call.adjoint(i) else { continue }
            for l in 0..<call.count where w[l] != 0 {
                for j in 0..<k { parameters[j] = Dual(call.parameter(j)[l], derivative: j == i ? 1 : 0) }
                let slope = ((try? logDensity(Dual(call.output[l]), parameters)) ?? Dual(.nan)).derivative
                gradient[l] += w[l] * slope
            }
        }
    }
}
