import Foundation
import Testing
import WiggleGraph

/// Central finite difference.
func numericDerivative(_ f: (Double) -> Double, at x: Double, step: Double = 1e-6) -> Double {
    (f(x + step) - f(x - step)) / (2 * step)
}

@Suite struct ScalarOpsTests {
    @Test(arguments: UnaryFunction.allCases)
    func unaryDerivativesMatchFiniteDifferences(function: UnaryFunction) {
        for x in [-2.3, -0.7, 0.4, 1.3, 2.9] {
            let input = function.needsPositive ? Swift.abs(x) : x
            let result = function.apply(input)
            let analytic = function.derivative(input, result: result)
            if function.continuity == .discontinuous {
                // Piecewise constant away from the jumps.
                #expect(analytic == 0)
                continue
            }
            let numeric = numericDerivative(function.apply, at: input)
            #expect(Swift.abs(analytic - numeric) < 1e-6 * max(1, Swift.abs(numeric)), "\(function) at \(input)")
        }
    }

    @Test(arguments: BinaryFunction.allCases)
    func binaryPartialsMatchFiniteDifferences(function: BinaryFunction) {
        for (a, b) in [(1.7, 0.6), (2.5, -1.2), (0.3, 3.0), (-1.5, 2.0)] {
            let result = function.apply(a, b)
            let (da, db) = function.partials(a, b, result: result)
            if function.continuity == .discontinuous {
                #expect(da == 0 && db == 0)
                continue
            }
            let numericA = numericDerivative({ function.apply($0, b) }, at: a)
            #expect(Swift.abs(da - numericA) < 1e-5 * max(1, Swift.abs(numericA)), "\(function) ∂a at \(a), \(b)")
            if function == .power && a <= 0 { continue }  // a^b is not differentiable in b there
            let numericB = numericDerivative({ function.apply(a, $0) }, at: b)
            #expect(Swift.abs(db - numericB) < 1e-5 * max(1, Swift.abs(numericB)), "\(function) ∂b at \(a), \(b)")
        }
    }

    @Test func continuityClasses() {
        #expect(UnaryFunction.abs.continuity == .continuous)
        #expect(UnaryFunction.floor.continuity == .discontinuous)
        #expect(UnaryFunction.round.continuity == .discontinuous)
        #expect(UnaryFunction.exp.continuity == .smooth)
        #expect(BinaryFunction.min.continuity == .continuous)
        #expect(BinaryFunction.max.continuity == .continuous)
        #expect(BinaryFunction.greater.continuity == .discontinuous)
        #expect(BinaryFunction.multiply.continuity == .smooth)
    }

    @Test func stableLogisticAndSoftplus() {
        #expect(UnaryFunction.sigmoid.apply(-800) == 0)
        #expect(UnaryFunction.sigmoid.apply(800) == 1)
        #expect(UnaryFunction.softplus.apply(800) == 800)
        #expect(UnaryFunction.softplus.apply(-800) == 0)
        #expect(Swift.abs(UnaryFunction.softplus.apply(0) - log(2)) < 1e-15)
    }

    @Test func domainErrors() {
        #expect(UnaryFunction.log.domainError(-1) == "log of a negative number (-1)")
        #expect(UnaryFunction.log.domainError(0) != nil)
        #expect(UnaryFunction.sqrt.domainError(-4) != nil)
        #expect(UnaryFunction.sqrt.domainError(0) == nil)
        #expect(BinaryFunction.divide.domainError(1, 0) == "division by zero")
        #expect(BinaryFunction.power.domainError(-8, 1.0 / 3) != nil)
        #expect(BinaryFunction.power.domainError(-8, 3) == nil)
        #expect(BinaryFunction.power.domainError(0, -1) != nil)
    }

    @Test func numberFormatting() {
        #expect(formatNumber(3) == "3")
        #expect(formatNumber(-0.0) == "0")
        #expect(formatNumber(0.1 + 0.2) == "0.3")
        #expect(formatNumber(2.0 / 3) == "0.666667")
        #expect(formatNumber(1e20) == "1e+20")
        #expect(formatNumber(.infinity) == "inf")
        #expect(formatNumber(.nan) == "nan")
    }
}

@Suite struct OptimiserTests {
    @Test func sgdStep() {
        var optimizer = Optimiser(kind: .sgd, learningRate: 0.5, count: 2)
        var values = [1.0, -2.0]
        optimizer.step(&values, gradient: [0.2, -4])
        #expect(values == [0.9, 0])
    }

    @Test func adamFirstStepMovesByTheLearningRate() {
        // With bias correction, Adam's first step is lr · g / (|g| + ε).
        var optimizer = Optimiser(kind: .adam, learningRate: 0.01, count: 2)
        var values = [0.0, 0.0]
        optimizer.step(&values, gradient: [3, -0.5])
        #expect(abs(values[0] + 0.01) < 1e-9)
        #expect(abs(values[1] - 0.01) < 1e-9)
    }
}
