// RuleProtocols.swift — how smooth an operation is, and the rule protocols
// every deterministic operation implements once: its value and its local
// derivative, side by side (micrograd's `_backward` beside the forward).

/// How smooth an operation is; decides where a pathwise derivative is unbiased.
public enum Continuity: Sendable, Equatable {
    /// Differentiable everywhere it is defined.
    case smooth
    /// Continuous with kinks (`abs`, `min`, `max`): pathwise stays unbiased.
    case continuous
    /// Jumps (`floor`, `round`, comparisons): a pathwise derivative misses the jump.
    case discontinuous
}

/// The value and local derivative of a function of one number.
///
/// The interpreter applies `value` to plain numbers; the engine's forward and
/// reverse loops call the same two functions over a chunk of particles.
public protocol UnaryRule {
    /// f(x).
    static func value(_ x: Double) -> Double
    /// The adjoint passed back to x: g · f′(x), given the output's adjoint g,
    /// the input x and the output y = f(x).
    static func backward(_ g: Double, _ x: Double, _ y: Double) -> Double
}

/// The value and local derivatives of a function of two numbers.
public protocol BinaryRule {
    /// f(a, b).
    static func value(_ a: Double, _ b: Double) -> Double
    /// The adjoints passed back to a and b, given the output's adjoint g,
    /// the inputs and the output y = f(a, b).
    static func backward(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double)
    /// True when `backward` ends by multiplying g by partials computed
    /// from a, b and y alone, so `g · backward(1, a, b, y)` gives its bits:
    /// where a and b are the same in every particle the partials are computed once.
    static var scalesAdjoint: Bool { get }
}

extension BinaryRule {
    public static var scalesAdjoint: Bool { false }
}

/// Something done with a unary rule chosen at run time: the one switch from
/// ``UnaryFunction`` to its rule type calls `visit` with that type, so loops
/// written generically over a rule are specialised for each function.
public protocol UnaryRuleVisitor {
    associatedtype Result
    func visit<Rule: UnaryRule>(_ rule: Rule.Type) -> Result
}

/// Something done with a binary rule chosen at run time (see ``UnaryRuleVisitor``).
public protocol BinaryRuleVisitor {
    associatedtype Result
    func visit<Rule: BinaryRule>(_ rule: Rule.Type) -> Result
}
