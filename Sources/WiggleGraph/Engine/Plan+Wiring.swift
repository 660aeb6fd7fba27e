// Plan+Wiring.swift — how a plan's draws that are not pathwise reach the
// cost terms their estimators need: score-function weight groups (each
// node's downstream terms, Rao-Blackwellised) and the work of enumeration;
// and, when some node is split by term, one reverse sweep per group of terms.

import WiggleCore
import WiggleDistributions
import WiggleAnalysis

extension Plan {
    /// At most this many reverse sweeps: beyond it, groups of terms merge
    /// (taking the jump's estimator wherever one of them does, still unbiased).
    public static let maximumSweeps = 8
}

/// Builds a plan's weight groups and enumerations as draws are wired.
struct Wiring {
    let graph: Graph
    let ancestry: RandomAncestry?
    /// The nodes of the plan's per-particle instructions, in order.
    let perParticleNodes: [NodeID]
    /// Their positions in the ancestry's order.
    private let perParticlePositions: [Int]
    let options: PlanOptions
    let slotOf: [Int32]
    private(set) var weightGroups: [[CostTerm]] = []
    private var wired: [EnumerationWork] = []
    private var enumerationOf: [NodeID: Int] = [:]
    /// For each enumeration, the nodes of the terms it sums (and their multipliers).
    private var enumerationTerms: [Set<NodeID>] = []

    /// The enumerations, each re-running only the instructions downstream
    /// of its node that its terms read (not, say, an objective computed
    /// beside the terms for a check).
    var enumerations: [EnumerationWork] {
        wired.indices.map { index in
            var needed = enumerationTerms[index]
            var work = wired[index]
            let downstream = Set(work.downstream.map { perParticleNodes[Int($0)] })
            var stack = Array(needed)
            while let node = stack.popLast() {
                for input in graph[node].op.inputs where downstream.contains(input) && needed.insert(input).inserted {
                    stack.append(input)
                }
            }
            work.downstream = work.downstream.filter { needed.contains(perParticleNodes[Int($0)]) }
            return work
        }
    }

    init(graph: Graph, ancestry: RandomAncestry?, perParticleNodes: [NodeID], options: PlanOptions, slotOf: [Int32]) {
        self.graph = graph
        self.ancestry = ancestry
        self.perParticleNodes = perParticleNodes
        perParticlePositions = perParticleNodes.map { ancestry?.position(of: $0) ?? 0 }
        self.options = options
        self.slotOf = slotOf
    }

    /// A term by slots.
    func slots(_ term: ObjectiveTerm) -> CostTerm {
        CostTerm(slot: slotOf[Int(term.node.index)], multiplier: term.multiplier.map { slotOf[Int($0.index)] } ?? -1,
                 sign: term.sign)
    }

    /// Wires a draw that takes the score function or enumeration for some
    /// terms: sets row `row` of `calls`, and returns the estimator it gets
    /// (the score function where enumeration needs an ancestry the plan could not build).
    mutating func wire(_ instruction: Instruction, as estimator: Estimator, row: Int, terms: [ObjectiveTerm],
                       calls: inout [RandomCallLayout]) -> Estimator {
        var own = terms
        let bit = ancestry?.index(of: instruction.node)
        let reruns = estimator.mechanism == .outcomes || estimator.mechanism == .worlds
        if let ancestry, let bit, options.raoBlackwellise || reruns {
            own = terms.filter { ancestry.depends($0.node, on: bit) }
        }
        if reruns, let ancestry, let bit {
            let index: Int
            if let existing = enumerationOf[instruction.node] {
                index = existing
            } else {
                let downstream = perParticlePositions.enumerated().compactMap { position, index -> Int32? in
                    perParticleNodes[position] != instruction.node && ancestry.depends(at: index, on: bit)
                        ? Int32(position) : nil
                }
                index = wired.count
                enumerationOf[instruction.node] = index
                let layout = calls[row]
                var work = EnumerationWork(node: instruction.node,
                                           outcomes: layout.distribution.outcomes(parameterCount: layout.parameterSlots.count),
                                           downstream: downstream, termSets: [])
                if estimator.mechanism == .worlds {
                    // Only the worlds of parameters that carry a derivative are run.
                    let rule = estimator.rule
                    var worlds = [Bool](repeating: false, count: rule.worldCount(for: layout.distribution))
                    for (parameter, carried) in layout.carries.enumerated() where carried {
                        for world in rule.worlds(for: layout.distribution, parameter: parameter) { worlds[world] = true }
                    }
                    work.outcomes = []
                    work.worlds = worlds
                    work.worldsEstimator = estimator
                }
                wired.append(work)
                enumerationTerms.append([])
            }
            calls[row].enumeration = Int32(index)
            if estimator.mechanism == .worlds { calls[row].worldsEstimator = estimator }
            calls[row].termSet = Int32(wired[index].termSets.count)
            wired[index].termSets.append(own.map(slots))
            for term in own {
                enumerationTerms[index].insert(term.node)
                if let multiplier = term.multiplier { enumerationTerms[index].insert(multiplier) }
            }
            return estimator
        }
        let weights = own.map(slots)
        if let existing = weightGroups.firstIndex(of: weights) {
            calls[row].weightGroup = Int32(existing)
        } else {
            calls[row].weightGroup = Int32(weightGroups.count)
            weightGroups.append(weights)
        }
        return .score
    }

    /// One sweep per group of terms that the split nodes treat alike. In a
    /// sweep a split node takes its jump estimator (the score function or
    /// the measure-valued derivative) if it reaches one of the sweep's
    /// terms through a jump, else pathwise; every other draw keeps
    /// its estimator, wired to the sweep's terms only.
    mutating func sweeps(terms: [ObjectiveTerm], instructions: [Instruction], splits: [(NodeID, TermSplit)],
                         calls: inout [RandomCallLayout]) -> [Sweep] {
        var keys: [[Bool]] = []
        var members: [[ObjectiveTerm]] = []
        for term in terms {
            let key = splits.map { $0.1.scoreTerms.contains(term.node) }
            if let group = keys.firstIndex(of: key) {
                members[group].append(term)
            } else {
                keys.append(key)
                members.append([term])
            }
        }
        while keys.count > Plan.maximumSweeps {
            let key = keys.removeLast(), group = members.removeLast()
            keys[keys.count - 1] = zip(keys[keys.count - 1], key).map { $0 || $1 }
            members[members.count - 1] += group
        }
        var splitIndex: [NodeID: Int] = [:]
        for (index, split) in splits.enumerated() { splitIndex[split.0] = index }
        var sweeps: [Sweep] = []
        for (key, group) in zip(keys, members) {
            // Only what the sweep's terms (and their multipliers) depend on
            // receives an adjoint in it.
            let relevant = Set(graph.ancestors(of: group.map(\.node) + group.compactMap(\.multiplier)))
            var walked: [Instruction] = []
            for var instruction in instructions where instruction.needsAdjoint && relevant.contains(instruction.node) {
                if instruction.code == .random {
                    if let split = splitIndex[instruction.node] {
                        instruction.estimator = key[split] ? splits[split].1.jumpEstimator : .pathwise
                    }
                    if instruction.estimator != .pathwise {
                        let row = calls.count
                        var layout = calls[Int(instruction.table)]
                        layout.weightGroup = -1
                        layout.enumeration = -1
                        calls.append(layout)
                        instruction.table = Int32(row)
                        instruction.estimator = wire(instruction, as: instruction.estimator, row: row, terms: group,
                                                     calls: &calls)
                    }
                }
                walked.append(instruction)
            }
            sweeps.append(Sweep(terms: group.map(slots), instructions: walked))
        }
        return sweeps
    }
}
