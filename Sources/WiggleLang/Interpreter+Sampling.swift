// Interpreter+Sampling.swift — calls of a distribution: its arguments bound
// by name, checked while tracing, and traced into a random node.

import WiggleGraph
import WiggleSyntax

extension Interpreter {
    /// A call of a distribution (`normal(mu, sigma)`, `bernoulli(p)`, ...),
    /// with an optional estimator annotation: every parameter known while
    /// tracing is checked with the distribution's own message, then the call
    /// becomes a random node.
    func sample(_ id: DistributionID, _ arguments: [CallArgument], annotation: EstimatorAnnotation?,
                at range: SourceRange) throws -> Value {
        let distribution = DistributionRegistry[id]
        if distribution.takesProbabilityList {
            return try sampleCategorical(id, distribution, arguments, annotation: annotation, at: range)
        }
        let names = distribution.parameterNames
        let values = try bind(distribution.name, arguments, names: names, at: range)
        let estimator = try annotation.map { try requestedEstimator($0, for: distribution, at: range) }
        for (index, argument) in values.enumerated() {
            if let x = argument.value.asNumber, let problem = distribution.problem(parameter: index, value: x) {
                throw valueFail(problem.message(got: x), at: argument.range)
            }
        }
        let parameters = try zip(names, values).map { name, argument in
            try tracer.nodeID(argument.value, what: name, at: argument.range)
        }
        return try tracer.makeNode(.random(id, parameters), at: range, estimator: estimator)
    }

    /// The most categories one categorical node may have.
    static let maxCategories = 100_000

    /// `categorical(probs)`, `categorical(probs = xs)`, `categorical(logits = xs)`:
    /// one list whose every element becomes a parameter of the node.
    func sampleCategorical(_ id: DistributionID, _ distribution: any Distribution, _ arguments: [CallArgument],
                           annotation: EstimatorAnnotation?, at range: SourceRange) throws -> Value {
        let name = distribution.name
        let usage = "\(name) takes one list of probabilities, \(name)(probs), or of log-odds, \(name)(logits = xs)"
        guard arguments.count == 1 else { throw fail(usage, at: range) }
        let argument = arguments[0]
        let label = argument.label?.name
        guard label == nil || label == "probs" || label == "logits" else {
            throw fail("\(name) has no argument named '\(label ?? "")'; \(usage)", at: argument.label?.range ?? range)
        }
        guard case .list(var items) = argument.value else {
            throw fail("\(usage); got \(argument.value.typeDescription)", at: argument.range)
        }
        guard !items.isEmpty else { throw fail("\(name) needs at least one category", at: argument.range) }
        guard items.count <= Self.maxCategories else {
            throw fail("\(name) may have at most \(Self.maxCategories) categories, got \(items.count)", at: argument.range)
        }
        if label == "logits" {
            guard case .list(let probabilities) = try tracer.listFunction(.softmax, [CallArgument(label: nil, value: argument.value, range: argument.range)],
                                                                  at: argument.range) else {
                throw fail(usage, at: argument.range)
            }
            items = probabilities
        }
        let estimator = try annotation.map { try requestedEstimator($0, for: distribution, at: range) }
        var known: [Double] = [], allKnown = true
        for item in items {
            if item.isNode { allKnown = false; continue }
            guard let x = item.asNumber else {
                throw fail("each element given to \(name) must be a number, got \(item.typeDescription)", at: argument.range)
            }
            if let problem = distribution.problem(parameter: 0, value: x) { throw valueFail(problem.message(got: x), at: argument.range) }
            known.append(x)
        }
        if allKnown, let (problem, value, _) = distribution.problem(parameters: known) {
            throw fail(problem.message(got: value), at: argument.range)
        }
        let parameters = try items.map { try tracer.nodeID($0, what: "a probability", at: argument.range) }
        return try tracer.makeNode(.random(id, parameters), at: range, estimator: estimator)
    }

    /// The estimator an annotation asks for, if the distribution admits it.
    func requestedEstimator(_ annotation: EstimatorAnnotation, for distribution: any Distribution,
                            at range: SourceRange) throws -> Estimator {
        guard let estimator = Estimator(rawValue: annotation.name) else {
            // The parser says so when the session gives it the table; a
            // program parsed without it is told here, in the same words.
            throw fail(Session.estimatorNames.unknown(annotation.name), at: annotation.range)
        }
        if distribution.admits(estimator) { return estimator }
        // A finite distribution's measure-valued derivative is its exact k-point one.
        if estimator == .mvd && distribution.admits(.exact) { return .exact }
        let names = Estimator.allCases.filter(distribution.admits).map { "@\($0.rawValue)" }
        let admitted = Interpreter.list(names, "or")
        if estimator == .pathwise {
            throw fail("a \(distribution.name) cannot be reparametrised; use \(admitted)", at: range)
        }
        // The distributions every program has that take it, else (an
        // estimator registered for registered distributions) those.
        var users = DistributionRegistry.builtins.filter { $0.admits(estimator) }.map(\.name)
        if users.isEmpty { users = DistributionRegistry.all.filter { $0.admits(estimator) }.map(\.name) }
        throw fail("@\(annotation.name) applies to \(Interpreter.list(users, "and")); a \(distribution.name) takes \(admitted)",
                   at: range)
    }

    /// The names of the distributions every program has, for messages: "normal or bernoulli".
    static var distributionNames: String { list(DistributionRegistry.builtins.map(\.name), "or") }

    /// Words listed for people: "a", "a or b", "a, b or c".
    static func list(_ words: [String], _ conjunction: String) -> String {
        words.count <= 1 ? words.joined() : words.dropLast().joined(separator: ", ") + " \(conjunction) " + (words.last ?? "")
    }

    /// Binds positional and keyword arguments to a builtin's parameter names.
    func bind(_ name: String, _ arguments: [CallArgument], names: [String], at range: SourceRange) throws -> [CallArgument] {
        var bound = [CallArgument?](repeating: nil, count: names.count)
        var position = 0
        for argument in arguments {
            if let label = argument.label {
                guard let index = names.firstIndex(of: label.name) else {
                    throw fail("\(name) has no argument named '\(label.name)'", at: label.range)
                }
                if bound[index] != nil { throw fail("\(name) got two values for '\(label.name)'", at: label.range) }
                bound[index] = argument
            } else {
                guard position < names.count else {
                    throw fail("\(name) expects \(countPhrase(names.count, "argument")), got \(arguments.count)", at: range)
                }
                bound[position] = argument
                position += 1
            }
        }
        return try bound.enumerated().map { index, argument in
            guard let argument else {
                throw fail("\(name) expects \(countPhrase(names.count, "argument")) (\(names.joined(separator: ", "))), got \(arguments.count)",
                           at: range)
            }
            return argument
        }
    }
}
