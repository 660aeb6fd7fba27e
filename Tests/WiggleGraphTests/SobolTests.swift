import Foundation
import Testing
@testable import WiggleCore

/// Sobol' points: the table's sequence against published points (SciPy's
/// unscrambled Sobol' of Joe and Kuo's numbers, in its Gray-code order), and
/// the nets that scrambling keeps.
@Suite struct SobolTests {
    /// The first 32 points of dimensions 0–5, 100 and 1023, bit for bit.
    @Test func theTableGivesThePublishedPoints() {
        let dimensions = [0, 1, 2, 3, 4, 5, 100, 1023]
        let expected: [[UInt32]] = [
            [0, 0, 0, 0, 0, 0, 0, 0],
            [2147483648, 2147483648, 2147483648, 2147483648, 2147483648, 2147483648, 2147483648, 2147483648],
            [3221225472, 1073741824, 1073741824, 1073741824, 3221225472, 3221225472, 1073741824, 3221225472],
            [1073741824, 3221225472, 3221225472, 3221225472, 1073741824, 1073741824, 3221225472, 1073741824],
            [1610612736, 1610612736, 2684354560, 3758096384, 1610612736, 536870912, 2684354560, 3758096384],
            [3758096384, 3758096384, 536870912, 1610612736, 3758096384, 2684354560, 536870912, 1610612736],
            [2684354560, 536870912, 3758096384, 2684354560, 2684354560, 3758096384, 3758096384, 536870912],
            [536870912, 2684354560, 1610612736, 536870912, 536870912, 1610612736, 1610612736, 2684354560],
            [805306368, 1342177280, 4026531840, 1879048192, 2415919104, 1342177280, 268435456, 268435456],
            [2952790016, 3489660928, 1879048192, 4026531840, 268435456, 3489660928, 2415919104, 2415919104],
            [4026531840, 268435456, 2952790016, 805306368, 1342177280, 2415919104, 1342177280, 3489660928],
            [1879048192, 2415919104, 805306368, 2952790016, 3489660928, 268435456, 3489660928, 1342177280],
            [1342177280, 805306368, 1342177280, 2415919104, 4026531840, 1879048192, 2952790016, 4026531840],
            [3489660928, 2952790016, 3489660928, 268435456, 1879048192, 4026531840, 805306368, 1879048192],
            [2415919104, 1879048192, 268435456, 3489660928, 805306368, 2952790016, 4026531840, 805306368],
            [268435456, 4026531840, 2415919104, 1342177280, 2952790016, 805306368, 1879048192, 2952790016],
            [402653184, 2013265920, 2013265920, 2818572288, 1207959552, 4160749568, 2550136832, 3892314112],
            [2550136832, 4160749568, 4160749568, 671088640, 3355443200, 2013265920, 402653184, 1744830464],
            [3623878656, 939524096, 939524096, 3892314112, 2281701376, 939524096, 3623878656, 671088640],
            [1476395008, 3087007744, 3087007744, 1744830464, 134217728, 3087007744, 1476395008, 2818572288],
            [2013265920, 402653184, 3623878656, 1207959552, 671088640, 3623878656, 939524096, 134217728],
            [4160749568, 2550136832, 1476395008, 3355443200, 2818572288, 1476395008, 3087007744, 2281701376],
            [3087007744, 1476395008, 2550136832, 134217728, 3892314112, 402653184, 2013265920, 3355443200],
            [939524096, 3623878656, 402653184, 2281701376, 1744830464, 2550136832, 4160749568, 1207959552],
            [671088640, 671088640, 2281701376, 3623878656, 3623878656, 2818572288, 2281701376, 4160749568],
            [2818572288, 2818572288, 134217728, 1476395008, 1476395008, 671088640, 134217728, 2013265920],
            [3892314112, 1744830464, 3355443200, 2550136832, 402653184, 1744830464, 3355443200, 939524096],
            [1744830464, 3892314112, 1207959552, 402653184, 2550136832, 3892314112, 1207959552, 3087007744],
            [1207959552, 1207959552, 671088640, 939524096, 3087007744, 2281701376, 671088640, 402653184],
            [3355443200, 3355443200, 2818572288, 3087007744, 939524096, 134217728, 2818572288, 2550136832],
            [2281701376, 134217728, 1744830464, 2013265920, 2013265920, 1207959552, 1744830464, 3623878656],
            [134217728, 2281701376, 3892314112, 4160749568, 4160749568, 3355443200, 3892314112, 1476395008],
        ]
        for (n, row) in expected.enumerated() {
            let gray = UInt32(n ^ (n >> 1))
            for (column, dimension) in dimensions.enumerated() {
                #expect(Sobol.point(gray, dimension: dimension) == row[column], "point \(n), dimension \(dimension)")
            }
        }
    }

    /// Each scrambled dimension's first 2^m points fall one in each interval
    /// [k/2^m, (k+1)/2^m); two dimensions' first 2^m points one in each of
    /// 2^m equal boxes of every shape 2^-a × 2^-(m-a) (dimensions 0 and 1
    /// form a (0, m, 2)-net); different keys scramble differently.
    @Test func scramblingKeepsTheNets() {
        let m = 10, count = 1 << m
        for dimension in [0, 1, 7, 500, 1023] {
            let scramble = SobolScramble(dimension: dimension, key: 42)
            var seen = Set<Int>()
            for i in 0..<count {
                let u = scramble.uniform(UInt32(i))
                #expect(u > 0 && u < 1)
                seen.insert(Int(u * Double(count)))
            }
            #expect(seen.count == count, "dimension \(dimension)")
        }
        let first = SobolScramble(dimension: 0, key: 7), second = SobolScramble(dimension: 1, key: 7)
        for a in 0...m {
            var boxes = Set<Int>()
            for i in 0..<count {
                let x = Int(first.uniform(UInt32(i)) * Double(1 << a))
                let y = Int(second.uniform(UInt32(i)) * Double(1 << (m - a)))
                boxes.insert(x << (m - a) | y)
            }
            #expect(boxes.count == count, "boxes 2^-\(a) × 2^-\(m - a)")
        }
        #expect(SobolScramble(dimension: 3, key: 1).uniform(5) != SobolScramble(dimension: 3, key: 2).uniform(5))
    }

    /// The Gray-code fill gives each particle p the point gray(p), as one at a time does.
    @Test func grayOrderFillsAsOneAtATime() {
        let scramble = SobolScramble(dimension: 4, key: 99)
        let out = UnsafeMutablePointer<Double>.allocate(capacity: 300)
        defer { out.deallocate() }
        for first in [0, 1, 255, 1000] as [UInt32] {
            scramble.fillGray(from: first, count: 300, into: out)
            for l in 0..<300 {
                #expect(out[l] == scramble.grayUniform(first + UInt32(l)) && out[l] == scramble.uniform((first + UInt32(l)) ^ ((first + UInt32(l)) >> 1)))
            }
        }
    }

    /// The mean of a scrambled dimension's points over many keys is ½ (each
    /// point is uniform), and its variance 1/12.
    @Test func scrambledPointsAreUniform() {
        var sum = 0.0, squares = 0.0
        let keys = 20_000
        for key in 0..<keys {
            let u = SobolScramble(dimension: 9, key: UInt64(key)).uniform(37)
            sum += u
            squares += u * u
        }
        let mean = sum / Double(keys)
        let variance = squares / Double(keys) - mean * mean
        #expect(abs(mean - 0.5) < 5 * (1.0 / 12 / Double(keys)).squareRoot())
        #expect(abs(variance - 1.0 / 12) < 0.005)
    }
}
