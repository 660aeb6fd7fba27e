import Testing
@testable import WiggleGraph

/// A loop whose score terms add up as it runs lets a draw of one shared
/// parameter add its score to the particles' sums itself (``ScoreSums``):
/// the bits must be those of a weight of 1 walked back to the parameter's
/// row and added from there, and a parameter that differs between lanes
/// must be left to that path.
@Suite struct ScoreSumTests {
    @Test func bernoulliAddsWhatTheWalkBackWouldHave() {
        let m = 37, particles = 64
        let values = UnsafeMutablePointer<Double>.allocate(capacity: 2 * m)
        let adjoints = UnsafeMutablePointer<Double>.allocate(capacity: 2 * m)
        let ones = [Double](repeating: 1, count: m)
        defer { values.deallocate(); adjoints.deallocate() }
        // The lanes' particles: increasing, with gaps (those that left).
        let ids = (0..<m).map { Int32($0 + $0 / 3) }
        var walked = (0..<particles).map { 0.25 * Double($0) }
        var summed = walked
        let slots: [Int32] = [1], carries = [true]
        for p in [0.3, 1.0] {
            for l in 0..<m { values[m + l] = p }
            adjoints.initialize(repeating: 0, count: 2 * m)
            slots.withUnsafeBufferPointer { slots in
                carries.withUnsafeBufferPointer { carries in
                    let call = RandomCall(count: m, output: values, values: values, adjoints: adjoints, stride: m,
                                          slots: slots.baseAddress!, carries: carries.baseAddress!, parameterCount: 1)
                    #expect(Bernoulli().sample(call, streams: ParticleStreams(seed: 5, draw: 1, address: 9, first: 0)) == nil)
                    ones.withUnsafeBufferPointer { Bernoulli().addScore(call, weights: $0.baseAddress!) }
                    for l in 0..<m { walked[Int(ids[l])] += adjoints[m + l] }
                    let done = summed.withUnsafeMutableBufferPointer { sums in
                        ids.withUnsafeBufferPointer { Bernoulli().addScore(call, toSums: sums.baseAddress!, lanes: $0.baseAddress!) }
                    }
                    #expect(done)
                }
            }
        }
        #expect(walked.map(\.bitPattern) == summed.map(\.bitPattern))
        // Parameters that differ between lanes: nothing done.
        for l in 0..<m { values[m + l] = 0.2 + 0.01 * Double(l) }
        let before = summed
        slots.withUnsafeBufferPointer { slots in
            carries.withUnsafeBufferPointer { carries in
                let call = RandomCall(count: m, output: values, values: values, adjoints: adjoints, stride: m,
                                      slots: slots.baseAddress!, carries: carries.baseAddress!, parameterCount: 1)
                let done = summed.withUnsafeMutableBufferPointer { sums in
                    ids.withUnsafeBufferPointer { Bernoulli().addScore(call, toSums: sums.baseAddress!, lanes: $0.baseAddress!) }
                }
                #expect(!done)
            }
        }
        #expect(summed == before)
    }
}
