// Random.swift — random streams: xoshiro256** seeded by SplitMix64, and a
// ziggurat normal generator.
//
// Every chunk of particles draws each node's numbers from its own stream,
// derived from (seed, draw, chunk, node): results depend on the seed alone,
// never on how chunks are spread over threads.

import Foundation

/// SplitMix64: a fast 64-bit mixer, used to seed and to derive streams.
@inlinable
public func splitMix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// xoshiro256** (Blackman & Vigna): small state, fast, and good enough for Monte Carlo.
public struct Xoshiro256: Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    /// A generator seeded from one 64-bit value through SplitMix64.
    @inlinable
    public init(seed: UInt64) {
        var x = seed
        x = splitMix64(x); s0 = x
        x = splitMix64(x); s1 = x
        x = splitMix64(x); s2 = x
        x = splitMix64(x); s3 = x
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// The stream for one node of one chunk of one draw.
    @inlinable
    public init(seed: UInt64, draw: UInt64, chunk: UInt64, node: UInt64) {
        let key = splitMix64(splitMix64(splitMix64(seed ^ 0x5769_6767_6C65) ^ draw) ^ (chunk &* 0x1000_0000_1)) ^ node
        self.init(seed: splitMix64(key))
    }

    @inlinable
    public mutating func next() -> UInt64 {
        Xoshiro256.step(&s0, &s1, &s2, &s3)
    }

    /// One step of xoshiro256** on four words of state. Callers that keep
    /// the state in locals (so it stays in registers) step it with this too.
    @inlinable @inline(__always)
    public static func step(_ s0: inout UInt64, _ s1: inout UInt64, _ s2: inout UInt64, _ s3: inout UInt64) -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A whole number in 0..<bound (for tests and tools; slightly biased
    /// towards small numbers unless bound divides 2⁶⁴).
    public mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(max(1, bound)))
    }

    /// A uniform double in [0, 1), from the top 53 bits.
    @inlinable
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in (0, 1): never 0, so its log is finite.
    @inlinable
    public mutating func uniformOpen() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// A standard normal variate, by the ziggurat method.
    @inlinable
    public mutating func normal() -> Double {
        Ziggurat.sample(&self)
    }
}

/// The ziggurat method for normal variates (Marsaglia & Tsang, 2000), in
/// Doornik's form with 128 layers (ZIGNOR). One 64-bit draw serves the fast
/// path (about 98.8% of calls): its top 53 bits give the abscissa, its low 7 bits the layer.
public enum Ziggurat {
    /// The number of layers in the ziggurat.
    public static let layers = 128
    @usableFromInline static let r = 3.442619855899
    @usableFromInline static let v = 9.91256303526217e-3

    /// Layer edges x[0...128], then the ratios x[i+1]/x[i] at offset 129.
    /// Allocated once and never freed, so hot loops can hold a plain pointer.
    nonisolated(unsafe) public static let table: UnsafePointer<Double> = {
        let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 2 * layers + 1)
        var f = Foundation.exp(-0.5 * r * r)
        buffer[0] = v / f
        buffer[1] = r
        buffer[layers] = 0
        for i in 2..<layers {
            buffer[i] = (-2 * Foundation.log(v / buffer[i - 1] + f)).squareRoot()
            f = Foundation.exp(-0.5 * buffer[i] * buffer[i])
        }
        for i in 0..<layers { buffer[layers + 1 + i] = buffer[i + 1] / buffer[i] }
        return UnsafePointer(buffer)
    }()

    /// Fills `count` doubles with standard normal variates.
    ///
    /// The generator's state lives in locals, so it stays in registers; it
    /// goes back to memory only around the rare slow path (about 1.2% of draws).
    @inlinable
    public static func fill(_ out: UnsafeMutablePointer<Double>, count: Int, rng: inout Xoshiro256) {
        let xs = table
        var s0 = rng.s0, s1 = rng.s1, s2 = rng.s2, s3 = rng.s3
        var l = 0
        while l < count {
            let bits = Xoshiro256.step(&s0, &s1, &s2, &s3)
            let u = 2 * (Double(bits >> 11) * 0x1.0p-53) - 1
            let i = Int(bits & 0x7F)
            if Swift.abs(u) < xs[layers + 1 + i] {
                out[l] = u * xs[i]
                l += 1
                continue
            }
            rng.s0 = s0; rng.s1 = s1; rng.s2 = s2; rng.s3 = s3
            if let value = slowPath(u: u, layer: i, rng: &rng) {
                out[l] = value
                l += 1
            }
            s0 = rng.s0; s1 = rng.s1; s2 = rng.s2; s3 = rng.s3
        }
        rng.s0 = s0; rng.s1 = s1; rng.s2 = s2; rng.s3 = s3
    }

    /// One standard normal variate.
    @inlinable
    public static func sample(_ rng: inout Xoshiro256) -> Double {
        sample(&rng, table: table)
    }

    /// One standard normal variate, with the table pointer hoisted by the caller.
    @inlinable
    public static func sample(_ rng: inout Xoshiro256, table: UnsafePointer<Double>) -> Double {
        while true {
            let bits = rng.next()
            let u = 2 * (Double(bits >> 11) * 0x1.0p-53) - 1
            let i = Int(bits & 0x7F)
            if Swift.abs(u) < table[layers + 1 + i] { return u * table[i] }
            if let value = slowPath(u: u, layer: i, rng: &rng) { return value }
        }
    }

    /// The tail and the wedges: rare, so kept out of line.
    @usableFromInline
    static func slowPath(u: Double, layer i: Int, rng: inout Xoshiro256) -> Double? {
        let xs = table
        if i == 0 {
            // The base layer: sample the tail beyond r.
            var a: Double, b: Double
            repeat {
                a = Foundation.log(rng.uniformOpen()) / r
                b = Foundation.log(rng.uniformOpen())
            } while -2 * b < a * a
            return u < 0 ? a - r : r - a
        }
        let candidate = u * xs[i]
        let f0 = Foundation.exp(-0.5 * (xs[i] * xs[i] - candidate * candidate))
        let f1 = Foundation.exp(-0.5 * (xs[i + 1] * xs[i + 1] - candidate * candidate))
        if f1 + rng.uniform() * (f0 - f1) < 1 { return candidate }
        return nil
    }
}
