import Testing
@testable import WiggleGraph

/// Issue 32: a draw whose parameters the plan knows to be the same in every
/// lane (no random ancestor) checks them on one lane, not a pass over all:
/// the same draws, the same failures (what, the value, how many lanes) as
/// the pass over every lane.
@Suite struct UniformParameterTests {
    /// A two-parameter draw's values and failure over 37 lanes, each
    /// parameter's row filled with one value, with the plan's mark set or not.
    func draws(_ distribution: any Distribution, _ first: Double, _ second: Double,
               marked: Bool) -> (bits: [UInt64], failure: String?) {
        let m = 37
        let values = UnsafeMutablePointer<Double>.allocate(capacity: 3 * m)
        defer { values.deallocate() }
        (values + m).update(repeating: first, count: m)
        (values + 2 * m).update(repeating: second, count: m)
        let slots: [Int32] = [1, 2], carries = [false, false]
        return slots.withUnsafeBufferPointer { slots in
            carries.withUnsafeBufferPointer { carries in
                let call = RandomCall(count: m, output: values, values: values, adjoints: values, stride: m,
                                      slots: slots.baseAddress!, carries: carries.baseAddress!, parameterCount: 2,
                                      uniformBits: marked ? 0b11 : 0)
                #expect(call.isUniform(0) == marked && call.isUniform(1) == marked)
                let failure = distribution.sample(call, streams: ParticleStreams(seed: 5, draw: 2, address: 9, first: 64))
                let words = failure.map { "\($0.problem.subject) \($0.problem.requirement) \($0.value.bitPattern) \($0.count)" }
                return ((0..<m).map { values[$0].bitPattern }, words)
            }
        }
    }

    @Test func oneLaneStandsForAll() {
        for (mean, sd) in [(0.3, 1.5), (0, -1), (2, 0), (.nan, 1), (.infinity, 2), (1, .infinity), (1, .nan)] {
            let marked = draws(Normal(), mean, sd, marked: true), scanned = draws(Normal(), mean, sd, marked: false)
            #expect(marked.failure == scanned.failure, "mean \(mean), sd \(sd)")
            if marked.failure == nil { #expect(marked.bits == scanned.bits, "mean \(mean), sd \(sd)") }
        }
        #expect(draws(Normal(), 0, -1, marked: true).failure?.hasSuffix(" 37") == true)
    }

    /// The same for a uniform, whose choice coins (0 to 1) skip the map.
    @Test func aUniformsBoundsOnOneLane() {
        for (low, high) in [(0.0, 1.0), (-2, 3.5), (1, 1), (2, 1), (0, .infinity), (.nan, 1)] {
            let marked = draws(Uniform(), low, high, marked: true), scanned = draws(Uniform(), low, high, marked: false)
            #expect(marked.failure == scanned.failure, "\(low) ... \(high)")
            if marked.failure == nil { #expect(marked.bits == scanned.bits, "\(low) ... \(high)") }
        }
    }

    /// The plan marks a parameter with no random ancestor, and only those.
    @Test func thePlanMarksTheParametersWithoutARandomAncestor() {
        var graph = Graph()
        let mu = graph.addParameter(name: "mu", value: 0.5, at: .unknown)
        let one = graph.constant(1)
        let x = graph.append(.random(.normal, [graph.parameters[mu].node, one]), at: .unknown)
        let y = graph.append(.random(.normal, [x, graph.append(.unary(.exp, graph.parameters[mu].node), at: .unknown)]), at: .unknown)
        let plan = Plan(graph: graph, outputs: [y], gradientParameters: [mu])
        #expect(plan.randomCalls.map(\.uniformBits) == [0b11, 0b10])
    }
}
