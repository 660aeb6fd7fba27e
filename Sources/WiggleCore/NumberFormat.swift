// NumberFormat.swift — numbers as people read them, in values and messages.

import Foundation

/// True when x is a whole number (±inf too, as x == x.rounded() says;
/// nan not), without the libm call rounded() is on baseline x86-64: the
/// per-lane checks of indices and integer supports use it.
@inlinable
public func isWholeNumber(_ x: Double) -> Bool {
    Swift.abs(x) < 0x1p52 ? Double(Int64(x)) == x : !x.isNaN
}

/// A number as people read it: whole numbers without a decimal point,
/// others with up to 6 significant digits (`%.6g`), `inf`, `-inf`, `nan`.
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded() && Swift.abs(x) < 1e15 { return String(Int64(x)) }
    return String(format: "%.6g", x)
}
