import Foundation
import Testing
@testable import WiggleGraph

/// The engine's vector functions against the true value (Foundation's
/// functions in 80-bit precision, rounded), in ulps, over 10 million points each: most across the range where the function varies,
/// the rest random bit patterns (every exponent: subnormals, huge values,
/// infinities and nans), and the edges (overflow, underflow, ±0, ±inf, nan).
@Suite struct VectorMathTests {
    /// The distance between two doubles in units in the last place: 0 when
    /// both are the same nan-or-number, infinite when only one is a nan or an infinity.
    static func ulps(_ a: Double, _ b: Double) -> Double {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .infinity }
        if a == b { return 0 }
        if a.isInfinite || b.isInfinite { return .infinity }
        func ordered(_ x: Double) -> Int64 {
            let bits = Int64(bitPattern: x.bitPattern)
            return bits < 0 ? Int64.min - bits : bits
        }
        return Double(ordered(a).subtractingReportingOverflow(ordered(b)).partialValue.magnitude)
    }

    /// The true value, rounded to a double: computed in 80-bit extended
    /// precision with Foundation's functions (so the errors below are each
    /// kernel's own, not the reference's).
    static func extended(_ f: @escaping @Sendable (Float80) -> Float80) -> @Sendable (Double) -> Double {
        { Double(f(Float80($0))) }
    }

    static func sigmoid(_ x: Float80) -> Float80 { x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) }
    static func softplus(_ x: Float80) -> Float80 { Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }

    /// (function, reference, the range where it varies, edge values, the bound in ulps).
    static let cases: [(UnaryFunction, @Sendable (Double) -> Double, ClosedRange<Double>, [Double], Double)] = [
        (.exp, extended { Foundation.exp($0) }, -746...710, [709.782712893384, 709.7827128933841, -745.1332191019411, -745.1332191019412, -708.4, 1e-300], 1),
        (.log, extended { Foundation.log($0) }, 1e-3...1e3, [Double.leastNonzeroMagnitude, Double.leastNormalMagnitude, Double.leastNormalMagnitude.nextDown, 1, 1.nextUp, 1.nextDown, .greatestFiniteMagnitude, -1], 1),
        (.tanh, extended { Foundation.tanh($0) }, -20...20, [1e-300, -1e-300, 19.06, 22, -22, 0.5493, 0.625, 0.625.nextDown, -0.625, 40, 40.5], 2),
        (.sin, extended { Foundation.sin($0) }, -1e4...1e4, [Double.pi, -Double.pi, 1e15, 1e22, 3.141592653589793e100], 2),
        (.cos, extended { Foundation.cos($0) }, -1e4...1e4, [Double.pi / 2, 1e15, 1e22, 1e300], 2),
        (.sigmoid, extended(sigmoid), -40...40, [-745, -746, 745, 36.7, -36.7, 1e-300], 2),
        (.softplus, extended(softplus), -40...40, [-745, -746, 709, 710, 1e308, -1e308, 1e-300], 2),
        // IEEE rounds a double's square root correctly (Float80's, rounded again, may not be).
        (.sqrt, { $0.squareRoot() }, 0...1e6, [0, -0.0, 1e-320, 2, 1e308, -1], 0),
    ]

    @Test(arguments: 0..<cases.count)
    func maximumErrorInUlps(_ index: Int) {
        let (function, reference, range, edges, bound) = Self.cases[index]
        var rng = Xoshiro256(seed: 100 + UInt64(index))
        let specials: [Double] = [0, -0.0, .infinity, -.infinity, .nan, Double.leastNonzeroMagnitude,
                                  -Double.leastNonzeroMagnitude, Double.leastNormalMagnitude.nextDown] + edges
        var worst = 0.0
        var worstAt = 0.0
        let batch = 1_000_000
        for round in 0..<10 {
            var points = [Double](repeating: 0, count: batch)
            for i in 0..<batch {
                if i % 5 == 4 {
                    points[i] = Double(bitPattern: rng.next())
                } else {
                    points[i] = range.lowerBound + (range.upperBound - range.lowerBound) * rng.uniform()
                }
            }
            if round == 0 { points.replaceSubrange(0..<specials.count, with: specials) }
            let results = VectorMath.apply(function, points)
            for i in 0..<batch {
                let error = Self.ulps(results[i], reference(points[i]))
                if error > worst {
                    worst = error
                    worstAt = points[i]
                }
            }
        }
        #expect(worst <= bound, "\(function): \(worst) ulps at \(worstAt) (vectorised: \(VectorMath.isVectorised))")
    }

    /// floor and round (halves away from zero) are exact: the vector path
    /// gives the scalar rule's bits, the sign of a zero included (−0.3
    /// rounds to −0), at halves, just below them, past 2⁵², at ±inf and nan.
    @Test(arguments: [UnaryFunction.floor, .round])
    func wholeNumbersAreTheScalarBits(_ function: UnaryFunction) {
        var rng = Xoshiro256(seed: 41)
        let specials: [Double] = [0, -0.0, 0.5, -0.5, 1.5, -2.5, 0.49999999999999994, -0.49999999999999994,
                                  -0.3, 0.3, 4503599627370495.5, -4503599627370495.5, 4503599627370496, 9.5e15,
                                  .infinity, -.infinity, .nan, Double.leastNonzeroMagnitude, -Double.leastNonzeroMagnitude,
                                  .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        var points = specials
        for i in 0..<1_000_000 {
            switch i % 4 {
            case 0: points.append(Double(bitPattern: rng.next()))
            case 1: points.append((-1e6 + 2e6 * rng.uniform()).rounded(.down) + 0.5)
            case 2: points.append(((-1e6 + 2e6 * rng.uniform()).rounded(.down) + 0.5).nextDown)
            default: points.append(-1e3 + 2e3 * rng.uniform())
            }
        }
        let results = VectorMath.apply(function, points)
        var wrong = 0, example = 0.0
        for (x, y) in zip(points, results) where y.bitPattern != function.apply(x).bitPattern && !(x.isNaN && y.isNaN) {
            if wrong == 0 { example = x }
            wrong += 1
        }
        #expect(wrong == 0, "\(function): \(wrong) wrong, e.g. at \(example) (vectorised: \(VectorMath.isVectorised))")
    }

    /// A loop's weighted sums and its leavers: the kernels give the scalar
    /// loop's bits (a sum of 0 adds −0: an infinite weight makes no nan, and
    /// −0 stays −0), and the zeros' places (−0 a zero, nan not) in order,
    /// at every length (the vector body and its tail).
    @Test func loopKernelsAreTheScalarLoops() {
        var rng = Xoshiro256(seed: 53)
        let specials: [Double] = [0, -0.0, 1, -2.5, .infinity, -.infinity, .nan, 3e-310, 1e300]
        func draw() -> Double {
            rng.uniform() < 0.4 ? specials[Int(rng.uniform() * Double(specials.count)) % specials.count] : rng.uniform() * 4 - 2
        }
        for n in [0, 1, 3, 4, 5, 8, 9, 17, 1000] {
            let w = (0..<n).map { _ in draw() }, x = (0..<n).map { _ in draw() }
            var to = (0..<n).map { _ in draw() }
            let expected = (0..<n).map { to[$0] + (x[$0] != 0 ? w[$0] * x[$0] : -0.0) }
            VectorMath.addWeighted(&to, w, x, n)
            #expect(zip(to, expected).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }, "n \(n)")
            var places = [Int32](repeating: -1, count: max(1, n))
            let count = VectorMath.zeroLanes(x, n, into: &places)
            #expect(Array(places.prefix(count)) == x.indices.filter { x[$0] == 0 }.map(Int32.init), "n \(n)")
        }
    }

    /// `isWholeNumber` (truncation and back) says what x == x.rounded()
    /// says, at every exponent, ±0, ±inf and nan; an index resolves as
    /// before: whole and inside the list, negative from its end.
    @Test func wholeNumberCheckIsRoundedsAnswer() {
        var rng = Xoshiro256(seed: 43)
        var points: [Double] = [0, -0.0, 0.5, -0.5, 0x1p52, -0x1p52, 0x1p52.nextDown, 0x1p52 + 1, 0x1p63, -0x1p63,
                                1e300, .infinity, -.infinity, .nan, Double.leastNonzeroMagnitude, 3, -3]
        for _ in 0..<1_000_000 { points.append(Double(bitPattern: rng.next())) }
        for _ in 0..<100_000 { points.append((-1e6 + 2e6 * rng.uniform()).rounded(.down) + (rng.uniform() < 0.5 ? 0 : 0.25)) }
        let wrong = points.filter { isWholeNumber($0) != ($0 == $0.rounded()) }
        #expect(wrong.isEmpty, "\(wrong.prefix(3))")
        let cases: [(Double, Int?)] = [(0, 0), (-0.0, 0), (2, 2), (3, nil), (-1, 2), (-3, 0), (-4, nil), (1.5, nil),
                                       (-0.5, nil), (.nan, nil), (.infinity, nil), (-.infinity, nil), (1e300, nil)]
        for (x, expected) in cases { #expect(Graph.resolveIndex(x, count: 3) == expected, "\(x)") }
    }

    /// The vector path gives every element the same bits wherever it sits
    /// in the array (the last few go through a padded copy).
    @Test func resultsDoNotDependOnPosition() {
        var rng = Xoshiro256(seed: 7)
        let points = (0..<103).map { _ in -5 + 10 * rng.uniform() }
        for function in [UnaryFunction.exp, .log, .tanh, .sin, .cos, .sigmoid, .softplus, .sqrt, .floor, .round] {
            let whole = VectorMath.apply(function, points)
            for offset in 1..<4 {
                let shifted = VectorMath.apply(function, Array(points.dropFirst(offset)))
                #expect(Array(whole.dropFirst(offset)).elementsEqual(shifted) { $0.bitPattern == $1.bitPattern })
            }
        }
    }

    /// On by default wherever it can run. (Switching it off is left to
    /// wiggle-bench: it is process-wide, and tests run side by side.)
    @Test func onWhereverItCanRun() {
        #expect(VectorMath.isVectorised == VectorMath.isAvailable)
    }

    /// The arithmetic, min, max and comparison kernels give the rules' bits,
    /// forward and backward (ties, ±0 in either order and nan included),
    /// lane for lane, over values that include ±0, ±inf, nan and
    /// subnormals (a nan's sign aside: the compilers may negate a quotient
    /// by negating its divisor, and IEEE leaves a nan's sign unspecified);
    /// an adjoint of 0 (or −0) passes nothing back; `x * x` adds to one row
    /// twice, a's part first.
    @Test(arguments: BinaryFunction.allCases.filter { $0 != .power })
    func arithmeticIsTheRulesBitForBit(_ function: BinaryFunction) {
        var rng = Xoshiro256(seed: 31)
        let specials: [Double] = [0, -0.0, 1, -1, .infinity, -.infinity, .nan, Double.leastNonzeroMagnitude,
                                  -Double.greatestFiniteMagnitude, 3e-310]
        func draw() -> Double {
            rng.uniform() < 0.3 ? specials[Int(rng.uniform() * Double(specials.count)) % specials.count]
                : (rng.uniform() - 0.5) * 10
        }
        let n = 1_003
        func row(_ values: [Double]) -> UnsafeMutablePointer<Double> {
            let pointer = UnsafeMutablePointer<Double>.allocate(capacity: n)
            pointer.initialize(from: values, count: n)
            return pointer
        }
        func same(_ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>) -> Bool {
            (0..<n).allSatisfy { x[$0].bitPattern == y[$0].bitPattern || (x[$0].isNaN && y[$0].isNaN) }
        }
        let a = row((0..<n).map { _ in draw() }), b = row((0..<n).map { _ in draw() })
        let g = row((0..<n).map { _ in draw() }), start = (0..<n).map { _ in draw() }
        let out = row(start), ruleOut = row(start)
        let ga = row(start), gb = row(start.reversed()), ruleA = row(start), ruleB = row(start.reversed())
        let both = row(start), ruleBoth = row(start)
        defer { for p in [a, b, g, out, ruleOut, ga, gb, ruleA, ruleB, both, ruleBoth] { p.deallocate() } }

        function.withRule(ForwardBinary(out: ruleOut, a: a, b: b, lanes: n))
        let ran = VectorMath.forward(function, a, b, out, n)
        #expect(ran == VectorMath.isVectorised)
        guard ran else { return }
        #expect(same(out, ruleOut))

        #expect(VectorMath.backward(function, adjoint: g, a: a, b: b, out: out, toA: ga, toB: gb, lanes: n))
        function.withRule(BackwardBinary(adjoint: g, a: a, b: b, out: out, toA: ruleA, toB: ruleB, lanes: n))
        #expect(same(ga, ruleA) && same(gb, ruleB))

        // One row for both inputs (x * x): a's part, then b's.
        function.withRule(ForwardBinary(out: ruleOut, a: a, b: a, lanes: n))
        #expect(VectorMath.backward(function, adjoint: g, a: a, b: a, out: ruleOut, toA: both, toB: both, lanes: n))
        function.withRule(BackwardBinary(adjoint: g, a: a, b: a, out: ruleOut, toA: ruleBoth, toB: ruleBoth, lanes: n))
        #expect(same(both, ruleBoth))
    }

    /// The select kernel and its adjoint give the Swift loop's bits: b where
    /// the condition is 0 or −0, nan where it is nan, a elsewhere; the
    /// adjoint added to a's row or b's (one row for both, too).
    @Test func selectIsTheLoopBitForBit() {
        var rng = Xoshiro256(seed: 41)
        let n = 1_003
        let conditions: [Double] = [0, -0.0, 1, .nan, 2, -1]
        let c = (0..<n).map { _ in conditions[Int(rng.uniform() * 6) % 6] }
        let a = (0..<n).map { _ in rng.uniform() - 0.5 }, b = (0..<n).map { _ in rng.uniform() * 3 }
        let g = (0..<n).map { _ in rng.uniform() < 0.2 ? 0 : rng.uniform() - 0.5 }
        let start = (0..<n).map { _ in rng.uniform() < 0.1 ? -0.0 : rng.uniform() }
        var out = [Double](repeating: 0, count: n), ga = start, gb = start, both = start
        var ran = false
        c.withUnsafeBufferPointer { cp in a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
            g.withUnsafeBufferPointer { gp in
                guard let cs = cp.baseAddress, let as_ = ap.baseAddress, let bs = bp.baseAddress,
                      let gs = gp.baseAddress else { return }
                out.withUnsafeMutableBufferPointer { o in
                    if let base = o.baseAddress { ran = VectorMath.select(cs, as_, bs, base, n) }
                }
                ga.withUnsafeMutableBufferPointer { x in gb.withUnsafeMutableBufferPointer { y in
                    _ = VectorMath.selectBackward(cs, adjoint: gs, toA: x.baseAddress, toB: y.baseAddress, lanes: n)
                } }
                both.withUnsafeMutableBufferPointer { x in
                    _ = VectorMath.selectBackward(cs, adjoint: gs, toA: x.baseAddress, toB: x.baseAddress, lanes: n)
                }
            }
        } } }
        #expect(ran == VectorMath.isVectorised)
        guard ran else { return }
        func same(_ x: Double, _ y: Double) -> Bool { x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN) }
        var ruleA = start, ruleB = start, ruleBoth = start
        for l in 0..<n {
            if c[l] != 0 { ruleA[l] += g[l]; ruleBoth[l] += g[l] } else { ruleB[l] += g[l]; ruleBoth[l] += g[l] }
        }
        let expected = (0..<n).map { c[$0] == 0 ? b[$0] : (c[$0] == c[$0] ? a[$0] : .nan) }
        #expect((0..<n).allSatisfy { same(out[$0], expected[$0]) })
        #expect((0..<n).allSatisfy { same(ga[$0], ruleA[$0]) && same(gb[$0], ruleB[$0]) && same(both[$0], ruleBoth[$0]) })
    }

    /// The derivative kernels of exp, log, sqrt, tanh, sigmoid and x²
    /// give the rules' bits (nan signs aside), with 0 passed back where the
    /// adjoint is 0; x² forward too.
    @Test(arguments: [UnaryFunction.exp, .log, .sqrt, .tanh, .sigmoid])
    func unaryDerivativesAreTheRulesBitForBit(_ function: UnaryFunction) {
        var rng = Xoshiro256(seed: 37)
        let specials: [Double] = [0, -0.0, 1, -1, .infinity, -.infinity, .nan, 3e-310, 0.5]
        func draw() -> Double {
            rng.uniform() < 0.3 ? specials[Int(rng.uniform() * Double(specials.count)) % specials.count]
                : (rng.uniform() - 0.3) * 8
        }
        let n = 1_001
        let x = (0..<n).map { _ in draw() }, g = (0..<n).map { _ in draw() }, start = (0..<n).map { _ in draw() }
        let y = x.map { function.apply($0) }
        func same(_ p: [Double], _ q: [Double]) -> Bool {
            zip(p, q).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
        }
        var kernel = start, rule = start
        var square = start, squareRule = start, squared = [Double](repeating: 0, count: n), squaredRule = squared
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                g.withUnsafeBufferPointer { gp in
                    guard let xs = xp.baseAddress, let ys = yp.baseAddress, let gs = gp.baseAddress else { return }
                    let mutableX = UnsafeMutablePointer(mutating: xs), mutableY = UnsafeMutablePointer(mutating: ys)
                    let mutableG = UnsafeMutablePointer(mutating: gs)
                    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: n)
                    defer { scratch.deallocate() }
                    let ran = kernel.withUnsafeMutableBufferPointer { k in
                        k.baseAddress.map {
                            VectorMath.backward(function, adjoint: gs, a: xs, out: ys, toA: $0, lanes: n, scratch: scratch)
                        } ?? false
                    }
                    #expect(ran == VectorMath.isVectorised)
                    rule.withUnsafeMutableBufferPointer { r in
                        guard let base = r.baseAddress else { return }
                        function.withRule(BackwardUnary(adjoint: mutableG, a: mutableX, out: mutableY, toA: base, lanes: n))
                    }
                    square.withUnsafeMutableBufferPointer { k in
                        if let base = k.baseAddress { _ = VectorMath.squareBackward(adjoint: gs, a: xs, toA: base, lanes: n) }
                    }
                    squareRule.withUnsafeMutableBufferPointer { r in
                        guard let base = r.baseAddress else { return }
                        BackwardUnary(adjoint: mutableG, a: mutableX, out: mutableY, toA: base, lanes: n).visit(BinaryRules.Square.self)
                    }
                    squared.withUnsafeMutableBufferPointer { k in
                        if let base = k.baseAddress { _ = VectorMath.square(xs, base, n) }
                    }
                    squaredRule.withUnsafeMutableBufferPointer { r in
                        guard let base = r.baseAddress else { return }
                        ForwardUnary(out: base, a: mutableX, lanes: n).visit(BinaryRules.Square.self)
                    }
                }
            }
        }
        guard VectorMath.isVectorised else { return }
        let derivative = same(kernel, rule), squares = same(square, squareRule) && same(squared, squaredRule)
        #expect(derivative, "\(function)′ differs from the rule's")
        #expect(squares, "x² differs from the rule's")
    }
}

