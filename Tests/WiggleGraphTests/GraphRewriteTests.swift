import Foundation
import Testing
@testable import WiggleGraph

/// The rewrites the tracer asks the graph layers for, without any syntax.
@Suite struct GraphRewriteTests {
    @Test func identitiesGiveBackTheirOperand() {
        var b = Builder()
        let x = b.parameter("x", 2)
        let one = b.constant(1), zero = b.constant(0), minusZero = b.constant(-0.0)
        let g = b.graph
        #expect(g.identityOperand(.multiply, x, one) == x && g.identityOperand(.multiply, one, x) == x)
        #expect(g.identityOperand(.divide, x, one) == x && g.identityOperand(.power, x, one) == x)
        #expect(g.identityOperand(.subtract, x, zero) == x && g.identityOperand(.add, minusZero, x) == x)
        // x + (+0) is not x at x = −0; 1 / x is not x.
        #expect(g.identityOperand(.add, x, zero) == nil && g.identityOperand(.divide, one, x) == nil)
    }

    @Test func affineMeansAreFound() {
        var b = Builder()
        let a = b.parameter("a", 0.5), slope = b.parameter("b", 2)
        let cs = [1.5, -2.0, 1.0]
        var means: [NodeID?] = []
        for (index, c) in cs.enumerated() {
            // a + b·c, c·b + a and (for c = 1) a + b, in whichever order.
            let term = c == 1 ? slope : index == 0 ? b.binary(.multiply, slope, b.constant(c)) : b.binary(.multiply, b.constant(c), slope)
            means.append(index == 1 ? b.binary(.add, term, a) : b.binary(.add, a, term))
        }
        let line = b.graph.affineMeans(means)
        #expect(line?.a == a && line?.b == slope && line?.cs == cs)
        #expect(b.graph.affineMeans(means + [a]) == nil)
    }

    /// The centred sums give Σ log N(yᵢ; a + b cᵢ, σ) to rounding, with its derivatives (duals).
    @Test func aRegressionsLikelihoodFromItsSums() throws {
        let ys = [0.3, 2.1, -0.7, 1.4, 0.9], cs = [0.0, 1.0, -1.0, 0.5, 0.25]
        let (a, slope, sigma) = (0.2, 1.3, 0.8)
        var direct = 0.0
        for (y, c) in zip(ys, cs) { direct += Normal().logDensity(y, parameters: [a + slope * c, sigma]) }
        let reduced = try Normal.regressionLogLikelihood(ys: ys, cs: cs, a: a, b: slope, sigma: sigma)
        #expect(abs(reduced - direct) < 1e-12 * abs(direct))
        // d/db of the sum: Σ cᵢ (yᵢ − a − b cᵢ)/σ².
        let dB = try Normal.regressionLogLikelihood(ys: ys, cs: cs, a: Dual(a), b: Dual(slope, derivative: 1), sigma: Dual(sigma))
        let exact = zip(ys, cs).reduce(0) { $0 + $1.1 * ($1.0 - a - slope * $1.1) / (sigma * sigma) }
        #expect(abs(dB.derivative - exact) < 1e-12)
    }
}
