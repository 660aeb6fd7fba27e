// Sobol.swift — Sobol' points for randomised quasi-Monte Carlo (DESIGN:
// sampling = "rqmc"). Dimension j's direction numbers come from Joe and
// Kuo's table (SobolDirections.swift) by the recurrence of Bratley and Fox
// (ACM TOMS 14, 1988); point i's coordinate is the XOR of the direction
// numbers of i's set bits (natural order). The engine gives particle p the
// point gray(p) = p ⊕ (p >> 1) — the same 2^m points over every block of
// 2^m particles, and consecutive particles one XOR apart. Randomised by Matoušek's
// linear matrix scramble — a random lower-triangular binary matrix with a
// unit diagonal applied to every point's digits, so to the direction
// numbers themselves — and a random digital shift: each scrambled point is
// uniform on [0, 1)^d, the first 2^m of them still a (t, m, d)-net.

/// Sobol' points and their scrambles.
public enum Sobol {
    /// Binary digits of each coordinate (the most points of one randomisation: 2³²).
    public static let digits = 32

    /// Direction numbers of every dimension of the table: dimension j's
    /// 32 are at j·32 (the first binary digit is bit 31).
    static let directions: [UInt32] = {
        var result = [UInt32](repeating: 0, count: tableDimensions * digits)
        var position = 0
        for j in 0..<tableDimensions {
            let poly = table[position]
            let degree = poly == 1 ? 0 : UInt32.bitWidth - 1 - poly.leadingZeroBitCount
            let ms = Array(table[(position + 1)..<(position + 1 + max(degree, 1))])
            position += 1 + max(degree, 1)
            var v = [UInt32](repeating: 0, count: digits)
            if degree == 0 {
                // The first dimension: van der Corput's sequence.
                for k in 0..<digits { v[k] = 1 << UInt32(digits - 1 - k) }
            } else {
                let a = (poly >> 1) & ((1 << UInt32(degree - 1)) - 1)
                for k in 0..<min(degree, digits) { v[k] = ms[k] << UInt32(digits - 1 - k) }
                if degree < digits {
                    for k in degree..<digits {
                        var next = v[k - degree] ^ (v[k - degree] >> UInt32(degree))
                        for i in 1..<degree where (a >> UInt32(degree - 1 - i)) & 1 == 1 { next ^= v[k - i] }
                        v[k] = next
                    }
                }
            }
            for k in 0..<digits { result[j * digits + k] = v[k] }
        }
        return result
    }()

    /// Coordinate `dimension` of point `index` as 32 binary digits, unscrambled.
    public static func point(_ index: UInt32, dimension: Int) -> UInt32 {
        var y: UInt32 = 0
        var i = index
        var k = dimension * digits
        while i != 0 {
            if i & 1 == 1 { y ^= directions[k] }
            i >>= 1
            k += 1
        }
        return y
    }
}

/// One randomisation of one dimension: scrambled direction numbers and a shift.
public struct SobolScramble: Sendable {
    /// The direction numbers with the scramble applied (L·vₖ).
    @usableFromInline var directions: [UInt32]
    /// The digital shift.
    @usableFromInline var shift: UInt32

    /// The scramble of `dimension` drawn from `key` (the run's seed,
    /// evaluation and replicate, mixed).
    public init(dimension: Int, key: UInt64) {
        var random = ParticleRandom(key: splitMix64(key ^ UInt64(dimension) &* 0x9E37_79B9_7F4A_7C15), particle: 0)
        // Row r of L (r = 0 the first digit): ones below the diagonal at random, one on it.
        var rows = [UInt32](repeating: 0, count: Sobol.digits)
        for r in 0..<Sobol.digits {
            let below: UInt32 = r == 0 ? 0 : ~((UInt32(1) << UInt32(Sobol.digits - r)) &- 1)
            let diagonal = UInt32(1) << UInt32(Sobol.digits - 1 - r)
            rows[r] = (UInt32(truncatingIfNeeded: random.next()) & below) | diagonal
        }
        directions = (0..<Sobol.digits).map { k in
            let v = Sobol.directions[dimension * Sobol.digits + k]
            var scrambled: UInt32 = 0
            for r in 0..<Sobol.digits where (rows[r] & v).nonzeroBitCount & 1 == 1 {
                scrambled |= UInt32(1) << UInt32(Sobol.digits - 1 - r)
            }
            return scrambled
        }
        shift = UInt32(truncatingIfNeeded: random.next() >> 32)
    }

    /// Particle p's coordinate, in Gray-code order: point p ⊕ (p >> 1). Over
    /// any 2^m particles from a multiple of 2^m these are the same points as
    /// in natural order, and consecutive particles differ by one direction number.
    @inlinable
    public func grayUniform(_ particle: UInt32) -> Double { uniform(particle ^ (particle >> 1)) }

    /// `grayUniform` of particles first, first + 1, …, into `out`: one XOR each.
    @inlinable
    public func fillGray(from first: UInt32, count: Int, into out: UnsafeMutablePointer<Double>) {
        guard count > 0 else { return }
        directions.withUnsafeBufferPointer { v in
            var y = shift
            var i = first ^ (first >> 1)
            var k = 0
            while i != 0 {
                if i & 1 == 1 { y ^= v[k] }
                i >>= 1
                k += 1
            }
            out[0] = (Double(y) + 0.5) * 0x1.0p-32
            var p = first
            for l in 1..<count {
                p &+= 1
                y ^= v[p.trailingZeroBitCount & 31]
                out[l] = (Double(y) + 0.5) * 0x1.0p-32
            }
        }
    }

    /// Point `index`'s coordinate, in (0, 1) (the centre of its cell of width 2⁻³²).
    @inlinable
    public func uniform(_ index: UInt32) -> Double {
        var y = shift
        var i = index
        var k = 0
        while i != 0 {
            if i & 1 == 1 { y ^= directions[k] }
            i >>= 1
            k += 1
        }
        return (Double(y) + 0.5) * 0x1.0p-32
    }
}
