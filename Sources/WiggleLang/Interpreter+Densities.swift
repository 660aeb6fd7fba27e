// Interpreter+Densities.swift — log-densities with Stan's names
// (`normal_lpdf(x, mu, sigma)`, ...), and the list functions variational
// inference writes its ELBO with (`softmax`, `logsumexp`, `dot`). On
// numbers they are numbers; on traced values they are built from the
// graph's own differentiable functions, so gradients flow through them.

import Foundation
import WiggleGraph
import WiggleSyntax

extension Builtin {
    /// The distribution whose log-density a builtin is, by Stan's name.
    var densityOf: String? {
        switch self {
        case .normal_lpdf: return "normal"
        case .bernoulli_lpmf: return "bernoulli"
        case .uniform_lpdf: return "uniform"
        case .exponential_lpdf: return "exponential"
        case .gamma_lpdf: return "gamma"
        case .beta_lpdf: return "beta"
        case .poisson_lpmf: return "poisson"
        default: return nil
        }
    }
}

extension Interpreter {
    /// Arithmetic on values that may be traced (numbers stay numbers).
    struct Algebra {
        let interpreter: Interpreter
        let range: SourceRange

        func binary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
            try interpreter.binary(op, a, b, at: range, left: range, right: range)
        }
        func plus(_ a: Value, _ b: Value) throws -> Value { try binary(.add, a, b) }
        func minus(_ a: Value, _ b: Value) throws -> Value { try binary(.subtract, a, b) }
        func times(_ a: Value, _ b: Value) throws -> Value { try binary(.multiply, a, b) }
        func divide(_ a: Value, _ b: Value) throws -> Value { try binary(.divide, a, b) }

        func apply(_ f: UnaryFunction, _ v: Value) throws -> Value {
            if case .node(let id) = v { return try interpreter.makeNode(.unary(f, id), at: range) }
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
    }

    /// The distribution whose log-density `builtin` is, with its name.
    func density(_ builtin: Builtin, at range: SourceRange) throws -> (name: String, distribution: any Distribution) {
        guard let name = builtin.densityOf, let id = DistributionRegistry.id(named: name) else {
            throw fail("\(builtin.rawValue) cannot be called here", at: range)
        }
        return (name, DistributionRegistry[id])
    }

    /// Refuses parameters that are not numbers or traced values, and numbers
    /// the distribution refuses (in its own words), as sampling does.
    func checkDensityParameters(_ builtin: Builtin, _ name: String, _ distribution: any Distribution,
                                _ bound: [CallArgument]) throws {
        for (index, argument) in bound.enumerated().dropFirst() where !argument.value.isNode && argument.value.asNumber == nil {
            throw fail("\(builtin.rawValue)'s \(distribution.parameterNames[index - 1]) must be a number, got \(argument.value.typeDescription)",
                       at: argument.range)
        }
        for (index, argument) in bound.dropFirst().enumerated() {
            if let value = argument.value.asNumber, !argument.value.isNode,
               let problem = distribution.problem(parameter: index, value: value) {
                throw valueFail(problem.message(got: value), at: argument.range)
            }
        }
        if name == "uniform", let a = bound[1].value.asNumber, let b = bound[2].value.asNumber,
           !bound[1].value.isNode, !bound[2].value.isNode, !(b > a) {
            throw fail(Uniform.emptyInterval.message(got: b - a), at: bound[2].range)
        }
    }

    /// The sum of log-density terms that all come from one builtin with the
    /// same parameters and numbers for x: Σᵢ log p(xᵢ | θ) from the xs'
    /// sufficient statistics (as `normal_lpdf(xs, ...)`), or a normal
    /// regression's from centred sums; nil for any other list.
    func sumOfDensityTerms(_ items: [Value], at range: SourceRange) throws -> Value? {
        guard items.count > 1, case .node(let first) = items[0], let term = densityTerms[first] else { return nil }
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
            guard case .node(let id) = item, let other = densityTerms[id], other.builtin == term.builtin,
                  other.arguments.count == term.arguments.count else { return nil }
            terms.append(other)
        }
        if terms.allSatisfy({ zip($0.arguments.dropFirst(), term.arguments.dropFirst()).allSatisfy { same($0.value, $1.value) } }) {
            let xs = terms.map { Value.number($0.x) }
            var bound = term.arguments
            bound[0].value = .list(xs)
            return try logDensity(term.builtin, of: xs, bound, at: range)
        }
        // A normal regression: the same sigma, a mean a + b·cᵢ per term.
        guard term.builtin == .normal_lpdf,
              terms.allSatisfy({ same($0.arguments[2].value, term.arguments[2].value) }),
              let line = affineMeans(terms.map(\.arguments[1].value)) else { return nil }
        return try normalRegression(ys: terms.map(\.x), a: line.a, b: line.b, cs: line.cs, sigma: term.arguments[2],
                                    at: range)
    }

    /// Means that are all `a + b·cᵢ` for the same traced a and b and numbers
    /// cᵢ (in either order of the sum or the product; `b·1` is b itself).
    func affineMeans(_ means: [Value]) -> (a: NodeID, b: NodeID, cs: [Double])? {
        func decompositions(_ value: Value) -> [(a: NodeID, b: NodeID, c: Double)] {
            guard case .node(let id) = value, case .binary(.add, let p, let q) = graph[id].op else { return [] }
            var found: [(a: NodeID, b: NodeID, c: Double)] = []
            for (fixed, varying) in [(p, q), (q, p)] {
                if case .binary(.multiply, let u, let v) = graph[varying].op {
                    if case .constant(let c) = graph[v].op { found.append((fixed, u, c)) }
                    if case .constant(let c) = graph[u].op { found.append((fixed, v, c)) }
                }
                found.append((fixed, varying, 1))
            }
            return found
        }
        guard let first = means.first else { return nil }
        let all = means.map(decompositions)
        for candidate in decompositions(first) {
            var cs: [Double] = []
            cs.reserveCapacity(means.count)
            for options in all {
                guard let match = options.first(where: { $0.a == candidate.a && $0.b == candidate.b }) else { break }
                cs.append(match.c)
            }
            if cs.count == means.count { return (candidate.a, candidate.b, cs) }
        }
        return nil
    }

    /// Σᵢ normal_lpdf(yᵢ, a + b·cᵢ, σ) from centred sums: with u = c − c̄ and
    /// w = y − ȳ, Σ(y − a − bc)² = Σw² − 2bΣuw + b²Σu² + n(ȳ − a − bc̄)²
    /// (the cross terms vanish), so a regression's likelihood is a handful
    /// of nodes whatever the number of points.
    func normalRegression(ys: [Double], a: NodeID, b: NodeID, cs: [Double], sigma: CallArgument,
                          at range: SourceRange) throws -> Value {
        if ys.contains(where: \.isNaN) || cs.contains(where: \.isNaN) { return .number(.nan) }
        if ys.contains(where: \.isInfinite) { return .number(-.infinity) }
        let m = Algebra(interpreter: self, range: range)
        let n = Double(ys.count)
        let cMean = cs.reduce(0, +) / n, yMean = ys.reduce(0, +) / n
        var suu = 0.0, suw = 0.0, sww = 0.0
        for (c, y) in zip(cs, ys) {
            let u = c - cMean, w = y - yMean
            suu += u * u
            suw += u * w
            sww += w * w
        }
        let slope = Value.node(b)
        let offset = try m.minus(try m.minus(.number(yMean), .node(a)), try m.times(slope, .number(cMean)))
        let spread = try m.plus(try m.minus(.number(sww), try m.times(.number(2 * suw), slope)),
                                try m.times(.number(suu), try m.times(slope, slope)))
        let squares = try m.plus(spread, try m.times(.number(n), try m.times(offset, offset)))
        let s = sigma.value
        let scaled = try m.divide(squares, try m.times(s, s))
        return try m.minus(try m.times(.number(-0.5), scaled),
                           try m.plus(try m.times(.number(n), try m.apply(.log, s)),
                                      .number(n * 0.5 * Foundation.log(2 * Double.pi))))
    }

    /// `normal_lpdf(x, mu, sigma)` and the others: log p(x | parameters).
    /// A term of a number x with traced parameters is remembered
    /// (``densityTerms``), so that a `sum` of such terms sharing their
    /// parameters — the likelihood written as a comprehension — can be
    /// taken from the data's sufficient statistics instead.
    func logDensity(_ builtin: Builtin, _ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        let (name, distribution) = try density(builtin, at: range)
        let bound = try bind(builtin.rawValue, arguments, names: ["x"] + distribution.parameterNames, at: range)
        try refuseEstimates(builtin.rawValue, bound)
        // A list x (Stan's vectorised form): the sum over its elements.
        if case .list(let items) = bound[0].value {
            return try logDensity(builtin, of: items, bound, at: range)
        }
        let x = bound[0].value
        guard x.isNode || x.asNumber != nil else {
            throw fail("\(builtin.rawValue)'s x must be a number, got \(x.typeDescription)", at: bound[0].range)
        }
        try checkDensityParameters(builtin, name, distribution, bound)
        // All numbers: the distribution's own log-density (−inf outside the support).
        if !bound.contains(where: { $0.value.isNode }) {
            let numbers = bound.map { $0.value.asNumber ?? .nan }
            return .number(distribution.logDensity(numbers[0], parameters: Array(numbers.dropFirst())))
        }
        // A number x outside a support that does not move with the
        // parameters: −inf, whatever they are.
        if !x.isNode, let value = x.asNumber {
            if distribution.support.excludes(value) { return .number(-.infinity) }
            let term = try logDensityTerm(name, x, bound.dropFirst().map(\.value), at: range)
            if case .node(let id) = term { densityTerms[id] = DensityTerm(builtin: builtin, x: value, arguments: bound) }
            return term
        }
        return try logDensityTerm(name, x, bound.dropFirst().map(\.value), at: range)
    }

    /// The nodes of log p(x | p) for the distribution `name`, x or some
    /// parameter traced.
    private func logDensityTerm(_ name: String, _ x: Value, _ p: [Value], at range: SourceRange) throws -> Value {
        let m = Algebra(interpreter: self, range: range)
        // Outside the support the log-density is −inf: a traced x there
        // must not get a finite number. Continuous supports add
        // 0 · log(distance inside), nan outside (an error at that node) and
        // no comparison, so a pathwise x stays pathwise; discrete ones add
        // log(indicator), −inf outside.
        func inside(_ distance: Value) throws -> Value {
            distance.isNode ? try m.times(.number(0), try m.apply(.log, distance)) : .number(0)
        }
        func indicator(_ condition: Value) throws -> Value {
            x.isNode ? try m.apply(.log, condition) : .number(0)
        }
        switch name {
        case "normal":
            let z = try m.divide(try m.minus(x, p[0]), p[1])
            let square = try m.times(z, z)
            return try m.minus(try m.times(.number(-0.5), square),
                               try m.plus(try m.apply(.log, p[1]), .number(0.5 * Foundation.log(2 * Double.pi))))
        case "bernoulli":
            // log(k p + (1 − k)(1 − p)) for k in {0, 1}: one log, so p = 0 or 1
            // is −inf only where the outcome cannot happen.
            let chance = try m.plus(try m.times(x, p[0]), try m.times(try m.minus(.number(1), x), try m.minus(.number(1), p[0])))
            let binary = x.isNode ? try m.plus(try m.binary(.equal, x, .number(0)), try m.binary(.equal, x, .number(1))) : .number(1)
            return try m.plus(try m.apply(.log, chance), try indicator(binary))
        case "uniform":
            if let value = x.asNumber, !x.isNode, let a = p[0].asNumber, !p[0].isNode, !(value > a) { return .number(-.infinity) }
            if let value = x.asNumber, !x.isNode, let b = p[1].asNumber, !p[1].isNode, !(value < b) { return .number(-.infinity) }
            let width = try m.times(.number(-1), try m.apply(.log, try m.minus(p[1], p[0])))
            return try m.plus(width, try inside(try m.times(try m.minus(x, p[0]), try m.minus(p[1], x))))
        case "exponential":
            return try m.plus(try m.minus(try m.apply(.log, p[0]), try m.times(p[0], x)), try inside(x))
        case "gamma":
            // α log β − log Γ(α) + (α − 1) log x − β x.
            let front = try m.minus(try m.times(p[0], try m.apply(.log, p[1])), try m.apply(.lgamma, p[0]))
            let body = try m.minus(try m.times(try m.minus(p[0], .number(1)), try m.apply(.log, x)), try m.times(p[1], x))
            return try m.plus(front, body)
        case "beta":
            // (a − 1) log x + (b − 1) log(1 − x) − log B(a, b).
            let logBeta = try m.minus(try m.plus(try m.apply(.lgamma, p[0]), try m.apply(.lgamma, p[1])),
                                      try m.apply(.lgamma, try m.plus(p[0], p[1])))
            let body = try m.plus(try m.times(try m.minus(p[0], .number(1)), try m.apply(.log, x)),
                                  try m.times(try m.minus(p[1], .number(1)), try m.apply(.log, try m.minus(.number(1), x))))
            return try m.minus(body, logBeta)
        default:  // poisson: k log λ − λ − log Γ(k + 1), for whole k ≥ 0.
            let count = x.isNode
                ? try m.times(try m.binary(.greaterEqual, x, .number(0)), try m.binary(.equal, x, try m.apply(.round, x)))
                : .number(1)
            let body = try m.minus(try m.minus(try m.times(x, try m.apply(.log, p[0])), p[0]),
                                   try m.apply(.lgamma, try m.plus(x, .number(1))))
            return try m.plus(body, try indicator(count))
        }
    }

    /// `normal_lpdf(ys, mu, sigma)` and the others with a list x: Σᵢ log
    /// p(yᵢ | parameters), as in Stan. A list of numbers (data) is reduced
    /// first to the sufficient statistics the log-density needs — for the
    /// normal n, the mean and Σ(y − ȳ)², so that Σ(y − μ)² = Σ(y − ȳ)² +
    /// n(ȳ − μ)² — and the graph holds a few nodes, not one per datum;
    /// a list with traced elements is the sum of each element's.
    func logDensity(_ builtin: Builtin, of items: [Value], _ bound: [CallArgument],
                    at range: SourceRange) throws -> Value {
        let name = builtin.rawValue
        let m = Algebra(interpreter: self, range: range)
        if items.contains(where: \.isNode) {
            var terms: [Value] = []
            for (index, item) in items.enumerated() {
                guard item.isNode || item.asNumber != nil else {
                    throw fail("\(name)'s x[\(index)] must be a number, got \(item.typeDescription)", at: bound[0].range)
                }
                var one = bound
                one[0].value = item
                terms.append(try logDensity(builtin, one.map { CallArgument(label: nil, value: $0.value, range: $0.range) },
                                            at: range))
            }
            return try m.balancedSum(terms[...])
        }
        var ys: [Double] = []
        ys.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard let y = item.asNumber else {
                throw fail("\(name)'s x[\(index)] must be a number, got \(item.typeDescription)", at: bound[0].range)
            }
            ys.append(y)
        }
        let (distributionName, distribution) = try density(builtin, at: range)
        try checkDensityParameters(builtin, distributionName, distribution, bound)
        let p = bound.dropFirst().map(\.value)
        guard !ys.isEmpty else { return .number(0) }
        // A nan datum makes the sum nan, as it makes its own term.
        if ys.contains(where: \.isNaN) { return .number(.nan) }
        let n = Double(ys.count)
        let total = ys.reduce(0, +)
        // A datum outside a support that does not move: −inf, whatever the
        // parameters (and an infinite one on the real line, as its own term is).
        if ys.contains(where: { distribution.support.excludes($0) || (distribution.support == .realLine && $0.isInfinite) }) {
            return .number(-.infinity)
        }
        func number(_ x: Double) -> Value { .number(x) }
        switch distributionName {
        case "normal":
            let mean = total / n
            let spread = ys.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let offset = try m.minus(number(mean), p[0])
            let squares = try m.plus(number(spread), try m.times(number(n), try m.times(offset, offset)))
            let scaled = try m.divide(squares, try m.times(p[1], p[1]))
            return try m.minus(try m.times(number(-0.5), scaled),
                               try m.plus(try m.times(number(n), try m.apply(.log, p[1])),
                                          number(n * 0.5 * Foundation.log(2 * Double.pi))))
        case "bernoulli":
            // Only the outcomes seen count: p = 0 with no 1s is log 1 = 0.
            var sum: Value = .number(0)
            if total > 0 { sum = try m.plus(sum, try m.times(number(total), try m.apply(.log, p[0]))) }
            if total < n {
                sum = try m.plus(sum, try m.times(number(n - total), try m.apply(.log, try m.minus(number(1), p[0]))))
            }
            return sum
        case "uniform":
            if let a = p[0].asNumber, !p[0].isNode, !(ys.allSatisfy { $0 > a }) { return .number(-.infinity) }
            if let b = p[1].asNumber, !p[1].isNode, !(ys.allSatisfy { $0 < b }) { return .number(-.infinity) }
            let width = try m.times(number(-n), try m.apply(.log, try m.minus(p[1], p[0])))
            // Bounds that move: nan (an error at that node) once a datum is outside.
            let lowest = ys.min() ?? 0, highest = ys.max() ?? 0
            let distance = try m.times(try m.minus(number(lowest), p[0]), try m.minus(p[1], number(highest)))
            return try m.plus(width, distance.isNode ? try m.times(number(0), try m.apply(.log, distance)) : number(0))
        case "exponential":
            return try m.minus(try m.times(number(n), try m.apply(.log, p[0])), try m.times(p[0], number(total)))
        case "gamma":
            let logs = ys.reduce(0) { $0 + Foundation.log($1) }
            let front = try m.times(number(n), try m.minus(try m.times(p[0], try m.apply(.log, p[1])), try m.apply(.lgamma, p[0])))
            let body = try m.minus(try m.times(try m.minus(p[0], number(1)), number(logs)), try m.times(p[1], number(total)))
            return try m.plus(front, body)
        case "beta":
            let logs = ys.reduce(0) { $0 + Foundation.log($1) }
            let complements = ys.reduce(0) { $0 + Foundation.log1p(-$1) }
            let logBeta = try m.minus(try m.plus(try m.apply(.lgamma, p[0]), try m.apply(.lgamma, p[1])),
                                      try m.apply(.lgamma, try m.plus(p[0], p[1])))
            let body = try m.plus(try m.times(try m.minus(p[0], number(1)), number(logs)),
                                  try m.times(try m.minus(p[1], number(1)), number(complements)))
            return try m.minus(body, try m.times(number(n), logBeta))
        default:  // poisson: (Σk) log λ − nλ − Σ log Γ(k + 1).
            let factorials = ys.reduce(0) { $0 + Foundation.lgamma($1 + 1) }
            return try m.minus(try m.minus(try m.times(number(total), try m.apply(.log, p[0])), try m.times(number(n), p[0])),
                               number(factorials))
        }
    }

    /// `categorical_lpmf(k, probs)` = log(p_k / Σp); a traced k picks its
    /// term per particle, Σⱼ (k == j) log p_j.
    func categoricalLogDensity(_ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        let bound = try bind("categorical_lpmf", arguments, names: ["k", "probs"], at: range)
        try refuseEstimates("categorical_lpmf", bound)
        let probabilities = try listArgument("categorical_lpmf", bound[1])
        guard !probabilities.isEmpty else { throw fail("categorical_lpmf needs at least one probability", at: bound[1].range) }
        var known = 0.0
        for p in probabilities {
            if !p.isNode, let x = p.asNumber, let problem = Categorical().problem(parameter: 0, value: x) {
                throw valueFail(problem.message(got: x), at: bound[1].range)
            }
            known += p.asNumber ?? 0
        }
        // Checked as categorical checks them.
        if !probabilities.contains(where: \.isNode) && abs(known - 1) > Categorical.tolerance {
            throw fail(Categorical.notNormalised.message(got: known), at: bound[1].range)
        }
        let m = Algebra(interpreter: self, range: range)
        let logTotal = try m.apply(.log, try m.sum(probabilities))
        let k = bound[0].value
        if case .list(let items) = k {
            // Stan's vectorised form: Σᵢ log p(kᵢ); data as counts per category.
            if items.contains(where: \.isNode) {
                var terms: [Value] = []
                for item in items {
                    terms.append(try categoricalLogDensity([CallArgument(label: nil, value: item, range: bound[0].range), bound[1]],
                                                           at: range))
                }
                return try m.balancedSum(terms[...])
            }
            var counts = [Double](repeating: 0, count: probabilities.count)
            for (index, item) in items.enumerated() {
                guard let x = item.asNumber else {
                    throw fail("categorical_lpmf's k[\(index)] must be a number, got \(item.typeDescription)", at: bound[0].range)
                }
                guard x >= 0, x == x.rounded(), x < Double(probabilities.count) else { return .number(-.infinity) }
                counts[Int(x)] += 1
            }
            var total: Value = .number(0)
            for (j, count) in counts.enumerated() where count > 0 {
                if !probabilities[j].isNode, probabilities[j].asNumber == 0 { return .number(-.infinity) }
                total = try m.plus(total, try m.times(.number(count), try m.apply(.log, probabilities[j])))
            }
            return try m.minus(total, try m.times(.number(Double(items.count)), logTotal))
        }
        if !k.isNode {
            guard let x = k.asNumber else {
                throw fail("categorical_lpmf's k must be a number, got \(k.typeDescription)", at: bound[0].range)
            }
            guard x >= 0, x == x.rounded(), x < Double(probabilities.count) else { return .number(-.infinity) }
            let chosen = probabilities[Int(x)]
            // A probability of 0: the outcome cannot happen.
            if !chosen.isNode, chosen.asNumber == 0 { return .number(-.infinity) }
            return try m.minus(try m.apply(.log, chosen), logTotal)
        }
        // log Σⱼ (k == j) p_j: p_k for k in 0..<K, −inf (an error where it
        // is used) for any other k or a probability of 0.
        var terms: [Value] = []
        for (j, p) in probabilities.enumerated() {
            terms.append(try m.times(try m.binary(.equal, k, .number(Double(j))), p))
        }
        return try m.minus(try m.apply(.log, try m.sum(terms)), logTotal)
    }

    /// Estimates are numbers with an error these functions would drop: say so.
    func refuseEstimates(_ name: String, _ arguments: [CallArgument]) throws {
        for argument in arguments {
            let items: [Value]
            if case .list(let list) = argument.value { items = list } else { items = [argument.value] }
            if items.contains(where: \.isEstimate) {
                throw fail("\(name) takes numbers or random values, not estimates (it would drop their standard error); write value(e) for the number alone",
                           at: argument.range)
            }
        }
    }

    /// The numbers or traced values of a list argument.
    func listArgument(_ name: String, _ argument: CallArgument) throws -> [Value] {
        guard case .list(let items) = argument.value else {
            throw fail("\(name) expects a list, got \(argument.value.typeDescription)", at: argument.range)
        }
        for item in items where !item.isNode && item.asNumber == nil {
            throw fail("each element given to \(name) must be a number, got \(item.typeDescription)", at: argument.range)
        }
        return items
    }

    /// `logsumexp(xs)`, `softmax(xs)`, `dot(xs, ys)`, `matvec(W, x)`.
    func listFunction(_ builtin: Builtin, _ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        let name = builtin.rawValue
        try noKeywords(name, arguments)
        if builtin != .dot { try refuseEstimates(name, arguments) }
        let wanted = builtin == .dot || builtin == .matvec ? 2 : 1
        guard arguments.count == wanted else {
            throw fail("\(name) expects \(countPhrase(wanted, "list")), got \(countPhrase(arguments.count, "argument"))", at: range)
        }
        let m = Algebra(interpreter: self, range: range)
        if builtin == .matvec {
            // matvec(W, x): one dot product per row of W.
            guard case .list(let rows) = arguments[0].value, !rows.isEmpty else {
                throw fail("matvec expects a matrix (a list of rows) first, got \(arguments[0].value.typeDescription)",
                           at: arguments[0].range)
            }
            let x = try listArgument(name, arguments[1])
            return .list(try rows.enumerated().map { index, row in
                let entries = try listArgument(name, CallArgument(label: nil, value: row, range: arguments[0].range))
                guard entries.count == x.count else {
                    throw fail("matvec needs rows as long as the vector: row \(index) has \(entries.count), the vector \(x.count)",
                               at: range)
                }
                return try m.sum(try zip(entries, x).map { try m.times($0, $1) })
            })
        }
        let xs = try listArgument(name, arguments[0])
        if builtin == .dot {
            let ys = try listArgument(name, arguments[1])
            guard xs.count == ys.count else {
                throw fail("dot needs two lists of one length, got \(xs.count) and \(ys.count)", at: range)
            }
            return try m.sum(try zip(xs, ys).map { try m.times($0, $1) })
        }
        guard !xs.isEmpty else { throw fail("\(name) of an empty list", at: arguments[0].range) }
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
            largest = try call(.max, [CallArgument(label: nil, value: .list(xs), range: arguments[0].range)], at: range)
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
