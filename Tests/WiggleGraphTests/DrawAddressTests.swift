import Foundation
import Testing
@testable import WiggleGraph

/// A draw's numbers come from its address and its particle: never from the
/// chunk, the number of nodes before it, or the order particles are gathered in.
@Suite struct DrawAddressTests {
    /// E[x] and E[x²] of one normal draw, run with a given chunk size.
    func moments(chunkSize: Int, threads: Int = 1, extraNodes: Int = 0) throws -> [Moments] {
        var b = Builder()
        // Deterministic nodes before the draw change nothing it draws.
        var filler = b.constant(1)
        for k in 0..<extraNodes { filler = b.binary(.add, filler, b.constant(Double(k + 2))) }
        let x = b.normal(b.constant(0.5), b.constant(2))
        let square = b.binary(.multiply, x, x)
        let plan = Plan(graph: b.graph, outputs: [x, square], gradientParameters: [], estimators: [:])
        var configuration = EngineConfiguration(particles: 5_000, seed: 7, threads: threads, chunkSize: chunkSize)
        configuration.parallelWork = 0
        return try Runner(plan: plan).run(graph: b.graph, configuration: configuration).outputs
    }

    @Test func theChunkSizeMovesNoDraw() throws {
        // The particles' values are the same whatever the chunks: only the
        // order of the sums can differ, in the last bits.
        let reference = try moments(chunkSize: 256)
        for size in [1, 7, 64, 1_000] {
            let other = try moments(chunkSize: size)
            for (a, b) in zip(reference, other) {
                #expect(abs(a.mean - b.mean) <= 1e-12 * max(1, abs(a.mean)), "chunk \(size)")
                #expect(abs(a.variance - b.variance) <= 1e-10 * max(1, a.variance), "chunk \(size)")
            }
        }
    }

    @Test func deterministicNodesBeforeADrawMoveNothing() throws {
        let reference = try moments(chunkSize: 256)
        let other = try moments(chunkSize: 256, extraNodes: 25)
        #expect(reference.map(\.mean.bitPattern) == other.map(\.mean.bitPattern))
    }

    @Test func addressesFollowFrames() {
        var addresses = DrawAddresses()
        let first = addresses.next()
        // A call that draws nothing takes no place.
        addresses.enter(.call)
        addresses.leave()
        addresses.enter(.call)
        let inCall = addresses.next()
        addresses.leave()
        addresses.enter(.call)
        let inSecondCall = addresses.next()
        addresses.leave()
        let after = addresses.next()
        #expect(Set([first, inCall, inSecondCall, after]).count == 4)

        // The same path gives the same addresses.
        var again = DrawAddresses()
        _ = again.next()
        again.enter(.call)
        let sameCall = again.next()
        again.leave()
        #expect(sameCall == inCall)

        // A loop's iterations are placed by number.
        var loop = DrawAddresses()
        loop.enter(.loop)
        loop.enter(.iteration, index: 0)
        let zero = loop.next()
        loop.leave()
        loop.enter(.iteration, index: 1)
        let one = loop.next()
        loop.truncate(to: 1)
        var skipping = DrawAddresses()
        skipping.enter(.loop)
        skipping.enter(.iteration, index: 1)
        #expect(skipping.next() == one)
        #expect(zero != one)
    }

    @Test func aSubAddressIsAStreamOfItsOwn() {
        let streams = ParticleStreams(seed: 3, draw: 1, address: 42, first: 100)
        var a = streams.generator(0), b = streams.sub(9).generator(0)
        #expect(a.next() != b.next())
        // Lane l of a chunk starting at 100 is particle 100 + l, whichever way it is reached.
        var direct = ParticleStreams(seed: 3, draw: 1, address: 42, first: 105).generator(0)
        var viaLane = streams.generator(5)
        #expect(direct.next() == viaLane.next())
        let positions: [Int32] = [5, 2]
        positions.withUnsafeBufferPointer { buffer in
            var gathered = ParticleStreams(seed: 3, draw: 1, address: 42, first: 100, positions: buffer.baseAddress).generator(0)
            var plain = streams.generator(5)
            #expect(gathered.next() == plain.next())
        }
    }
}
