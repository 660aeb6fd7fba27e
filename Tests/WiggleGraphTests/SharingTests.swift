import Foundation
import Testing
@testable import WiggleGraph

/// Shared sub-expressions: the same deterministic op on the same inputs is
/// one node; draws never are; stream keys count every append.
@Suite struct SharingTests {
    @Test func theSameOpOnTheSameInputsIsOneNode() {
        var b = Builder()
        let mu = b.parameter("mu", 0.5)
        let x = b.normal(mu, b.constant(1))
        let first = b.binary(.add, x, b.constant(1))
        let second = b.binary(.add, x, b.constant(1))
        #expect(first == second)
        #expect(b.unary(.exp, first) == b.unary(.exp, second))
        // Another op, other inputs or another order are other nodes.
        #expect(b.binary(.add, b.constant(1), x) != first)
        #expect(b.binary(.subtract, x, b.constant(1)) != first)
        // Each draw is a new random value, even with the same parameters.
        #expect(b.normal(mu, b.constant(1)) != x)
    }

    @Test func drawsKeepTheirStreamsWhateverIsShared() {
        // The same program with and without a repeated sub-expression: the
        // draw after it has the same stream key, so it draws the same numbers.
        var shared = Graph(), plain = Graph()
        let a = shared.append(.parameter(0), at: .unknown), c = plain.append(.parameter(0), at: .unknown)
        _ = shared.append(.unary(.exp, a), at: .unknown)
        _ = shared.append(.unary(.exp, a), at: .unknown)
        _ = plain.append(.unary(.exp, c), at: .unknown)
        _ = plain.append(.unary(.log, c), at: .unknown)
        let one = shared.constant(1)
        let x = shared.append(.random(.normal, [a, one]), at: .unknown)
        let y = plain.append(.random(.normal, [c, plain.constant(1)]), at: .unknown)
        #expect(shared.count == plain.count - 1)
        #expect(shared[x].stream == plain[y].stream)
    }

    @Test func notAcrossIterationsOfALoopOfRandomLength() {
        var graph = Graph()
        let p = graph.append(.parameter(0), at: .unknown)
        graph.currentLoop = LoopTag(loop: 0, iteration: 1)
        let inFirst = graph.append(.unary(.exp, p), at: .unknown)
        graph.currentLoop = LoopTag(loop: 0, iteration: 2)
        let inSecond = graph.append(.unary(.exp, p), at: .unknown)
        #expect(inFirst != inSecond)
        graph.currentLoop = nil
        #expect(graph.append(.unary(.exp, p), at: .unknown) != inFirst)
    }

    @Test func compactionKeepsSharing() {
        var graph = Graph()
        let p = graph.append(.parameter(0), at: .unknown)
        _ = graph.append(.unary(.log, p), at: .unknown)   // dropped
        let kept = graph.append(.unary(.exp, p), at: .unknown)
        let moved = graph.compact(keeping: [kept])
        let now = moved[Int(kept.index)]
        #expect(now != nil && graph.append(.unary(.exp, p), at: .unknown) == now)
    }
}
