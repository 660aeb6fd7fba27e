// Workspace+Forward.swift — the forward pass over a chunk: every
// instruction is one loop over the lanes, calling the rule of its function
// or the sampler of its distribution.

import WiggleCore
import WiggleDistributions

extension Workspace {
    func forward(chunk: Int, lanes m: Int, configuration: EngineConfiguration, partial: inout Partial) {
        run(UnsafeBufferPointer(perParticle), chunk: chunk, lanes: m, seed: configuration.seed,
            draw: configuration.draw, partial: &partial)
    }

    /// Runs instructions forward over the first `m` lanes (of `base`, or of the values).
    /// `positions` gives each lane's position in its chunk when the lanes
    /// are a loop iteration's gathered particles (their draws are keyed by it).
    func run(_ instructions: UnsafeBufferPointer<Instruction>, chunk: Int, lanes m: Int, seed: UInt64, draw: UInt64,
             partial: inout Partial, on base: UnsafeMutablePointer<Double>? = nil, stride: Int? = nil,
             positions: UnsafePointer<Int32>? = nil) {
        // Rows are `stride` apart: the chunk's size, or a loop iteration's lanes.
        let C = stride ?? chunkSize
        let v = base ?? values
        for instruction in instructions {
            let o = v + Int(instruction.out) * C
            let a = v + Int(Swift.max(instruction.a, 0)) * C
            let b = v + Int(Swift.max(instruction.b, 0)) * C
            switch instruction.code {
            case .unary(let function):
                if !VectorMath.forward(function, a, o, m) {
                    function.withRule(ForwardUnary(out: o, a: a, lanes: m))
                }
            case .binary(let function):
                if !VectorMath.forward(function, a, b, o, m) {
                    function.withRule(ForwardBinary(out: o, a: a, b: b, lanes: m))
                }
            case .square:
                if !VectorMath.square(a, o, m) {
                    ForwardUnary(out: o, a: a, lanes: m).visit(BinaryRules.Square.self)
                }
            case .select:
                let c = v + Int(instruction.c) * C
                // A nan condition (a value undefined in this particle) is nan, never true.
                if !VectorMath.select(c, a, b, o, m) {
                    for l in 0..<m { o[l] = c[l] == 0 ? b[l] : (c[l] == c[l] ? a[l] : .nan) }
                }
            case .pick:
                let table = pickTables[Int(instruction.table)]
                var bad = 0
                var example = 0.0
                for l in 0..<m {
                    if let k = Graph.resolveIndex(a[l], count: table.count) {
                        o[l] = v[Int(table[k]) * C + l]
                    } else {
                        if bad == 0 { example = a[l] }
                        bad += 1
                        o[l] = .nan
                    }
                }
                if bad > 0 {
                    record(instruction, .index(count: table.count), value: example, count: bad, partial: &partial)
                }
            case .loopExit:
                // A loop run unrolled: particles still running at the end hit the limit.
                let c = v + Int(instruction.c) * C
                var running = 0
                for l in 0..<m {
                    o[l] = a[l]
                    if c[l] != 0 { running += 1 }
                }
                if running > 0 {
                    record(instruction, .loopLimit(loop: Int(instruction.table)), value: 0, count: running, partial: &partial)
                }
            case .loop:
                // Counterfactual re-runs never reach a loop (the analysis keeps them out).
                if base == nil {
                    runLoop(Int(instruction.table), chunk: chunk, lanes: m, seed: seed, draw: draw, partial: &partial)
                }
            case .random:
                // Each particle draws from its own stream, keyed by the
                // draw's address and the particle's index.
                let call = randomCall(instruction, base: v, lanes: m, stride: C)
                let streams = ParticleStreams(seed: seed, draw: draw, address: instruction.stream,
                                              first: chunk * chunkSize, positions: positions)
                let distribution = calls[Int(instruction.table)].distribution
                let failure: SampleFailure?
                if antithetic, let inverse = distribution as? any InverseSampling {
                    // Antithetic pairs: the same draws, by inversion of u and 1 − u.
                    for l in 0..<m { pairScratch[l] = streams.antitheticUniform(l) }
                    failure = inverse.sampleByInversion(call, uniforms: pairScratch, streams: streams)
                } else if quasi, calls[Int(instruction.table)].quasiDimension >= 0, let shift = quasiShift,
                          calls[Int(instruction.table)].quasiDimension + Int(shift) < Plan.quasiDimensionLimit,
                          let inverse = distribution as? any InverseSampling {
                    // Scrambled Sobol' points: particle p takes point gray(p), so a
                    // chunk's run of particles steps through the net one direction
                    // number at a time.
                    let dimension = calls[Int(instruction.table)].quasiDimension + Int(shift)
                    let scramble = scrambles[dimension] ?? {
                        let made = SobolScramble(dimension: dimension, key: splitMix64(seed ^ splitMix64(draw ^ 0x7271_6D63)))
                        scrambles[dimension] = made
                        return made
                    }()
                    let first = chunk * chunkSize
                    if let positions {
                        for l in 0..<m { pairScratch[l] = scramble.grayUniform(UInt32(truncatingIfNeeded: first + Int(positions[l]))) }
                    } else {
                        scramble.fillGray(from: UInt32(truncatingIfNeeded: first), count: m, into: pairScratch)
                    }
                    failure = inverse.sampleByInversion(call, uniforms: pairScratch, streams: streams)
                } else {
                    failure = distribution.sample(call, streams: streams)
                }
                if let failure {
                    record(instruction, .parameter(failure.problem), value: failure.value, count: failure.count,
                           partial: &partial)
                }
            }
        }
    }

    func record(_ instruction: Instruction, _ kind: FailureKind, value: Double, count: Int, partial: inout Partial) {
        let key = instruction.node.index
        if let existing = partial.failures[key] {
            partial.failures[key] = (existing.count + count, existing.value, existing.what)
        } else {
            partial.failures[key] = (count, value, kind)
        }
    }
}

/// `out = f(a)` over the lanes, specialised for each rule.
struct ForwardUnary: UnaryRuleVisitor {
    let out: UnsafeMutablePointer<Double>
    let a: UnsafeMutablePointer<Double>
    let lanes: Int

    @inline(__always)
    func visit<Rule: UnaryRule>(_ rule: Rule.Type) {
        for l in 0..<lanes { out[l] = Rule.value(a[l]) }
    }
}

/// `out = f(a, b)` over the lanes, specialised for each rule.
struct ForwardBinary: BinaryRuleVisitor {
    let out: UnsafeMutablePointer<Double>
    let a: UnsafeMutablePointer<Double>
    let b: UnsafeMutablePointer<Double>
    let lanes: Int

    @inline(__always)
    func visit<Rule: BinaryRule>(_ rule: Rule.Type) {
        for l in 0..<lanes { out[l] = Rule.value(a[l], b[l]) }
    }
}
