// NumberFormat.swift — numbers as people read them, in values and messages.

import Foundation

/// A number as people read it: whole numbers without a decimal point,
/// others with up to 6 significant digits (`%.6g`), `inf`, `-inf`, `nan`.
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded() && Swift.abs(x) < 1e15 { return String(Int64(x)) }
    return String(format: "%.6g", x)
}
