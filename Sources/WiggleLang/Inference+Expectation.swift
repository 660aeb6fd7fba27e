// Inference+Expectation.swift — E[...], and random values summarised for
// display (clouds and histograms).

import WiggleGraph
import WiggleSyntax

extension Inference {
    // MARK: E[...]

    /// `E[e]`: a Monte Carlo estimate and its standard error.
    func expectation(of value: Value, at range: SourceRange) throws -> Value {
        try interpreter.tracer.refuseInRandomLoop("E[...]", at: range)
        switch value {
        case .node(let id):
            if let exact = try interpreter.currentValue(of: id, at: range) { return .estimate(Estimate(exact: exact)) }
            try requireTwoParticles(interpreter.settings.particles, at: range)
            let runner = cachedRunner(for: id).runner
            let result = try runEngine(runner, configuration: nextConfiguration())
            try requireFinite(result.outputs[0].mean, result.outputs[0].standardError, at: range)
            return .estimate(Estimate(value: result.outputs[0].mean, stderr: result.outputs[0].standardError))
        case .estimate:
            return value
        default:
            // The expectation of a deterministic number is that number, exactly.
            guard let x = value.asNumber else {
                throw interpreter.fail("E[...] needs a number inside, got \(value.typeDescription)", at: range)
            }
            return .estimate(Estimate(exact: x))
        }
    }

    // MARK: Display of random values

    /// A value ready to show: random nodes summarised as particle clouds, parameter-only nodes computed.
    func displayable(_ value: Value, at range: SourceRange) throws -> Value {
        switch value {
        case .node(let id):
            if let exact = try interpreter.currentValue(of: id, at: range) { return .number(exact) }
            try requireTwoParticles(interpreter.settings.particles, at: range)
            return .report(.cloud(try cloud(of: id, bins: 16, isHistogram: false)))
        case .list(let items):
            // A list of plain values is shown as it is, without a copy.
            guard value.containsNode else { return value }
            return .list(try items.map { try displayable($0, at: range) })
        default:
            return value
        }
    }

    /// Runs a random node twice on the same particles: once for its moments
    /// and range, once to count it into bins over that range.
    func cloud(of id: NodeID, bins: Int, isHistogram: Bool) throws -> CloudSummary {
        let runner = cachedRunner(for: id).runner
        var configuration = nextConfiguration()
        configuration.collectRange = true
        let first = try runEngine(runner, configuration: configuration)
        let range = first.ranges[0]
        // A histogram gets round bins (whole numbers for whole-number
        // values); the one-line summary spans min to max.
        var layout: HistogramBins?
        var histogramRange = range, count = bins
        if isHistogram {
            let chosen = HistogramBins(low: range.lowerBound, high: range.upperBound, target: bins,
                                       integral: first.integral.first ?? false)
            layout = chosen
            histogramRange = chosen.start...chosen.end
            count = chosen.count
        }
        let second = try runEngine(runner, configuration: configuration, histogram: (histogramRange, count))
        let moments = first.outputs[0]
        // Under randomised QMC the spread of the particles themselves, not of the replicates' means.
        let sd = (first.particleMoments?.first ?? moments).standardDeviation
        return CloudSummary(mean: moments.mean, stderr: moments.standardError, sd: sd,
                            min: range.lowerBound, max: range.upperBound, histogram: second.histogram,
                            particles: first.replicates.map { $0.count * $0.points } ?? configuration.particles,
                            isHistogram: isHistogram, bins: layout)
    }

    /// The histogram of a list of numbers (data).
    func dataHistogram(_ numbers: [Double], bins: Int) -> CloudSummary {
        let n = Double(numbers.count)
        let mean = numbers.reduce(0) { $0 + $1 / n }
        let variance = numbers.count > 1 ? numbers.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
        let low = numbers.min() ?? 0, high = numbers.max() ?? 0
        let layout = HistogramBins(low: low, high: high, target: bins, integral: numbers.allSatisfy { $0 == $0.rounded() })
        var counts = [Int](repeating: 0, count: layout.count)
        for x in numbers { counts[layout.index(of: x)] += 1 }
        return CloudSummary(mean: mean, stderr: (variance / n).squareRoot(), sd: variance.squareRoot(), min: low, max: high,
                            histogram: counts, particles: numbers.count, isHistogram: true, bins: layout, isData: true)
    }

    /// `hist(e)`: a terminal histogram of e's particles.
    func histogram(_ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        try interpreter.tracer.refuseInRandomLoop("hist", at: range)
        try interpreter.noKeywords("hist", arguments, allowed: ["bins"])
        let positional = arguments.filter { $0.label == nil }
        guard positional.count == 1 else {
            throw interpreter.fail("hist expects 1 argument, got \(positional.count)", at: range)
        }
        var bins = 20
        if let option = interpreter.keyword("bins", arguments) {
            bins = try interpreter.wholeNumber(option.value, what: "bins", at: option.range)
            guard bins >= 1 && bins <= 200 else { throw interpreter.fail("bins must be between 1 and 200, got \(bins)", at: option.range) }
        }
        let argument = positional[0]
        switch argument.value {
        case .node(let id) where interpreter.graph[id].isRandom:
            try requireTwoParticles(interpreter.settings.particles, at: argument.range)
            return .report(.cloud(try cloud(of: id, bins: bins, isHistogram: true)))
        case .node(let id):
            return .number(try interpreter.currentValue(of: id, at: argument.range) ?? .nan)
        case .list(let items):
            // Data: a list of numbers.
            guard !items.isEmpty else { throw interpreter.fail("hist of an empty list", at: argument.range) }
            let numbers = try items.map { try interpreter.number($0, what: "each element given to hist", at: argument.range) }
            guard numbers.allSatisfy(\.isFinite) else { throw interpreter.fail("hist needs finite numbers", at: argument.range) }
            return .report(.cloud(dataHistogram(numbers, bins: bins)))
        default:
            throw interpreter.fail("hist expects a random value or a list of numbers, got \(argument.value.typeDescription)", at: argument.range)
        }
    }
}
