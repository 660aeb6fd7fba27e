// Workspace+Estimators.swift — the per-chunk side work of the estimators
// that are not pathwise: score-function weights with their leave-one-out
// baseline, and the counterfactual runs of enumeration and of the
// measure-valued derivative.

import WiggleCore
import WiggleDistributions

extension Workspace {
    /// The sum of a list of cost terms over the lanes, into `out`.
    func sumTerms(_ terms: [CostTerm], base: UnsafeMutablePointer<Double>, lanes m: Int,
                  into out: UnsafeMutablePointer<Double>) {
        let C = chunkSize
        out.update(repeating: 0, count: m)
        for term in terms {
            let t = base + Int(term.slot) * C
            let sign = term.sign
            if term.multiplier >= 0 {
                let k = base + Int(term.multiplier) * C
                for l in 0..<m { out[l] += sign * k[l] * t[l] }
            } else {
                for l in 0..<m { out[l] += sign * t[l] }
            }
        }
    }

    /// Each weight group's cost per lane, minus its leave-one-out baseline:
    /// the mean cost of the chunk's other particles, which does not depend on
    /// this particle's sample, so the estimator stays unbiased. Under
    /// antithetic sampling a particle's pair is not independent of it, so
    /// the baseline leaves the pair out.
    func computeWeights(lanes m: Int, baselines: [Double]? = nil, into partial: inout Partial) {
        for (group, terms) in groupTerms.enumerated() where !fusedGroups[group] || antithetic || quasi {
            let w = weights + group * chunkSize
            sumTerms(terms, base: values, lanes: m, into: w)
            // The points of one scrambled net are not independent of each
            // other: a baseline from them would be biased. The baseline is
            // another replicate's mean cost (none for the first), and this
            // one's is summed for the next.
            if quasi {
                if partial.groupCosts.count < groupTerms.count { partial.groupCosts = Array(repeating: 0, count: groupTerms.count) }
                partial.groupCosts[group] += Moments.sum(w, count: m)
                if usesBaseline, let baselines, baselines.indices.contains(group) {
                    let b = baselines[group]
                    for l in 0..<m { w[l] -= b }
                }
                continue
            }
            if antithetic {
                guard usesBaseline, m > 2 else { continue }
                let total = Moments.sum(w, count: m)
                let inverse = 1 / Double(m - 2)
                for pair in stride(from: 0, to: m, by: 2) {
                    let others = (total - w[pair] - w[pair + 1]) * inverse
                    w[pair] -= others
                    w[pair + 1] -= others
                }
                continue
            }
            guard usesBaseline, m > 1 else { continue }
            let total = Moments.sum(w, count: m)
            // One division per chunk, not per particle.
            let inverse = 1 / Double(m - 1)
            for l in 0..<m { w[l] -= (total - w[l]) * inverse }
        }
    }

    /// For each enumerated node, the cost with the node set to each of its
    /// outcomes, re-running what lies downstream with the same random numbers.
    /// Mixed into a node's stream key for the random numbers of its
    /// measure-valued worlds, so they are not the draws of its value.
    static let worldStream: UInt64 = 0x6d76_645f_776f_726c

    func computeOutcomeCosts(chunk: Int, lanes m: Int, configuration: EngineConfiguration, partial: inout Partial) {
        guard !enumerations.isEmpty else { return }
        let C = chunkSize
        // Worlds that were never sampled must not add to the failure counts;
        // anything wrong in them shows up as a non-finite gradient.
        var counterfactual = Partial(plan: plan, histogramBins: 0)
        for slot in enumerationReads {
            (scratch + Int(slot) * C).update(from: values + Int(slot) * C, count: m)
        }
        for (index, work) in enumerations.enumerated() {
            let node = enumerationNodes[index]
            let x = scratch + Int(node.out) * C
            let downstream = UnsafeBufferPointer(enumerationDownstream[index])
            let costRow = enumerationRows[index]
            if let worlds = work.worlds, let rows = worldValues[index] {
                // The worlds of each lane, from numbers of the node's own
                // (a sub-address of its draw) for that particle.
                let call = randomCall(node, base: values, lanes: m)
                let streams = ParticleStreams(seed: configuration.seed, draw: configuration.draw, address: node.stream,
                                              first: chunk * chunkSize).sub(Workspace.worldStream)
                work.worldsEstimator?.rule.fillWorlds(calls[Int(node.table)].distribution, call, worlds: rows, stride: C,
                                                      streams: streams)
                let perSet = work.rowsPerSet
                for (set, terms) in work.termSets.enumerated() {
                    sumTerms(terms, base: values, lanes: m, into: outcomeCosts + (costRow + set * perSet + worlds.count) * C)
                }
                for (world, runs) in worlds.enumerated() where runs {
                    x.update(from: rows + world * C, count: m)
                    run(downstream, chunk: chunk, lanes: m, seed: configuration.seed, draw: configuration.draw,
                        partial: &counterfactual, on: scratch)
                    for (set, terms) in work.termSets.enumerated() {
                        sumTerms(terms, base: scratch, lanes: m, into: outcomeCosts + (costRow + set * perSet + world) * C)
                    }
                }
            }
            let outcomes = work.outcomes.count
            for (outcome, value) in work.outcomes.enumerated() {
                x.update(repeating: value, count: m)
                run(downstream, chunk: chunk, lanes: m, seed: configuration.seed, draw: configuration.draw,
                    partial: &counterfactual, on: scratch)
                for (set, terms) in work.termSets.enumerated() {
                    sumTerms(terms, base: scratch, lanes: m, into: outcomeCosts + (costRow + set * outcomes + outcome) * C)
                }
            }
            // Put the sampled world back for the next node (the last leaves it).
            guard index + 1 < enumerations.count else { break }
            x.update(from: values + Int(node.out) * C, count: m)
            for instruction in downstream {
                (scratch + Int(instruction.out) * C).update(from: values + Int(instruction.out) * C, count: m)
            }
        }
    }
}
