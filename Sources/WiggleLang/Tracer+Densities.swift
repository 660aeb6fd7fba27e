// Tracer+Densities.swift — log-densities with Stan's names
// (`normal_lpdf(x, mu, sigma)`, `poisson_lpmf(k, rate)`, ...), one for
// every registered distribution, and the list functions variational
// inference writes its ELBO with (`softmax`, `logsumexp`, `dot`). Each
// distribution's log-density is written once, in WiggleDistributions, over
// ``DensityScalar``: on numbers it is a number; on traced values
// (``TracedScalar``) it is built from the graph's own differentiable
// functions, so gradients flow through it.

import Foundation
import WiggleGraph
import WiggleSyntax

/// The log-density functions' names: `X_lpdf` for a distribution over the
/// reals, `X_lpmf` for a discrete one, for every registered distribution X.
enum DensityFunctions {
    /// `normal_lpdf`, `bernoulli_lpmf`.
    static func name(of distribution: any Distribution) -> String {
        distribution.name + (distribution.support.isDiscrete ? "_lpmf" : "_lpdf")
    }

    /// The distribution whose log-density function is called `name`.
    static func distribution(named name: String) -> DistributionID? {
        for suffix in ["_lpdf", "_lpmf"] where name.hasSuffix(suffix) {
            guard let id = DistributionRegistry.id(named: String(name.dropLast(suffix.count))),
                  self.name(of: DistributionRegistry[id]) == name else { return nil }
            return id
        }
        return nil
    }

    /// Every log-density function's name.
    static var names: [String] { DistributionRegistry.all.map(name(of:)) }
}

/// A value while tracing — a number or a node — as the scalar a
/// distribution's log-density is written over. Numbers combine as numbers;
/// anything traced becomes nodes through the interpreter (so a domain error
/// met while tracing is reported at the call).
struct TracedScalar: DensityScalar {
    var value: Value
    /// How nodes are made; nil for a constant of the density's formula.
    var algebra: Tracer.Algebra?

    init(_ constant: Double) { value = .number(constant) }

    init(_ value: Value, in algebra: Tracer.Algebra) {
        self.value = value
        self.algebra = algebra
    }

    var known: Double? { value.isNode ? nil : value.asNumber }

    private static func combine(_ op: BinaryOperator, _ a: TracedScalar, _ b: TracedScalar,
                                _ number: (Double, Double) -> Double) throws -> TracedScalar {
        if let x = a.known, let y = b.known { return TracedScalar(number(x, y)) }
        guard let algebra = a.algebra ?? b.algebra else { return TracedScalar(.nan) }
        return TracedScalar(try algebra.binary(op, a.value, b.value), in: algebra)
    }

    static func + (a: TracedScalar, b: TracedScalar) throws -> TracedScalar { try combine(.add, a, b, +) }
    static func - (a: TracedScalar, b: TracedScalar) throws -> TracedScalar { try combine(.subtract, a, b, -) }
    static func * (a: TracedScalar, b: TracedScalar) throws -> TracedScalar { try combine(.multiply, a, b, *) }
    static func / (a: TracedScalar, b: TracedScalar) throws -> TracedScalar { try combine(.divide, a, b, /) }
    static func equal(_ a: TracedScalar, _ b: TracedScalar) throws -> TracedScalar {
        try combine(.equal, a, b) { $0 == $1 ? 1 : 0 }
    }
    static func atLeast(_ a: TracedScalar, _ b: TracedScalar) throws -> TracedScalar {
        try combine(.greaterEqual, a, b) { $0 >= $1 ? 1 : 0 }
    }

    func applying(_ f: UnaryFunction) throws -> TracedScalar {
        if let x = known {
            // A number outside the function's domain is refused at the call, as anywhere else.
            if f.domainError(x) != nil, let algebra { return TracedScalar(try algebra.apply(f, value), in: algebra) }
            return TracedScalar(f.apply(x))
        }
        guard let algebra else { return TracedScalar(.nan) }
        return TracedScalar(try algebra.apply(f, value), in: algebra)
    }

    static func restricted(to condition: TracedScalar, _ body: () throws -> TracedScalar) throws -> TracedScalar {
        if let c = condition.known { return c != 0 && !c.isNaN ? try body() : TracedScalar(-.infinity) }
        return try body() + condition.log()
    }

    static func inside(_ distance: TracedScalar, closed: Bool,
                       _ body: () throws -> TracedScalar) throws -> TracedScalar {
        if let d = distance.known { return (closed ? d >= 0 : d > 0) ? try body() : TracedScalar(-.infinity) }
        return try body() + TracedScalar(0) * distance.log()
    }
}

extension Tracer {
    /// Arithmetic on values that may be traced (numbers stay numbers).
    struct Algebra {
        unowned(unsafe) let interpreter: Interpreter
        let range: SourceRange

        func binary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
            try interpreter.binary(op, a, b, at: range, left: range, right: range)
        }
        func plus(_ a: Value, _ b: Value) throws -> Value { try binary(.add, a, b) }
        func minus(_ a: Value, _ b: Value) throws -> Value { try binary(.subtract, a, b) }
        func times(_ a: Value, _ b: Value) throws -> Value { try binary(.multiply, a, b) }
        func divide(_ a: Value, _ b: Value) throws -> Value { try binary(.divide, a, b) }

        func apply(_ f: UnaryFunction, _ v: Value) throws -> Value {
            if case .node(let id) = v { return try interpreter.tracer.makeNode(.unary(f, id), at: range) }
            guard let x = v.asNumber else { throw interpreter.fail("expected a number, got \(v.typeDescription)", at: range) }
            if let problem = f.domainError(x) { throw interpreter.valueFail(problem, at: range) }
            return .number(f.apply(x))
        }

        /// Σ of values, traced or not.
        func sum(_ items: [Value]) throws -> Value {
            guard var total = items.first else { return .number(0) }
            for item in items.dropFirst() { total = try plus(total, item) }
            return total
        }

        /// Σ of many values as a balanced tree (a graph as shallow as it can be).
        func balancedSum(_ items: ArraySlice<Value>) throws -> Value {
            guard items.count > 1 else { return items.first ?? .number(0) }
            let middle = items.startIndex + items.count / 2
            return try plus(try balancedSum(items[..<middle]), try balancedSum(items[middle...]))
        }

        /// `value` as a scalar a log-density is written over.
        func scalar(_ value: Value) -> TracedScalar { TracedScalar(value, in: self) }
    }

    /// Refuses parameters that are not numbers or traced values, and numbers
    /// the distribution refuses (in its own words), as sampling does.
    func checkDensityParameters(_ name: String, _ distribution: any Distribution, _ bound: [CallArgument]) throws {
        for (index, argument) in bound.enumerated().dropFirst() where !argument.value.isNode && argument.value.asNumber == nil {
            throw interpreter.fail("\(name)'s \(distribution.parameterNames[index - 1]) must be a number, got \(argument.value.typeDescription)",
                       at: argument.range)
        }
        for (index, argument) in bound.dropFirst().enumerated() {
            if let value = argument.value.asNumber, !argument.value.isNode,
               let problem = distribution.problem(parameter: index, value: value) {
                throw interpreter.valueFail(problem.message(got: value), at: argument.range)
            }
        }
        let parameters = bound.dropFirst().map { $0.value.isNode ? nil : $0.value.asNumber }
        if !parameters.contains(nil), let (problem, value, index) = distribution.problem(parameters: parameters.map { $0 ?? .nan }) {
            throw interpreter.fail(problem.message(got: value), at: bound[index + 1].range)
        }
    }

    /// The sum of log-density terms that all come from one distribution with
    /// the same parameters and numbers for x: Σᵢ log p(xᵢ | θ) from the xs'
    /// sufficient statistics (as `normal_lpdf(xs, ...)`), or a normal
    /// regression's from centred sums; nil for any other list.
    func sumOfDensityTerms(_ items: [Value], at range: SourceRange) throws -> Value? {
        guard items.count > 1, case .node(let first) = items[0], let term = interpreter.densityTerms[first] else { return nil }
        func same(_ a: Value, _ b: Value) -> Bool {
            switch (a, b) {
            case (.node(let x), .node(let y)): return x == y
            case (.number(let x), .number(let y)): return x.bitPattern == y.bitPattern
            default: return false
            }
        }
        var terms: [DensityTerm] = []
        terms.reserveCapacity(items.count)
        for item in items {
            guard case .node(let id) = item, let other = interpreter.densityTerms[id], other.distribution == term.distribution,
                  other.arguments.count == term.arguments.count else { return nil }
            terms.append(other)
        }
        // Without sufficient statistics the terms traced already are the sum's terms.
        if DistributionRegistry[term.distribution] is any SufficientStatistics,
           terms.allSatisfy({ zip($0.arguments.dropFirst(), term.arguments.dropFirst()).allSatisfy { same($0.value, $1.value) } }) {
            let xs = terms.map { Value.number($0.x) }
            var bound = term.arguments
            bound[0].value = .list(xs)
            return try logDensity(term.distribution, of: xs, bound, at: range)
        }
        // A normal regression: the same sigma, a mean a + b·cᵢ per term.
        guard term.distribution == .normal,
              terms.allSatisfy({ same($0.arguments[2].value, term.arguments[2].value) }),
              let line = interpreter.graph.affineMeans(terms.map { $0.arguments[1].value.nodeValue }) else { return nil }
        let ys = terms.map(\.x)
        if ys.contains(where: \.isNaN) || line.cs.contains(where: \.isNaN) { return .number(.nan) }
        if ys.contains(where: \.isInfinite) { return .number(-.infinity) }
        let m = Algebra(interpreter: interpreter, range: range)
        return try Normal.regressionLogLikelihood(ys: ys, cs: line.cs, a: m.scalar(.node(line.a)), b: m.scalar(.node(line.b)),
                                                  sigma: m.scalar(term.arguments[2].value)).value
    }

    /// `normal_lpdf(x, mu, sigma)` and the others: log p(x | parameters).
    /// A term of a number x with traced parameters is remembered
    /// (``Interpreter/densityTerms``), so that a `sum` of such terms sharing their
    /// parameters — the likelihood written as a comprehension — can be
    /// taken from the data's sufficient statistics instead.
    func logDensity(_ id: DistributionID, _ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        let distribution = DistributionRegistry[id]
        let name = DensityFunctions.name(of: distribution)
        if distribution.takesProbabilityList { return try categoricalLogDensity(id, arguments, at: range) }
        let bound = try interpreter.bind(name, arguments, names: ["x"] + distribution.parameterNames, at: range)
        try refuseEstimates(name, bound)
        // A list x (Stan's vectorised form): the sum over its elements.
        if case .list(let items) = bound[0].value {
            return try logDensity(id, of: items, bound, at: range)
        }
        let x = bound[0].value
        guard x.isNode || x.asNumber != nil else {
            throw interpreter.fail("\(name)'s x must be a number, got \(x.typeDescription)", at: bound[0].range)
        }
        try checkDensityParameters(name, distribution, bound)
        // All numbers: the distribution's own log-density (−inf outside the support).
        if !bound.contains(where: { $0.value.isNode }) {
            let numbers = bound.map { $0.value.asNumber ?? .nan }
            return .number(distribution.logDensity(numbers[0], parameters: Array(numbers.dropFirst())))
        }
        // A number x outside a support that does not move with the
        // parameters: −inf, whatever they are.
        if !x.isNode, let value = x.asNumber, distribution.support.excludes(value) { return .number(-.infinity) }
        let m = Algebra(interpreter: interpreter, range: range)
        let term = try distribution.logDensity(m.scalar(x), bound.dropFirst().map { m.scalar($0.value) }).value
        if !x.isNode, let value = x.asNumber, case .node(let node) = term {
            interpreter.densityTerms[node] = DensityTerm(distribution: id, x: value, arguments: bound)
        }
        return term
    }

    /// `normal_lpdf(ys, mu, sigma)` and the others with a list x: Σᵢ log
    /// p(yᵢ | parameters), as in Stan. A list of numbers (data) is reduced
    /// first to the sufficient statistics, when the distribution has them
    /// (``SufficientStatistics``) — for the normal n, the mean and
    /// Σ(y − ȳ)² — and the graph holds a few nodes, not one per datum;
    /// otherwise, and for a list with traced elements, it is the sum of
    /// each element's term.
    func logDensity(_ id: DistributionID, of items: [Value], _ bound: [CallArgument],
                    at range: SourceRange) throws -> Value {
        let distribution = DistributionRegistry[id]
        let name = DensityFunctions.name(of: distribution)
        let m = Algebra(interpreter: interpreter, range: range)
        func eachTerm() throws -> Value {
            var terms: [Value] = []
            for (index, item) in items.enumerated() {
                guard item.isNode || item.asNumber != nil else {
                    throw interpreter.fail("\(name)'s x[\(index)] must be a number, got \(item.typeDescription)", at: bound[0].range)
                }
                var one = bound
                one[0].value = item
                terms.append(try logDensity(id, one.map { CallArgument(label: nil, value: $0.value, range: $0.range) }, at: range))
            }
            return try m.balancedSum(terms[...])
        }
        if items.contains(where: \.isNode) { return try eachTerm() }
        var ys: [Double] = []
        ys.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let y = item.asNumber else {
                throw interpreter.fail("\(name)'s x[\(index)] must be a number, got \(item.typeDescription)", at: bound[0].range)
            }
            ys.append(y)
        }
        try checkDensityParameters(name, distribution, bound)
        guard !ys.isEmpty else { return .number(0) }
        // A nan datum makes the sum nan, as it makes its own term.
        if ys.contains(where: \.isNaN) { return .number(.nan) }
        // A datum outside a support that does not move: −inf, whatever the
        // parameters (and an infinite one on the real line, as its own term is).
        if ys.contains(where: { distribution.support.excludes($0) || (distribution.support == .realLine && $0.isInfinite) }) {
            return .number(-.infinity)
        }
        guard let statistics = distribution as? any SufficientStatistics else { return try eachTerm() }
        return try statistics.logLikelihood(of: ys, bound.dropFirst().map { m.scalar($0.value) }).value
    }

    /// `categorical_lpmf(k, probs)` = log(p_k / Σp), for a distribution
    /// whose parameters are one list; a traced k picks its term per particle.
    /// A list k of numbers is taken from its counts per category.
    func categoricalLogDensity(_ id: DistributionID, _ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        let distribution = DistributionRegistry[id]
        let name = DensityFunctions.name(of: distribution)
        let bound = try interpreter.bind(name, arguments, names: ["k", "probs"], at: range)
        try refuseEstimates(name, bound)
        let probabilities = try listArgument(name, bound[1])
        guard !probabilities.isEmpty else { throw interpreter.fail("\(name) needs at least one probability", at: bound[1].range) }
        for p in probabilities {
            if !p.isNode, let x = p.asNumber, let problem = distribution.problem(parameter: 0, value: x) {
                throw interpreter.valueFail(problem.message(got: x), at: bound[1].range)
            }
        }
        // Checked as sampling checks them.
        if !probabilities.contains(where: \.isNode),
           let (problem, value, _) = distribution.problem(parameters: probabilities.map { $0.asNumber ?? .nan }) {
            throw interpreter.fail(problem.message(got: value), at: bound[1].range)
        }
        let m = Algebra(interpreter: interpreter, range: range)
        let p = probabilities.map(m.scalar)
        let k = bound[0].value
        guard case .list(let items) = k else {
            guard k.isNode || k.asNumber != nil else {
                throw interpreter.fail("\(name)'s k must be a number, got \(k.typeDescription)", at: bound[0].range)
            }
            return try distribution.logDensity(m.scalar(k), p).value
        }
        // Stan's vectorised form: Σᵢ log p(kᵢ).
        if items.contains(where: \.isNode) {
            var terms: [Value] = []
            for item in items {
                terms.append(try categoricalLogDensity(id, [CallArgument(label: nil, value: item, range: bound[0].range), bound[1]],
                                                       at: range))
            }
            return try m.balancedSum(terms[...])
        }
        var ks: [Double] = []
        for (index, item) in items.enumerated() {
            guard let x = item.asNumber else {
                throw interpreter.fail("\(name)'s k[\(index)] must be a number, got \(item.typeDescription)", at: bound[0].range)
            }
            ks.append(x)
        }
        guard let statistics = distribution as? any SufficientStatistics else {
            return try m.balancedSum(try ks.map { try distribution.logDensity(m.scalar(.number($0)), p).value }[...])
        }
        return try statistics.logLikelihood(of: ks, p).value
    }

    /// Estimates are numbers with an error these functions would drop: say so.
    func refuseEstimates(_ name: String, _ arguments: [CallArgument]) throws {
        for argument in arguments {
            let items: [Value]
            if case .list(let list) = argument.value { items = list } else { items = [argument.value] }
            if items.contains(where: \.isEstimate) {
                throw interpreter.fail("\(name) takes numbers or random values, not estimates (it would drop their standard error); write value(e) for the number alone",
                           at: argument.range)
            }
        }
    }

    /// The numbers or traced values of a list argument.
    func listArgument(_ name: String, _ argument: CallArgument) throws -> [Value] {
        guard case .list(let items) = argument.value else {
            throw interpreter.fail("\(name) expects a list, got \(argument.value.typeDescription)", at: argument.range)
        }
        for item in items where !item.isNode && item.asNumber == nil {
            throw interpreter.fail("each element given to \(name) must be a number, got \(item.typeDescription)", at: argument.range)
        }
        return items
    }

    /// `logsumexp(xs)`, `softmax(xs)`, `dot(xs, ys)`, `matvec(W, x)`.
    func listFunction(_ builtin: Builtin, _ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        let name = builtin.rawValue
        try interpreter.noKeywords(name, arguments)
        if builtin != .dot { try refuseEstimates(name, arguments) }
        let wanted = builtin == .dot || builtin == .matvec ? 2 : 1
        guard arguments.count == wanted else {
            throw interpreter.fail("\(name) expects \(countPhrase(wanted, "list")), got \(countPhrase(arguments.count, "argument"))", at: range)
        }
        let m = Algebra(interpreter: interpreter, range: range)
        if builtin == .matvec {
            // matvec(W, x): one dot product per row of W.
            guard case .list(let rows) = arguments[0].value, !rows.isEmpty else {
                throw interpreter.fail("matvec expects a matrix (a list of rows) first, got \(arguments[0].value.typeDescription)",
                           at: arguments[0].range)
            }
            let x = try listArgument(name, arguments[1])
            return .list(try rows.enumerated().map { index, row in
                let entries = try listArgument(name, CallArgument(label: nil, value: row, range: arguments[0].range))
                guard entries.count == x.count else {
                    throw interpreter.fail("matvec needs rows as long as the vector: row \(index) has \(entries.count), the vector \(x.count)",
                               at: range)
                }
                return try m.sum(try zip(entries, x).map { try m.times($0, $1) })
            })
        }
        let xs = try listArgument(name, arguments[0])
        if builtin == .dot {
            let ys = try listArgument(name, arguments[1])
            guard xs.count == ys.count else {
                throw interpreter.fail("dot needs two lists of one length, got \(xs.count) and \(ys.count)", at: range)
            }
            return try m.sum(try zip(xs, ys).map { try m.times($0, $1) })
        }
        guard !xs.isEmpty else { throw interpreter.fail("\(name) of an empty list", at: arguments[0].range) }
        if !xs.contains(where: \.isNode) {
            // Numbers: in doubles, where x − max may fall to −inf and its
            // exponential to 0.
            let numbers = xs.compactMap(\.asNumber)
            let top = numbers.max() ?? 0
            let shifted = numbers.map { Foundation.exp($0 - top) }
            let total = shifted.reduce(0, +)
            if builtin == .logsumexp { return .number(Foundation.log(total) + top) }
            return .list(shifted.map { .number($0 / total) })
        }
        // log Σ e^{x − m} + m with m the largest, so that nothing overflows.
        let largest: Value
        if xs.contains(where: \.isNode) {
            largest = try interpreter.call(.max, [CallArgument(label: nil, value: .list(xs), range: arguments[0].range)], at: range)
        } else {
            largest = .number(xs.compactMap(\.asNumber).max() ?? 0)
        }
        let shifted = try xs.map { try m.apply(.exp, try m.minus($0, largest)) }
        let total = try m.sum(shifted)
        if builtin == .logsumexp { return try m.plus(try m.apply(.log, total), largest) }
        // e^{x − m} / Σ e^{x − m}: dividing keeps the sum 1 where adding m
        // back would round (logits near 1e308).
        return .list(try shifted.map { try m.divide($0, total) })
    }
}
