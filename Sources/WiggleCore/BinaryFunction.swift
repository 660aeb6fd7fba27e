// BinaryFunction.swift — the functions of two numbers: each one's value and
// local derivatives written once, as a rule type; the enum names them and
// says how continuous each is and where it is defined.

import Foundation

/// A function of two numbers (comparisons yield 1 or 0).
public enum BinaryFunction: String, Sendable, CaseIterable {
    case add, subtract = "sub", multiply = "mul", divide = "div", power = "pow", min, max
    case less = "lt", lessEqual = "le", greater = "gt", greaterEqual = "ge", equal = "eq", notEqual = "ne"

    /// Calls `visitor` with this function's rule type (the one place that
    /// maps a function to its rule).
    @inlinable
    public func withRule<Visitor: BinaryRuleVisitor>(_ visitor: Visitor) -> Visitor.Result {
        switch self {
        case .add: return visitor.visit(BinaryRules.Add.self)
        case .subtract: return visitor.visit(BinaryRules.Subtract.self)
        case .multiply: return visitor.visit(BinaryRules.Multiply.self)
        case .divide: return visitor.visit(BinaryRules.Divide.self)
        case .power: return visitor.visit(BinaryRules.Power.self)
        case .min: return visitor.visit(BinaryRules.Min.self)
        case .max: return visitor.visit(BinaryRules.Max.self)
        case .less: return visitor.visit(BinaryRules.Less.self)
        case .lessEqual: return visitor.visit(BinaryRules.LessEqual.self)
        case .greater: return visitor.visit(BinaryRules.Greater.self)
        case .greaterEqual: return visitor.visit(BinaryRules.GreaterEqual.self)
        case .equal: return visitor.visit(BinaryRules.Equal.self)
        case .notEqual: return visitor.visit(BinaryRules.NotEqual.self)
        }
    }

    /// Applies the function. Callers check ``domainError(_:_:)`` first.
    @inlinable
    public func apply(_ a: Double, _ b: Double) -> Double {
        withRule(BinaryValue(a: a, b: b))
    }

    /// The partial derivatives (∂f/∂a, ∂f/∂b), given a, b and f(a, b).
    @inlinable
    public func partials(_ a: Double, _ b: Double, result: Double) -> (Double, Double) {
        withRule(BinaryPartials(a: a, b: b, y: result))
    }

    /// How continuous the function is.
    public var continuity: Continuity {
        switch self {
        case .add, .subtract, .multiply, .divide, .power: return .smooth
        case .min, .max: return .continuous
        case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return .discontinuous
        }
    }

    /// How people write it: `<` for `lt`, the name for the others.
    public var symbol: String {
        switch self {
        case .less: return "<"
        case .lessEqual: return "<="
        case .greater: return ">"
        case .greaterEqual: return ">="
        case .equal: return "=="
        case .notEqual: return "!="
        default: return rawValue
        }
    }

    /// Why (a, b) is outside the function's domain, or nil when it is inside.
    public func domainError(_ a: Double, _ b: Double) -> String? {
        switch self {
        case .divide where b == 0: return "division by zero"
        case .power where a < 0 && b != b.rounded():
            return "cannot raise a negative number (\(formatNumber(a))) to a fractional power (\(formatNumber(b)))"
        case .power where a == 0 && b < 0: return "0 raised to a negative power (\(formatNumber(b)))"
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

@usableFromInline
struct BinaryValue: BinaryRuleVisitor {
    @usableFromInline let a: Double
    @usableFromInline let b: Double
    @inlinable init(a: Double, b: Double) { self.a = a; self.b = b }
    @inlinable func visit<Rule: BinaryRule>(_ rule: Rule.Type) -> Double { Rule.value(a, b) }
}

@usableFromInline
struct BinaryPartials: BinaryRuleVisitor {
    @usableFromInline let a: Double
    @usableFromInline let b: Double
    @usableFromInline let y: Double
    @inlinable init(a: Double, b: Double, y: Double) { self.a = a; self.b = b; self.y = y }
    @inlinable func visit<Rule: BinaryRule>(_ rule: Rule.Type) -> (Double, Double) { Rule.backward(1, a, b, y) }
}

/// The rule of each ``BinaryFunction``: value, and adjoints `(g · ∂f/∂a, g · ∂f/∂b)`.
public enum BinaryRules {
    /// a + b.
    public enum Add: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a + b }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) { (g, g) }
    }
    /// a - b.
    public enum Subtract: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a - b }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) { (g, -g) }
    }
    /// a · b.
    public enum Multiply: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a * b }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) {
            (g * b, g * a)
        }
    }
    /// a / b; ∂/∂b = -a/b² = -y/b.
    public enum Divide: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a / b }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) {
            (g / b, -(g * y / b))
        }
    }
    /// a^b; ∂/∂a = b a^(b-1), ∂/∂b = a^b log a (defined for a > 0 only; 0 elsewhere).
    public enum Power: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { BinaryFunction.power(a, b) }
        public static var scalesAdjoint: Bool { true }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) {
            let da = b == 0 ? 0 : b * BinaryFunction.power(a, b - 1)
            let db = a > 0 ? y * Foundation.log(a) : 0
            return (g * da, g * db)
        }
    }
    /// x², the commonest power, fused by the engine (a rule of one input).
    public enum Square: UnaryRule {
        @inlinable public static func value(_ x: Double) -> Double { x * x }
        @inlinable public static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double { 2 * x * g }
    }
    /// The smaller of a and b (a on a tie): continuous.
    public enum Min: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : Swift.min(a, b) }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) {
            a <= b ? (g, 0) : (0, g)
        }
    }
    /// The larger of a and b (a on a tie): continuous.
    public enum Max: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) {
            a >= b ? (g, 0) : (0, g)
        }
    }
    /// a < b as 1 or 0: it jumps, and has no derivative to pass back. A
    /// comparison with a nan is nan (every comparison is), so a value that
    /// is undefined in some particle is never read as false.
    public enum Less: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a < b ? 1 : (a >= b ? 0 : .nan) }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) { (0, 0) }
    }
    /// a <= b as 1 or 0.
    public enum LessEqual: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a <= b ? 1 : (a > b ? 0 : .nan) }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) { (0, 0) }
    }
    /// a > b as 1 or 0.
    public enum Greater: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a > b ? 1 : (a <= b ? 0 : .nan) }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) { (0, 0) }
    }
    /// a >= b as 1 or 0.
    public enum GreaterEqual: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a >= b ? 1 : (a < b ? 0 : .nan) }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) { (0, 0) }
    }
    /// a == b as 1 or 0.
    public enum Equal: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : (a == b ? 1 : 0) }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) { (0, 0) }
    }
    /// a != b as 1 or 0.
    public enum NotEqual: BinaryRule {
        @inlinable public static func value(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : (a != b ? 1 : 0) }
        @inlinable public static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) { (0, 0) }
    }
}
