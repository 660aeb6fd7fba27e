// VectorMath.swift — the engine's transcendental functions, their
// derivatives and its arithmetic over a chunk at a time (CVectorMath: AVX2
// kernels — SLEEF's exp, log, sin, cos, our own tanh, sigmoid, softplus, and
// + − × ÷, x², sqrt and the arithmetic derivatives with the rules' bits —
// when SLEEF was found at build time and the processor has AVX2 and FMA), in
// place of one Foundation call or one SSE2 loop per instruction.
// Switched off, or without SLEEF, the engine runs each rule's Swift loop.

import CVectorMath
import WiggleCore

/// Chunk kernels for exp, log, tanh, sin, cos, sigmoid, softplus and sqrt,
/// and for the four arithmetic operations.
public enum VectorMath {
    /// True when the engine uses the vector functions.
    public static var isVectorised: Bool { wiggle_vm_vectorised() != 0 }
    /// True when the kernels were compiled in (the VectorMath trait, x86-64).
    public static var isBuilt: Bool { wiggle_vk_is_built() != 0 }
    /// True when they are there to use (SLEEF at build time, AVX2 and FMA now).
    public static var isAvailable: Bool { wiggle_vm_available() != 0 }

    /// Uses the vector functions (true) or the scalar ones (false), for
    /// comparisons: results differ by at most an ulp or two per value.
    public static func setEnabled(_ enabled: Bool) { wiggle_vm_set_enabled(enabled ? 1 : 0) }

    /// `out = f(a)` over `m` lanes with a chunk kernel: false when `f` has
    /// none or the vector path is off (then the caller uses the rule).
    @inline(__always)
    static func forward(_ f: UnaryFunction, _ a: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ m: Int) -> Bool {
        guard wiggle_vm_vectorised() != 0 else { return false }
        switch f {
        case .exp: wiggle_vm_exp(a, out, m)
        case .log: wiggle_vm_log(a, out, m)
        case .tanh: wiggle_vm_tanh(a, out, m)
        case .sin: wiggle_vm_sin(a, out, m)
        case .cos: wiggle_vm_cos(a, out, m)
        case .sigmoid: wiggle_vm_sigmoid(a, out, m)
        case .softplus: wiggle_vm_softplus(a, out, m)
        case .sqrt: wiggle_vm_sqrt(a, out, m)
        case .floor: wiggle_vm_floor(a, out, m)
        case .round: wiggle_vm_round(a, out, m)
        default: return false
        }
        return true
    }

    /// `ga += g · f′(a)` over `m` lanes, `out` being f(a): a derivative
    /// that is itself transcendental (sin, cos, softplus) through `scratch`,
    /// one that is arithmetic on a and out (exp, log, sqrt, tanh, sigmoid)
    /// in one kernel with the rule's bits; false for the others or when off.
    @inline(__always)
    static func backward(_ f: UnaryFunction, adjoint g: UnsafePointer<Double>, a: UnsafePointer<Double>,
                         out: UnsafePointer<Double>, toA ga: UnsafeMutablePointer<Double>, lanes m: Int,
                         scratch: UnsafeMutablePointer<Double>) -> Bool {
        guard wiggle_vm_vectorised() != 0 else { return false }
        if let op = arithmeticDerivative(f) { return wiggle_vm_unary_backward(op, g, a, out, ga, m) != 0 }
        let sign: Double
        switch f {
        case .sin: wiggle_vm_cos(a, scratch, m); sign = 1
        case .cos: wiggle_vm_sin(a, scratch, m); sign = -1
        case .softplus: wiggle_vm_sigmoid(a, scratch, m); sign = 1
        default: return false
        }
        for l in 0..<m {
            let d = sign * (g[l] * scratch[l])
            ga[l] += g[l] != 0 ? d : 0
        }
        return true
    }

    /// The kernel number of the functions with a chunk kernel: the four
    /// arithmetic ones, min, max and the comparisons (not the power).
    @inline(__always)
    static func arithmetic(_ f: BinaryFunction) -> Int32? {
        switch f {
        case .add: return 0
        case .subtract: return 1
        case .multiply: return 2
        case .divide: return 3
        case .min: return 4
        case .max: return 5
        case .less: return 6
        case .lessEqual: return 7
        case .greater: return 8
        case .greaterEqual: return 9
        case .equal: return 10
        case .notEqual: return 11
        case .power: return nil
        }
    }

    /// `out = f(a, b)` over `m` lanes for + − × ÷, min, max and the
    /// comparisons (four lanes at a time, the same bits as the rule); false
    /// for the power or when off.
    @inline(__always)
    static func forward(_ f: BinaryFunction, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
                        _ out: UnsafeMutablePointer<Double>, _ m: Int) -> Bool {
        guard let op = arithmetic(f) else { return false }
        return wiggle_vm_arith(op, a, b, out, m) != 0
    }

    /// `to[l] += x[l] != 0 ? w[l]·x[l] : −0` over `m` lanes (a product then
    /// a sum, never fused: the same bits on every path).
    static func addWeighted(_ to: UnsafeMutablePointer<Double>, _ w: UnsafePointer<Double>,
                            _ x: UnsafePointer<Double>, _ m: Int) {
        wiggle_vm_add_weighted(to, w, x, m)
    }

    /// Writes the places of the zeros among `m` lanes of `a` to `out`, in
    /// order, and returns how many (a loop's leavers).
    static func zeroLanes(_ a: UnsafePointer<Double>, _ m: Int, into out: UnsafeMutablePointer<Int32>) -> Int {
        wiggle_vm_zero_lanes(a, m, out)
    }

    /// `out = select(c, a, b)` over `m` lanes; false when off.
    @inline(__always)
    static func select(_ c: UnsafePointer<Double>, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
                       _ out: UnsafeMutablePointer<Double>, _ m: Int) -> Bool {
        wiggle_vm_select(c, a, b, out, m) != 0
    }

    /// The adjoint of a select into `ga` where c is not 0 and `gb` elsewhere
    /// (nil: not wanted); false when off.
    @inline(__always)
    static func selectBackward(_ c: UnsafePointer<Double>, adjoint g: UnsafePointer<Double>,
                               toA ga: UnsafeMutablePointer<Double>?, toB gb: UnsafeMutablePointer<Double>?,
                               lanes m: Int) -> Bool {
        wiggle_vm_select_backward(c, g, ga, gb, m) != 0
    }

    /// The adjoints of + − × ÷, min, max and the comparisons into `ga` and `gb` (nil: not wanted), as the
    /// rule adds them; false for the others or when off.
    @inline(__always)
    static func backward(_ f: BinaryFunction, adjoint g: UnsafePointer<Double>, a: UnsafePointer<Double>,
                         b: UnsafePointer<Double>, out: UnsafePointer<Double>, toA ga: UnsafeMutablePointer<Double>?,
                         toB gb: UnsafeMutablePointer<Double>?, lanes m: Int) -> Bool {
        guard let op = arithmetic(f) else { return false }
        return wiggle_vm_arith_backward(op, g, a, b, out, ga, gb, m) != 0
    }

    /// The kernel number of the unary rules whose derivative is arithmetic
    /// on the input and the output.
    @inline(__always)
    static func arithmeticDerivative(_ f: UnaryFunction) -> Int32? {
        switch f {
        case .exp: return 0
        case .log: return 1
        case .sqrt: return 2
        case .tanh: return 3
        case .sigmoid: return 4
        default: return nil
        }
    }

    /// `out = a · a` over `m` lanes; false when off.
    @inline(__always)
    static func square(_ a: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ m: Int) -> Bool {
        wiggle_vm_square(a, out, m) != 0
    }

    /// The adjoint of `a · a`: `ga += 2a · g`; false when off.
    @inline(__always)
    static func squareBackward(adjoint g: UnsafePointer<Double>, a: UnsafePointer<Double>,
                               toA ga: UnsafeMutablePointer<Double>, lanes m: Int) -> Bool {
        wiggle_vm_unary_backward(5, g, a, a, ga, m) != 0
    }

    /// `f` over an array with the path in use (for tests and benchmarks).
    public static func apply(_ f: UnaryFunction, _ input: [Double]) -> [Double] {
        var output = [Double](repeating: 0, count: input.count)
        input.withUnsafeBufferPointer { a in
            output.withUnsafeMutableBufferPointer { out in
                guard let a = a.baseAddress, let o = out.baseAddress else { return }
                if !forward(f, a, o, input.count) {
                    for i in 0..<input.count { o[i] = f.apply(a[i]) }
                }
            }
        }
        return output
    }
}
