import CVectorKernels
import Testing
@testable import WiggleGraph

/// The particles' generator over four (AVX2) or eight (AVX-512) lanes at
/// once must give every lane the bits of the Swift loop (the same stream,
/// whatever the processor), for a p the lanes share and for their own p's,
/// lanes in order or gathered (a loop's particles still running), and
/// with the outcome at p = 0 and 1 and for a nan p as the loop has it.
@Suite(.serialized) struct RandomKernelTests {
    func draws(cap: Int32, shared: Double?, each: [Double], positions: [Int32]?) -> [UInt64] {
        let m = each.count
        wiggle_rk_set_cap(cap)
        defer { wiggle_rk_set_cap(-1) }
        let values = UnsafeMutablePointer<Double>.allocate(capacity: 2 * m)
        defer { values.deallocate() }
        for l in 0..<m { values[m + l] = shared ?? each[l] }
        let slots: [Int32] = [1], carries = [false]
        return slots.withUnsafeBufferPointer { slots in
            carries.withUnsafeBufferPointer { carries in
                let call = RandomCall(count: m, output: values, values: values, adjoints: values, stride: m,
                                      slots: slots.baseAddress!, carries: carries.baseAddress!, parameterCount: 1)
                func sample(_ positions: UnsafePointer<Int32>?) {
                    let streams = ParticleStreams(seed: 3, draw: 7, address: 11, first: 4096, positions: positions)
                    _ = Bernoulli().sample(call, streams: streams)
                }
                if let positions { positions.withUnsafeBufferPointer { sample($0.baseAddress) } } else { sample(nil) }
                return (0..<m).map { values[$0].bitPattern }
            }
        }
    }

    @Test func everyPathGivesTheLoopsBits() {
        // 37 lanes: whole vectors and a tail of each width.
        let m = 37
        var each: [Double] = (0..<m).map { (l: Int) -> Double in
            let step = Double(l % 7 - 3) / 3
            return 0.5 + 0.49 * step
        }
        each[3] = 0; each[4] = 1; each[5] = Double.nan; each[6] = 1e-300; each[7] = 0.9999999999999999
        let gathered = (0..<m).map { Int32($0 * 3 + $0 % 2) }
        let levels = (0...Int32(wiggle_rk_level())).map { $0 }
        #expect(levels.count >= 1)
        for positions in [nil, gathered] {
            for shared in [nil, 0.3, 0.998, 0.0, 1.0] as [Double?] {
                let loop = draws(cap: 0, shared: shared, each: each, positions: positions)
                // The outcomes are the coin's: not all the same where p is inside (0, 1).
                if shared == 0.3 { #expect(Set(loop).count == 2) }
                for level in levels.dropFirst() {
                    #expect(draws(cap: level, shared: shared, each: each, positions: positions) == loop,
                            "level \(level), p \(shared.map { "\($0)" } ?? "per lane"), \(positions == nil ? "in order" : "gathered")")
                }
            }
        }
    }

    /// A uniform's draws on every path: the loop's bits, lanes in order or gathered.
    @Test func everyPathGivesTheUniformLoopsBits() {
        let m = 37
        func draws(cap: Int32, positions: [Int32]?) -> [UInt64] {
            wiggle_rk_set_cap(cap)
            defer { wiggle_rk_set_cap(-1) }
            let values = UnsafeMutablePointer<Double>.allocate(capacity: 3 * m)
            defer { values.deallocate() }
            for l in 0..<m {
                values[m + l] = -1.5 + 0.01 * Double(l)
                values[2 * m + l] = 2 + 0.1 * Double(l)
            }
            let slots: [Int32] = [1, 2], carries = [false, false]
            return slots.withUnsafeBufferPointer { slots in
                carries.withUnsafeBufferPointer { carries in
                    let call = RandomCall(count: m, output: values, values: values, adjoints: values, stride: m,
                                          slots: slots.baseAddress!, carries: carries.baseAddress!, parameterCount: 2)
                    func sample(_ positions: UnsafePointer<Int32>?) {
                        let streams = ParticleStreams(seed: 5, draw: 2, address: 13, first: 1 << 20, positions: positions)
                        #expect(Uniform().sample(call, streams: streams) == nil)
                    }
                    if let positions { positions.withUnsafeBufferPointer { sample($0.baseAddress) } } else { sample(nil) }
                    return (0..<m).map { values[$0].bitPattern }
                }
            }
        }
        let gathered = (0..<m).map { Int32($0 * 5 + $0 % 3) }
        for positions in [nil, gathered] {
            let loop = draws(cap: 0, positions: positions)
            #expect(Set(loop).count == m)
            for level in (0...Int32(wiggle_rk_level())).dropFirst() {
                #expect(draws(cap: level, positions: positions) == loop, "level \(level)")
            }
        }
    }
}
