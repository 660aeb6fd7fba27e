// Random.swift — random streams: xoshiro256** seeded by SplitMix64, and a
// ziggurat normal generator.
//
// A draw's numbers in a particle come from a generator keyed by (seed,
// evaluation, the draw's address, the particle's index) alone: SplitMix64
// hashes the four into the generator's state, so any particle's numbers can
// be computed directly (counter-based, as Philox or Threefry keys are), and
// results never depend on chunks, threads, processes or the other nodes.

import Foundation

/// SplitMix64: a fast 64-bit mixer, used to seed and to derive streams.
@inlinable
public func splitMix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// FNV-1a, 64 bits: a hash that is the same on every machine (for seeds
/// derived from names, and for checking that MPI ranks agree).
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    /// Adds bytes, one at a time.
    public mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes { add(word: UInt64(byte)) }
    }

    /// Adds a 64-bit word in one step.
    public mutating func add(word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01B3
    }
}

/// A source of random 64-bit words, and the numbers samplers make of them.
public protocol RandomSource {
    /// The next 64 random bits.
    mutating func next() -> UInt64
}

extension RandomSource {
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
        Ziggurat.sample(&self, table: Ziggurat.table)
    }
}

/// One particle's numbers for one draw: a counter-based generator. Word k
/// is wyrand's mix (Wang Yi's: one 64×64→128-bit multiply of the counter by
/// itself xor a constant, folded) of the counter `key ⊕ particle·c + k·γ` —
/// a Weyl sequence started at a point set by the draw's key (a SplitMix64
/// hash of seed, evaluation and address) and the particle. Any particle's
/// numbers are computed directly, with one wide multiply per word.
public struct ParticleRandom: RandomSource, Sendable {
    @usableFromInline var counter: UInt64

    /// The generator of `particle` under `key`.
    @inlinable
    public init(key: UInt64, particle: UInt64) {
        counter = key ^ (particle &* 0xD6E8_FEB8_6659_FD93)
    }

    @inlinable
    public mutating func next() -> UInt64 {
        counter &+= 0xA076_1D64_78BD_642F
        let product = counter.multipliedFullWidth(by: counter ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }
}

/// xoshiro256** (Blackman & Vigna): small state, fast, and good enough for Monte Carlo.
public struct Xoshiro256: RandomSource, Sendable {
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
}

/// The random numbers of one draw over a chunk of particles: lane l's
/// generator is keyed by the seed, the evaluation (each `E[...]`, gradient
/// or optimiser step draws afresh), the draw's address and the particle's
/// index, and by nothing else.
public struct ParticleStreams {
    /// The seed, evaluation and address, mixed.
    @usableFromInline let key: UInt64
    /// The index of the chunk's first particle.
    @usableFromInline let first: UInt64
    /// For lanes gathered out of order (the particles still in a loop's
    /// iteration): each lane's position in its chunk; nil when lane l is position l.
    @usableFromInline let positions: UnsafePointer<Int32>?

    /// The streams of the draw at `address` for the particles from `first` on.
    @inlinable
    public init(seed: UInt64, draw: UInt64, address: UInt64, first: Int, positions: UnsafePointer<Int32>? = nil) {
        key = splitMix64(splitMix64(splitMix64(seed ^ 0x5769_6767_6C65) ^ draw) ^ address)
        self.first = UInt64(first)
        self.positions = positions
    }

    @inlinable
    init(key: UInt64, first: UInt64, positions: UnsafePointer<Int32>?) {
        self.key = key
        self.first = first
        self.positions = positions
    }

    /// The generator of lane `l`'s particle.
    @inlinable
    public func generator(_ l: Int) -> ParticleRandom {
        let position = positions.map { UInt64(UInt32(bitPattern: $0[l])) } ?? UInt64(l)
        return ParticleRandom(key: key, particle: first &+ position)
    }

    /// What the lanes' generators are made from: the draw's key, the
    /// chunk's first particle and the lanes' positions (nil: lane l is
    /// position l). For kernels that run many lanes' generators at once,
    /// with the bits of ``generator(_:)``.
    @inlinable
    public var parts: (key: UInt64, first: UInt64, positions: UnsafePointer<Int32>?) { (key, first, positions) }

    /// Lane `l`'s uniform in (0, 1) under antithetic sampling: particles
    /// 2i and 2i + 1 are a pair, the second taking 1 − u of the first's u.
    @inlinable
    public func antitheticUniform(_ l: Int) -> Double {
        let position = positions.map { UInt64(UInt32(bitPattern: $0[l])) } ?? UInt64(l)
        let particle = first &+ position
        var generator = ParticleRandom(key: key ^ 0x616E_7469_7468_6574, particle: particle & ~1)
        let u = generator.uniformOpen()
        return particle & 1 == 0 ? u : 1 - u
    }

    /// Streams of their own under this draw's address, for numbers an
    /// estimator draws for itself (a measure-valued pair's W): `tag` names them.
    @inlinable
    public func sub(_ tag: UInt64) -> ParticleStreams {
        ParticleStreams(key: splitMix64(key ^ tag), first: first, positions: positions)
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

    /// Fills `count` doubles with standard normal variates, lane l from its
    /// particle's own generator.
    ///
    /// The fast path (about 98.8% of draws) takes one word: it is computed
    /// inline, in a loop over the lanes with nothing but the mix and the
    /// table lookup; the rest go through the generator.
    @inlinable
    public static func fill(_ out: UnsafeMutablePointer<Double>, count: Int, streams: ParticleStreams) {
        let xs = table
        let key = streams.key, first = streams.first, positions = streams.positions
        for l in 0..<count {
            let position = positions == nil ? UInt64(l) : UInt64(UInt32(bitPattern: positions.unsafelyUnwrapped[l]))
            var rng = ParticleRandom(key: key, particle: first &+ position)
            let bits = rng.next()
            let u = 2 * (Double(bits >> 11) * 0x1.0p-53) - 1
            let i = Int(bits & 0x7F)
            if Swift.abs(u) < xs[layers + 1 + i] {
                out[l] = u * xs[i]
                continue
            }
            if let value = slowPath(u: u, layer: i, rng: &rng) {
                out[l] = value
            } else {
                out[l] = sample(&rng, table: xs)
            }
        }
    }

    /// Fills `count` doubles with standard normal variates from one stream.
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
    public static func sample<R: RandomSource>(_ rng: inout R) -> Double {
        sample(&rng, table: table)
    }

    /// One standard normal variate, with the table pointer hoisted by the caller.
    @inlinable
    public static func sample<R: RandomSource>(_ rng: inout R, table: UnsafePointer<Double>) -> Double {
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
    static func slowPath<R: RandomSource>(u: Double, layer i: Int, rng: inout R) -> Double? {
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

/// How the particles' numbers are drawn: independently (the default), in
/// antithetic pairs (u and 1 − u for every draw sampled by inversion), or as
/// randomised quasi-Monte Carlo (scrambled Sobol' points, in replicates).
public enum Sampling: String, Sendable, CaseIterable {
    case iid
    case antithetic
    case rqmc
}
