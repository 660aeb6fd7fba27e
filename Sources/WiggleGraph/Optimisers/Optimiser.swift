// Optimiser.swift — gradient steps on parameter values: Adam and plain SGD.

import Foundation
import WiggleCore

/// Updates parameter values from gradients, one step at a time.
public struct Optimiser: Sendable {
    /// Which update rule.
    public enum Kind: String, Sendable {
        /// Kingma & Ba (2015), with bias correction.
        case adam
        /// θ ← θ − lr·g.
        case sgd
    }

    /// The update rule.
    public let kind: Kind
    /// The step size.
    public let learningRate: Double
    /// Adam's decay rate for the running mean of gradients.
    public let beta1: Double
    /// Adam's decay rate for the running mean of squared gradients.
    public let beta2: Double
    /// Added to Adam's denominator so it never divides by zero.
    public let epsilon: Double
    private var firstMoment: [Double]
    private var secondMoment: [Double]
    /// Steps taken so far.
    public private(set) var step = 0

    /// An optimiser for `count` parameters.
    public init(kind: Kind, learningRate: Double, count: Int,
                beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.kind = kind
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        firstMoment = Array(repeating: 0, count: count)
        secondMoment = Array(repeating: 0, count: count)
    }

    /// Moves `values` against `gradient` (to minimise).
    public mutating func step(_ values: inout [Double], gradient: [Double]) {
        step += 1
        switch kind {
        case .sgd:
            for i in values.indices { values[i] -= learningRate * gradient[i] }
        case .adam:
            let correction1 = 1 - Foundation.pow(beta1, Double(step))
            let correction2 = 1 - Foundation.pow(beta2, Double(step))
            for i in values.indices {
                let g = gradient[i]
                firstMoment[i] = beta1 * firstMoment[i] + (1 - beta1) * g
                secondMoment[i] = beta2 * secondMoment[i] + (1 - beta2) * g * g
                let mHat = firstMoment[i] / correction1
                let vHat = secondMoment[i] / correction2
                values[i] -= learningRate * mHat / (vHat.squareRoot() + epsilon)
            }
        }
    }
}
