import Foundation
import Testing
@testable import WiggleGraph

/// The engine's forward and reverse loops run the same rule that
/// `apply` / `derivative` / `partials` expose (and ScalarOpsTests checks
/// against finite differences): through the engine, a parameter pushed
/// through one function gives exactly that value and that derivative —
/// or, for a function with a chunk kernel in use (VectorMath), exactly
/// what that kernel gives (VectorMathTests bounds its distance from the rule).
@Suite struct RuleTableTests {
    func engineValueAndGradient(_ build: (inout Graph, NodeID, NodeID) -> NodeID, a: Double, b: Double)
        throws -> (value: Double, da: Double, db: Double) {
        var graph = Graph()
        let pa = graph.addParameter(name: "a", value: a, at: .unknown)
        let pb = graph.addParameter(name: "b", value: b, at: .unknown)
        let root = build(&graph, graph.parameters[pa].node, graph.parameters[pb].node)
        let plan = Plan(graph: graph, outputs: [root], gradientParameters: [pa, pb])
        let result = try Runner(plan: plan).run(graph: graph, configuration: EngineConfiguration(particles: 1, threads: 1))
        return (result.outputs[0].mean, result.gradient[0].mean, result.gradient[1].mean)
    }

    @Test(arguments: UnaryFunction.allCases)
    func unaryRuleIsWhatTheEngineRuns(function: UnaryFunction) throws {
        for x in [-1.7, 0.3, 2.2] {
            let input = function.needsPositive ? abs(x) : x
            let run = try engineValueAndGradient({ graph, a, _ in graph.append(.unary(function, a), at: .unknown) },
                                                 a: input, b: 0)
            let value = VectorMath.apply(function, [input])[0]
            #expect(run.value == value, "\(function)(\(input))")
            var expected = function.continuity == .discontinuous ? 0 : function.derivative(input, result: value)
            var one = 1.0, a = input, y = value, kernel = 0.0, scratch = 0.0
            if VectorMath.backward(function, adjoint: &one, a: &a, out: &y, toA: &kernel, lanes: 1, scratch: &scratch) {
                expected = kernel
            }
            #expect(run.da == expected, "\(function)'(\(input))")
        }
    }

    @Test(arguments: BinaryFunction.allCases)
    func binaryRuleIsWhatTheEngineRuns(function: BinaryFunction) throws {
        for (x, y) in [(1.7, 0.6), (2.5, -1.2), (0.3, 3.0)] {
            let run = try engineValueAndGradient({ graph, a, b in graph.append(.binary(function, a, b), at: .unknown) },
                                                 a: x, b: y)
            let value = function.apply(x, y)
            #expect(run.value == value, "\(function)(\(x), \(y))")
            let (da, db) = function.continuity == .discontinuous ? (0, 0) : function.partials(x, y, result: value)
            #expect(run.da == da && run.db == db, "\(function) partials at (\(x), \(y))")
        }
    }

    /// An adjoint of exactly 0 passes nothing back, even where the local
    /// derivative is infinite: select(false, exp(a), 1) at a = 800, where
    /// exp overflows and 0 · ∞ would be undefined.
    @Test func zeroAdjointPassesNothingBack() throws {
        let run = try engineValueAndGradient({ graph, a, _ in
            let expA = graph.append(.unary(.exp, a), at: .unknown)
            return graph.append(.select(graph.constant(0), expA, graph.constant(1)), at: .unknown)
        }, a: 800, b: 0)
        #expect(run.value == 1)
        #expect(run.da == 0)
    }

    /// Where a and b are the same in every lane, the reverse sweep computes
    /// a rule's partials once and multiplies each lane's adjoint by them:
    /// lane for lane the bits of the rule run per lane, zeros, infinities and nan included.
    @Test(arguments: BinaryFunction.allCases)
    func uniformInputsGiveTheLaneByLaneBits(function: BinaryFunction) {
        let adjoints: [Double] = [0, 1, -2.5, 1e-300, .infinity, 3.75, -0.0, .nan]
        for (x, y) in [(1.7, 0.6), (2.5, -1.2), (0.0, 3.0), (-2.0, 0.5), (4.0, 0.0)] {
            let lanes = adjoints.count
            var a = [Double](repeating: x, count: lanes), b = [Double](repeating: y, count: lanes)
            var out = [Double](repeating: function.apply(x, y), count: lanes)
            var g = adjoints
            func sweep(uniform: Bool) -> [Double] {
                var ga = [Double](repeating: 0.5, count: lanes), gb = [Double](repeating: -0.25, count: lanes)
                ga.withUnsafeMutableBufferPointer { ga in
                    gb.withUnsafeMutableBufferPointer { gb in
                        function.withRule(BackwardBinary(adjoint: &g, a: &a, b: &b, out: &out, toA: ga.baseAddress,
                                                         toB: gb.baseAddress, lanes: lanes, uniform: uniform))
                    }
                }
                return ga + gb
            }
            let once = sweep(uniform: true), perLane = sweep(uniform: false)
            #expect(once.map(\.bitPattern) == perLane.map(\.bitPattern), "\(function) at (\(x), \(y))")
        }
    }
}

/// What each built-in distribution says about itself.
@Suite struct DistributionTests {
    @Test func registryHasTheBuiltinsByName() {
        #expect(DistributionRegistry.id(named: "normal") == .normal)
        #expect(DistributionRegistry.id(named: "bernoulli") == .bernoulli)
        #expect(DistributionRegistry.id(named: "nope") == nil)
        #expect(DistributionRegistry[.normal].parameterNames == ["mu", "sigma"])
        #expect(DistributionRegistry[.bernoulli].outcomes == [1, 0])
    }

    @Test func logDensitiesAgainstClosedForms() {
        let normal = Normal()
        for (x, mu, sigma) in [(0.3, -1.0, 2.0), (4.0, 4.0, 0.5), (-2.0, 1.0, 1.0)] {
            let exact = log(exp(-0.5 * pow((x - mu) / sigma, 2)) / (sigma * (2 * Double.pi).squareRoot()))
            #expect(abs(normal.logDensity(x, parameters: [mu, sigma]) - exact) < 1e-12)
        }
        #expect(Bernoulli().logDensity(1, parameters: [0.3]) == log(0.3))
        #expect(Bernoulli().logDensity(0, parameters: [0.3]) == log(0.7))
    }

    @Test func parameterChecksSpeakOneLanguage() {
        #expect(Normal().problem(parameter: 1, value: -1)?.message(got: -1) == "sigma must be > 0 (got -1)")
        #expect(Normal().problem(parameter: 1, value: 0.5) == nil)
        #expect(Normal().problem(parameter: 0, value: .infinity) == Normal.invalidMean)
        #expect(Bernoulli().problem(parameter: 0, value: 1.5)?.message(got: 1.5, count: 3, of: 10)
            == "p must be between 0 and 1 (got 1.5 in 3 of 10 particles)")
        #expect(Bernoulli().problem(parameter: 0, value: 1) == nil)
    }
}
