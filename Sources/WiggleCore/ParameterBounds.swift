// ParameterBounds.swift — a parameter's open bounds and the map between its
// declared value and the unconstrained number an optimiser steps (as Stan
// and Pyro do).

import Foundation

/// Open bounds on a parameter, `lower < value < upper`; either may be
/// infinite. An optimiser steps `u = unconstrained(value)` on the whole real
/// line and maps back with ``constrained(_:)``, so the value never leaves
/// its bounds:
///
/// | bounds        | value from u                          | d value / d u                        |
/// |---------------|---------------------------------------|--------------------------------------|
/// | none          | u                                     | 1                                    |
/// | lower only    | lower + exp(u)                        | value − lower                        |
/// | upper only    | upper − exp(u)                        | −(upper − value)                     |
/// | both          | lower + (upper − lower)·sigmoid(u)    | (value − lower)(upper − value)/(upper − lower) |
public struct ParameterBounds: Sendable, Equatable {
    /// The value stays above this (`-infinity`: no lower bound).
    public var lower: Double
    /// The value stays below this (`infinity`: no upper bound).
    public var upper: Double

    /// Bounds `lower < value < upper`; unbounded by default.
    public init(lower: Double = -.infinity, upper: Double = .infinity) {
        self.lower = lower
        self.upper = upper
    }

    /// True when either bound is finite.
    public var isBounded: Bool { lower > -.infinity || upper < .infinity }

    /// True when `value` lies strictly inside.
    public func contains(_ value: Double) -> Bool { value > lower && value < upper }

    /// The unconstrained number for a value strictly inside the bounds.
    public func unconstrained(_ value: Double) -> Double {
        switch (lower > -.infinity, upper < .infinity) {
        case (false, false): return value
        case (true, false): return Foundation.log(value - lower)
        case (false, true): return Foundation.log(upper - value)
        case (true, true):
            let t = (value - lower) / (upper - lower)
            return Foundation.log(t) - Foundation.log1p(-t)
        }
    }

    /// The value for an unconstrained number, kept strictly inside the
    /// bounds where rounding would land on one.
    public func constrained(_ u: Double) -> Double {
        let value: Double
        switch (lower > -.infinity, upper < .infinity) {
        case (false, false): return u
        case (true, false): value = lower + Foundation.exp(u)
        case (false, true): value = upper - Foundation.exp(u)
        case (true, true):
            let t = u >= 0 ? 1 / (1 + Foundation.exp(-u)) : Foundation.exp(u) / (1 + Foundation.exp(u))
            value = lower + (upper - lower) * t
        }
        guard value.isFinite else { return value }
        return Swift.min(Swift.max(value, lower.nextUp), upper.nextDown)
    }

    /// d value / d u at `value`: the chain rule's factor taking a gradient
    /// with respect to the value to one with respect to u.
    public func slope(at value: Double) -> Double {
        switch (lower > -.infinity, upper < .infinity) {
        case (false, false): return 1
        case (true, false): return value - lower
        case (false, true): return -(upper - value)
        case (true, true): return (value - lower) / (upper - lower) * (upper - value)
        }
    }

    /// `(0, ∞)`, `(-∞, 1]`-style text for messages and `:params`.
    public var description: String {
        func text(_ x: Double) -> String {
            x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
        }
        let low = lower > -.infinity ? text(lower) : "-∞"
        let high = upper < .infinity ? text(upper) : "∞"
        return "(\(low), \(high))"
    }
}
