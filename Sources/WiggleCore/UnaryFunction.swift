// UnaryFunction.swift — the functions of one number: each one's value and
// local derivative written once, as a rule type; the enum names them and
// says how continuous each is and where it is defined.

import Foundation

/// A function of one number.
public enum UnaryFunction: String, Sendable, CaseIterable {
    case negate = "neg"
    case exp, log, sqrt, abs, sin, cos, tanh, sigmoid, softplus, floor, round
    case not
    /// log Γ(x) and its derivative ψ(x), for log-densities (x > 0).
    case lgamma, digamma

    /// Calls `visitor` with this function's rule type (the one place that
    /// maps a function to its rule).
    @inlinable
    public func withRule<Visitor: UnaryRuleVisitor>(_ visitor: Visitor) -> Visitor.Result {
        switch self {
        case .negate: return visitor.visit(UnaryRules.Negate.self)
        case .exp: return visitor.visit(UnaryRules.Exp.self)
        case .log: return visitor.visit(UnaryRules.Log.self)
        case .sqrt: return visitor.visit(UnaryRules.Sqrt.self)
        case .abs: return visitor.visit(UnaryRules.Abs.self)
        case .sin: return visitor.visit(UnaryRules.Sin.self)
        case .cos: return visitor.visit(UnaryRules.Cos.self)
        case .tanh: return visitor.visit(UnaryRules.Tanh.self)
        case .sigmoid: return visitor.visit(UnaryRules.Sigmoid.self)
        case .softplus: return visitor.visit(UnaryRules.Softplus.self)
        case .floor: return visitor.visit(UnaryRules.Floor.self)
        case .round: return visitor.visit(UnaryRules.Round.self)
        case .not: return visitor.visit(UnaryRules.Not.self)
        case .lgamma: return visitor.visit(UnaryRules.LogGamma.self)
        case .digamma: return visitor.visit(UnaryRules.Digamma.self)
        }
    }

    /// Applies the function. Callers check ``domainError(_:)`` first.
    @inlinable
    public func apply(_ x: Double) -> Double {
        withRule(UnaryValue(x: x))
    }

    /// d f(x) / dx, given x and f(x).
    @inlinable
    public func derivative(_ x: Double, result: Double) -> Double {
        withRule(UnaryDerivative(x: x, y: result))
    }

    /// How continuous the function is.
    public var continuity: Continuity {
        switch self {
        case .abs: return .continuous
        case .floor, .round, .not: return .discontinuous
        default: return .smooth
        }
    }

    /// True for a function defined for positive numbers only (√ also at 0).
    public var needsPositive: Bool {
        switch self {
        case .log, .sqrt, .lgamma, .digamma: return true
        default: return false
        }
    }

    /// Why `x` is outside the function's domain, or nil when it is inside.
    public func domainError(_ x: Double) -> String? {
        switch self {
        case .log where x < 0: return "log of a negative number (\(formatNumber(x)))"
        case .log where x == 0: return "log of 0 is -infinity"
        case .sqrt where x < 0: return "square root of a negative number (\(formatNumber(x)))"
        case .lgamma where !(x > 0), .digamma where !(x > 0):
            return "\(rawValue) is defined here for numbers > 0 (got \(formatNumber(x)))"
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

@usableFromInline
struct UnaryValue: UnaryRuleVisitor {
    @usableFromInline let x: Double
    @inlinable init(x: Double) { self.x = x }
    @inlinable func visit<Rule: UnaryRule>(_ rule: Rule.Type) -> Double { Rule.value(x) }
}

@usableFromInline
struct UnaryDerivative: UnaryRuleVisitor {
    @usableFromInline let x: Double
    @usableFromInline let y: Double
    @inlinable init(x: Double, y: Double) { self.x = x; self.y = y }
    @inlinable func visit<Rule: UnaryRule>(_ rule: Rule.Type) -> Double { Rule.backward(1, x, y) }
}

/// The rule of each ``UnaryFunction``: value, and adjoint `g · f′(x)`.
public enum UnaryRules {
    /// -x.
    public enum Negate: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { -x }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { -g }
    }
    /// e^x; its derivative is its value.
    public enum Exp: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { Foundation.exp(x) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { g * y }
    }
    /// The natural logarithm; d/dx = 1/x.
    public enum Log: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { Foundation.log(x) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { g / x }
    }
    /// √x; d/dx = 1 / (2√x).
    public enum Sqrt: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { x.squareRoot() }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { g * 0.5 / y }
    }
    /// |x|: continuous, with derivative ±1 (0 at the kink).
    public enum Abs: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { Swift.abs(x) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double {
            x > 0 ? g : (x < 0 ? -g : 0)
        }
    }
    /// sin x; d/dx = cos x.
    public enum Sin: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { Foundation.sin(x) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { g * Foundation.cos(x) }
    }
    /// cos x; d/dx = -sin x.
    public enum Cos: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { Foundation.cos(x) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { -(g * Foundation.sin(x)) }
    }
    /// tanh x; d/dx = 1 - tanh²x.
    public enum Tanh: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { Foundation.tanh(x) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { g * (1 - y * y) }
    }
    /// The logistic function; d/dx = σ(x)(1 - σ(x)).
    public enum Sigmoid: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { UnaryFunction.sigmoid(x) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { g * y * (1 - y) }
    }
    /// log(1 + e^x); d/dx = σ(x).
    public enum Softplus: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { UnaryFunction.softplus(x) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double {
            g * UnaryFunction.sigmoid(x)
        }
    }
    /// log Γ(x); d/dx = ψ(x). (Γ of a number ≤ 0 gives nan, an error where it is used.)
    public enum LogGamma: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { x > 0 ? Special.logGamma(x) : .nan }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { g * Special.digamma(x) }
    }
    /// ψ(x) = d/dx log Γ(x); d/dx = ψ′(x).
    public enum Digamma: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { Special.digamma(x) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { g * Special.trigamma(x) }
    }
    /// The largest whole number ≤ x: piecewise constant, it jumps.
    public enum Floor: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { x.rounded(.down) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { 0 }
    }
    /// The nearest whole number (halves away from zero): it jumps.
    public enum Round: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { x.rounded(.toNearestOrAwayFromZero) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { 0 }
    }
    /// Logical not: 1 for 0, else 0.
    public enum Not: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { x == 0 ? 1 : (x.isNaN ? .nan : 0) }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { 0 }
    }
}
