// ScalarOps.swift — the deterministic operations on numbers, each with its
// local derivative and how continuous it is. One rule table, shared by the
// interpreter (which applies them to plain numbers) and, later, by the graph
// engine (which also needs their derivatives and continuity).

import Foundation

/// How smooth an operation is; decides where a pathwise derivative is unbiased.
public enum Continuity: Sendable, Equatable {
    /// Differentiable everywhere it is defined.
    case smooth
    /// Continuous with kinks (`abs`, `min`, `max`): pathwise stays unbiased.
    case continuous
    /// Jumps (`floor`, `round`, comparisons): a pathwise derivative misses the jump.
    case discontinuous
}

/// A function of one number.
public enum UnaryFunction: String, Sendable, CaseIterable {
    case negate = "neg"
    case exp, log, sqrt, abs, sin, cos, tanh, sigmoid, softplus, floor, round
    case not

    /// Applies the function. Callers check ``domainError(_:)`` first.
    @inlinable
    public func apply(_ x: Double) -> Double {
        switch self {
        case .negate: return -x
        case .exp: return Foundation.exp(x)
        case .log: return Foundation.log(x)
        case .sqrt: return x.squareRoot()
        case .abs: return Swift.abs(x)
        case .sin: return Foundation.sin(x)
        case .cos: return Foundation.cos(x)
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return UnaryFunction.sigmoid(x)
        case .softplus: return UnaryFunction.softplus(x)
        case .floor: return x.rounded(.down)
        case .round: return x.rounded(.toNearestOrAwayFromZero)
        case .not: return x == 0 ? 1 : 0
        }
    }

    /// d f(x) / dx, given x and f(x).
    @inlinable
    public func derivative(_ x: Double, result: Double) -> Double {
        switch self {
        case .negate: return -1
        case .exp: return result
        case .log: return 1 / x
        case .sqrt: return 0.5 / result
        case .abs: return x > 0 ? 1 : (x < 0 ? -1 : 0)
        case .sin: return Foundation.cos(x)
        case .cos: return -Foundation.sin(x)
        case .tanh: return 1 - result * result
        case .sigmoid: return result * (1 - result)
        case .softplus: return UnaryFunction.sigmoid(x)
        case .floor, .round, .not: return 0
        }
    }

    /// How continuous the function is.
    public var continuity: Continuity {
        switch self {
        case .abs: return .continuous
        case .floor, .round, .not: return .discontinuous
        default: return .smooth
        }
    }

    /// Why `x` is outside the function's domain, or nil when it is inside.
    public func domainError(_ x: Double) -> String? {
        switch self {
        case .log where x < 0: return "log of a negative number (\(formatForMessage(x)))"
        case .log where x == 0: return "log of 0 is -infinity"
        case .sqrt where x < 0: return "square root of a negative number (\(formatForMessage(x)))"
        default: return nil
        }
    }

    /// The logistic function 1 / (1 + e^-x), computed without overflow.
    @inlinable
    public static func sigmoid(_ x: Double) -> Double {
        if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }

    /// log(1 + e^x), computed without overflow.
    @inlinable
    public static func softplus(_ x: Double) -> Double {
        Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
    }
}

/// A function of two numbers (comparisons yield 1 or 0).
public enum BinaryFunction: String, Sendable, CaseIterable {
    case add, subtract = "sub", multiply = "mul", divide = "div", power = "pow", min, max
    case less = "lt", lessEqual = "le", greater = "gt", greaterEqual = "ge", equal = "eq", notEqual = "ne"

    /// Applies the function. Callers check ``domainError(_:_:)`` first.
    @inlinable
    public func apply(_ a: Double, _ b: Double) -> Double {
        switch self {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .power: return BinaryFunction.power(a, b)
        case .min: return Swift.min(a, b)
        case .max: return Swift.max(a, b)
        case .less: return a < b ? 1 : 0
        case .lessEqual: return a <= b ? 1 : 0
        case .greater: return a > b ? 1 : 0
        case .greaterEqual: return a >= b ? 1 : 0
        case .equal: return a == b ? 1 : 0
        case .notEqual: return a != b ? 1 : 0
        }
    }

    /// The partial derivatives (∂f/∂a, ∂f/∂b), given a, b and f(a, b).
    @inlinable
    public func partials(_ a: Double, _ b: Double, result: Double) -> (Double, Double) {
        switch self {
        case .add: return (1, 1)
        case .subtract: return (1, -1)
        case .multiply: return (b, a)
        case .divide: return (1 / b, -a / (b * b))
        case .power:
            // d/da a^b = b a^(b-1); d/db a^b = a^b log a (only defined for a > 0).
            let da = b == 0 ? 0 : b * BinaryFunction.power(a, b - 1)
            let db = a > 0 ? result * Foundation.log(a) : 0
            return (da, db)
        case .min: return a <= b ? (1, 0) : (0, 1)
        case .max: return a >= b ? (1, 0) : (0, 1)
        case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return (0, 0)
        }
    }

    /// How continuous the function is.
    public var continuity: Continuity {
        switch self {
        case .add, .subtract, .multiply, .divide, .power: return .smooth
        case .min, .max: return .continuous
        case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return .discontinuous
        }
    }

    /// Why (a, b) is outside the function's domain, or nil when it is inside.
    public func domainError(_ a: Double, _ b: Double) -> String? {
        switch self {
        case .divide where b == 0: return "division by zero"
        case .power where a < 0 && b != b.rounded():
            return "cannot raise a negative number (\(formatForMessage(a))) to a fractional power (\(formatForMessage(b)))"
        case .power where a == 0 && b < 0: return "0 raised to a negative power (\(formatForMessage(b)))"
        default: return nil
        }
    }

    /// a^b with small integer exponents computed by multiplication (exact and fast).
    @inlinable
    public static func power(_ a: Double, _ b: Double) -> Double {
        if b == 2 { return a * a }
        if b == 1 { return a }
        if b == 0 { return 1 }
        if b == 3 { return a * a * a }
        return Foundation.pow(a, b)
    }
}

/// A number as people read it: whole numbers without a decimal point,
/// others with up to 6 significant digits (`%.6g`), `inf`, `-inf`, `nan`.
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded() && Swift.abs(x) < 1e15 { return String(Int64(x)) }
    return String(format: "%.6g", x)
}

/// A number inside a message (same as ``formatNumber(_:)``).
public func formatForMessage(_ x: Double) -> String { formatNumber(x) }
