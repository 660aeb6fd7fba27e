// Builtins.swift — the functions every program can call.

import WiggleGraph
import WiggleSyntax

/// The builtin functions.
public enum Builtin: String, CaseIterable, Sendable {
    // Elementary functions of one number.
    case exp, log, sqrt, abs, sin, cos, tanh, sigmoid, softplus, floor, round, lgamma, digamma
    // min and max take numbers or one list.
    case min, max
    // Functions of a list.
    case sum, mean, std, len, concat
    // The parts of an estimate.
    case value, stderr
    // The list functions of an ELBO. (The log-densities, `normal_lpdf`,
    // `poisson_lpmf`, ..., come with the distributions: DensityFunctions.)
    case softmax, logsumexp, dot, matvec
    // Data.
    case read_csv
    case print, set
    // Inference; it needs the stochastic graph. (The random primitives,
    // `normal`, `bernoulli`, ..., come from WiggleGraph's distribution registry.)
    case grad, hessian, hvp, minimize, maximize, explain, hist
    /// `param w[8] = normal_init(0.1)`: random starting values drawn from the seed.
    case normal_init

    /// True for builtins whose first argument is an objective `E[...]`.
    var takesObjective: Bool { self == .grad || self == .minimize || self == .maximize || takesSecondOrder }
    /// True for `hessian` and `hvp`.
    var takesSecondOrder: Bool { self == .hessian || self == .hvp }

    /// The numeric function behind an elementary builtin.
    var unaryFunction: UnaryFunction? {
        switch self {
        case .exp: return .exp
        case .log: return .log
        case .sqrt: return .sqrt
        case .abs: return .abs
        case .sin: return .sin
        case .cos: return .cos
        case .tanh: return .tanh
        case .sigmoid: return .sigmoid
        case .softplus: return .softplus
        case .floor: return .floor
        case .round: return .round
        case .lgamma: return .lgamma
        case .digamma: return .digamma
        default: return nil
        }
    }
}

extension Interpreter {
    /// A one-number builtin (`exp`, `log`, `floor`, ...) on a value: a
    /// traced value becomes a node, a number or an estimate its image (an
    /// estimate's error by the delta method), and a list is mapped element
    /// by element, nested lists too, as NumPy's functions are.
    func unary(_ builtin: Builtin, _ function: UnaryFunction, _ argument: Value, at range: SourceRange,
               argument argumentRange: SourceRange) throws -> Value {
        let name = builtin.rawValue
        switch argument {
        case .node(let id):
            return try tracer.makeNode(.unary(function, id), at: range)
        case .list(let items):
            return try nestedList(items.map { try unary(builtin, function, $0, at: range, argument: argumentRange) }, at: range)
        default:
            break
        }
        guard let x = argument.asNumber else {
            throw fail("\(name) expects a number, got \(argument.typeDescription)", at: argumentRange)
        }
        if let problem = function.domainError(x) { throw valueFail(problem, at: argumentRange) }
        let result = function.apply(x)
        guard result.isFinite else {
            throw valueFail("\(name)(\(formatNumber(x))) is too large to represent", at: range)
        }
        if case .estimate(let estimate) = argument {
            // The delta method; a step has no first-order error to give.
            guard function.continuity != .discontinuous else {
                throw fail("\(name) of an estimate has no standard error to first order; write \(name)(value(e)) for the number alone",
                           at: range)
            }
            let slope = function.derivative(x, result: result)
            guard slope.isFinite else {
                throw fail("the standard error of \(name)(\(formatNumber(x))) is undefined: the derivative there is not finite", at: range)
            }
            return .estimate(estimate.mapped(to: result, slope: slope))
        }
        return .number(result)
    }

    /// Calls a builtin.
    func call(_ builtin: Builtin, _ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        let name = builtin.rawValue
        if let function = builtin.unaryFunction {
            try noKeywords(name, arguments)
            guard arguments.count == 1 else { throw fail("\(name) expects 1 argument, got \(arguments.count)", at: range) }
            return try unary(builtin, function, arguments[0].value, at: range, argument: arguments[0].range)
        }
        switch builtin {
        case .min, .max:
            try noKeywords(name, arguments)
            let items: [CallArgument]
            if arguments.count == 1, case .list(let values) = arguments[0].value {
                items = values.map { CallArgument(label: nil, value: $0, range: arguments[0].range) }
            } else {
                items = arguments
            }
            if items.contains(where: { $0.value.isNode }) && items.count >= 2 {
                var result = try tracer.nodeID(items[0].value, what: "each argument of \(name)", at: items[0].range)
                for item in items.dropFirst() {
                    let next = try tracer.nodeID(item.value, what: "each argument of \(name)", at: item.range)
                    guard case .node(let id) = try tracer.makeNode(.binary(builtin == .min ? .min : .max, result, next), at: range) else { break }
                    result = id
                }
                return .node(result)
            }
            if items.count == 1, items[0].value.isNode { return items[0].value }
            let numbers: [Double]
            if arguments.count == 1, case .list(let items) = arguments[0].value {
                numbers = try items.map { try number($0, what: "each element given to \(name)", at: arguments[0].range) }
                guard !numbers.isEmpty else { throw fail("\(name) of an empty list", at: arguments[0].range) }
            } else {
                guard arguments.count >= 2 else {
                    throw fail("\(name) expects a list or at least 2 numbers, got \(arguments.count == 0 ? "nothing" : arguments[0].value.typeDescription)",
                               at: range)
                }
                numbers = try arguments.map { try number($0.value, what: "each argument of \(name)", at: $0.range) }
            }
            let chosen = builtin == .min ? numbers.min() ?? 0 : numbers.max() ?? 0
            // Of estimates, the chosen one keeps its error (min and max
            // follow one argument where they are differentiable).
            let values = arguments.count == 1 ? (items.map(\.value)) : arguments.map(\.value)
            if let picked = values.first(where: { $0.isEstimate && $0.asNumber == chosen }) { return picked }
            return .number(chosen)

        case .sum, .mean, .std:
            if let traced = try tracer.tracedStatistic(builtin, arguments, at: range) { return traced }
            let numbers = try numberList(name, arguments, at: range, allowed: builtin == .std ? ["ddof"] : [])
            if builtin != .std, case .list(let items) = arguments[0].value, items.contains(where: \.isEstimate) {
                // Of estimates: the error propagates (a mean is a sum scaled).
                let total = Estimate.sum(items.map(\.estimate))
                guard builtin == .mean else { return .estimate(total) }
                let count = Double(items.count)
                return .estimate(total.mapped(to: total.value / count, slope: 1 / count))
            }
            switch builtin {
            case .sum:
                return .number(try finite(numbers.reduce(0, +), "the sum", at: range))
            case .mean:
                guard !numbers.isEmpty else { throw fail("mean of an empty list", at: arguments[0].range) }
                return .number(try finite(numbers.reduce(0, +) / Double(numbers.count), "the mean", at: range))
            default:
                var ddof = 0
                if let argument = keyword("ddof", arguments) {
                    ddof = try wholeNumber(argument.value, what: "ddof", at: argument.range)
                    guard ddof == 0 || ddof == 1 else { throw fail("ddof must be 0 or 1, got \(ddof)", at: argument.range) }
                }
                guard numbers.count > ddof else {
                    throw fail("std needs at least \(countPhrase(ddof + 1, "element")), got \(numbers.count)",
                               at: arguments[0].range)
                }
                let mean = numbers.reduce(0, +) / Double(numbers.count)
                let squares = numbers.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
                return .number(try finite((squares / Double(numbers.count - ddof)).squareRoot(), "the std", at: range))
            }

        case .softmax, .logsumexp, .dot, .matvec:
            guard let key = tracer.tracedCallKey(builtin, arguments) else { return try tracer.listFunction(builtin, arguments, at: range) }
            return try tracer.cachedTracedCall(key) { try tracer.listFunction(builtin, arguments, at: range) }

        case .read_csv:
            return try CSVData(interpreter: self).readCSV(arguments, at: range)

        case .value, .stderr:
            try noKeywords(name, arguments)
            guard arguments.count == 1 else {
                throw fail("\(name) expects 1 argument, got \(arguments.count)", at: range)
            }
            return try estimatePart(builtin, of: arguments[0].value, at: arguments[0].range)

        case .concat:
            try noKeywords(name, arguments)
            guard !arguments.isEmpty else { throw fail("concat expects lists to join, got nothing", at: range) }
            var joined: [Value] = []
            for argument in arguments {
                guard case .list(let items) = argument.value else {
                    throw fail("concat joins lists, got \(argument.value.typeDescription)", at: argument.range)
                }
                guard joined.count + items.count <= settings.maxListLength else {
                    throw fail("this list would have more than \(settings.maxListLength) elements", at: range)
                }
                joined += items
            }
            return try nestedList(joined, at: range)

        case .len:
            try noKeywords(name, arguments)
            guard arguments.count == 1 else {
                throw fail("len expects 1 argument, got \(arguments.count)", at: range)
            }
            switch arguments[0].value {
            case .list(let items): return .number(Double(items.count))
            case .string(let text): return .number(Double(text.count))
            default: throw fail("len expects a list or a string, got \(arguments[0].value.typeDescription)", at: arguments[0].range)
            }

        case .print:
            try noKeywords(name, arguments)
            try tracer.refuseInRandomBranch("print", at: range)
            let text = try arguments.map { Display.printed(try inference.displayable($0.value, at: $0.range)) }.joined(separator: " ")
            output(.printed(text, line: file.line(of: range.start)))
            return .none

        case .set:
            try tracer.refuseInRandomBranch("set", at: range)
            try applySettings(arguments, at: range)
            return .none

        case .hist:
            return try inference.histogram(arguments, at: range)

        case .normal_init:
            let bound = try bind("normal_init", arguments, names: ["sd"] + (keyword("mean", arguments) != nil ? ["mean"] : []),
                                 at: range)
            let sd = try number(bound[0].value, what: "normal_init's sd", at: bound[0].range)
            let mean = bound.count > 1 ? try number(bound[1].value, what: "normal_init's mean", at: bound[1].range) : 0
            guard sd >= 0, sd.isFinite, mean.isFinite else {
                throw fail("normal_init needs a finite sd >= 0, got \(formatNumber(sd))", at: bound[0].range)
            }
            return .initializer(mean: mean, sd: sd)

        case .explain:
            return try inference.explain(arguments, at: range)

        case .grad, .hessian, .hvp, .minimize, .maximize:
            throw fail("\(name) needs an expectation as its first argument: \(name)(E[...])", at: range)

        default:
            throw fail("\(name) cannot be called here", at: range)
        }
    }

    /// `value(e)` or `stderr(e)` of an estimate, a number or a list of them.
    func estimatePart(_ builtin: Builtin, of value: Value, at range: SourceRange) throws -> Value {
        switch value {
        case .estimate(let estimate): return .number(builtin == .value ? estimate.value : estimate.stderr)
        case .list(let items): return .list(try items.map { try estimatePart(builtin, of: $0, at: range) })
        case .node:
            throw fail("\(builtin.rawValue) takes an estimate; this is a random value: write \(builtin.rawValue)(E[...])", at: range)
        default:
            guard let x = value.asNumber else {
                throw fail("\(builtin.rawValue) takes an estimate or a number, got \(value.typeDescription)", at: range)
            }
            return .number(builtin == .value ? x : 0)
        }
    }

    /// `set(seed = S, particles = N)`.
    func applySettings(_ arguments: [CallArgument], at range: SourceRange) throws {
        guard !arguments.isEmpty else {
            // set() shows the settings.
            output(.printed("set(\(settings.summary))", line: file.line(of: range.start)))
            return
        }
        for argument in arguments {
            guard let label = argument.label else {
                throw fail("set takes named settings: seed = S, particles = N", at: argument.range)
            }
            // The command line wins (a shell loop over seeds must vary): the
            // program's value is checked, then dropped, with a note once.
            let fixed = settings.fixedByCommandLine.contains(label.name)
            var target = settings
            switch label.name {
            case "seed":
                let seed = try wholeNumber(argument.value, what: "the seed", at: argument.range)
                guard seed >= 0 else { throw fail("the seed must be 0 or more, got \(seed)", at: argument.range) }
                target.seed = UInt64(seed)
            case "threads":
                let threads = try wholeNumber(argument.value, what: "the number of threads", at: argument.range)
                guard threads >= 1 && threads <= 1024 else {
                    throw fail("threads must be between 1 and 1024, got \(threads)", at: argument.range)
                }
                target.threads = threads
            case "particles":
                let particles = try wholeNumber(argument.value, what: "the number of particles", at: argument.range)
                guard particles >= 1 && particles <= Settings.maxParticles else {
                    throw fail("particles must be between 1 and \(Settings.maxParticles), got \(particles)", at: argument.range)
                }
                target.particles = particles
            case "sampling":
                guard case .string(let name) = argument.value else {
                    throw fail("sampling is a name: \"iid\", \"antithetic\" or \"rqmc\", got \(argument.value.typeDescription)", at: argument.range)
                }
                switch Sampling.named(name) {
                case .success(let sampling): target.sampling = sampling
                case .failure(let error): throw fail(error.message, at: argument.range)
                }
            case "replicates":
                let replicates = try wholeNumber(argument.value, what: "the number of replicates", at: argument.range)
                guard replicates >= 2 && replicates <= Settings.maxReplicates else {
                    throw fail("replicates must be between 2 and \(Settings.maxReplicates) (their spread is the standard error), got \(replicates)",
                               at: argument.range)
                }
                target.replicates = replicates
            case "loop_limit":
                let limit = try wholeNumber(argument.value, what: "the loop limit", at: argument.range)
                guard limit >= 1 && limit <= Settings.maxLoopLimit else {
                    throw fail("loop_limit must be between 1 and \(Settings.maxLoopLimit), got \(limit)", at: argument.range)
                }
                target.loopLimit = limit
            default:
                throw fail("unknown setting '\(label.name)'; set takes seed, particles, threads, loop_limit, sampling and replicates", at: label.range)
            }
            guard fixed else {
                settings = target
                continue
            }
            if !overriddenSettings.contains(label.name) {
                overriddenSettings.insert(label.name)
                let given = switch label.name {
                case "seed": "\(settings.seed)"
                case "particles": "\(settings.particles)"
                case "loop_limit": "\(settings.loopLimit)"
                case "sampling": settings.sampling.rawValue
                case "replicates": "\(settings.replicates)"
                default: "\(settings.threads)"
                }
                let flag = label.name.replacingOccurrences(of: "_", with: "-")
                output(.notice("--\(flag) \(given) overrides set(\(label.name) = ...) at line \(file.line(of: label.range.start))"))
            }
        }
        // Randomised QMC shares the particles out in powers of two: say so when that changes the count.
        if let rounding = settings.quasiRounding, rounding != quasiNotice {
            quasiNotice = rounding
            output(.notice(rounding))
        }
    }

    // MARK: Argument helpers

    func keyword(_ name: String, _ arguments: [CallArgument]) -> CallArgument? {
        arguments.first { $0.label?.name == name }
    }

    func noKeywords(_ name: String, _ arguments: [CallArgument], allowed: Set<String> = []) throws {
        if let bad = arguments.first(where: { $0.label != nil && !allowed.contains($0.label?.name ?? "") }),
           let label = bad.label {
            throw fail("\(name) has no argument named '\(label.name)'", at: label.range)
        }
    }

    /// One positional list of numbers (plus the allowed keywords).
    func numberList(_ name: String, _ arguments: [CallArgument], at range: SourceRange,
                    allowed: Set<String>) throws -> [Double] {
        try noKeywords(name, arguments, allowed: allowed)
        let positional = arguments.filter { $0.label == nil }
        guard positional.count == 1 else {
            throw fail("\(name) expects 1 list, got \(countPhrase(positional.count, "argument"))", at: range)
        }
        guard case .list(let items) = positional[0].value else {
            throw fail("\(name) expects a list, got \(positional[0].value.typeDescription)", at: positional[0].range)
        }
        return try items.map { try number($0, what: "each element given to \(name)", at: positional[0].range) }
    }

    func finite(_ x: Double, _ what: String, at range: SourceRange) throws -> Double {
        guard x.isFinite else { throw valueFail("\(what) is too large to represent", at: range) }
        return x
    }
}
