// Plan.swift — a graph compiled for the particle engine: the ancestors of
// some outputs, renumbered into dense slots, as a flat list of instructions.
// The analysis decides each random node's estimator; the plan only compiles
// what it decided.

import WiggleCore
import WiggleDistributions
import WiggleAnalysis

/// What one instruction computes: an op of the graph (its rule lives with
/// the function or the distribution), or one of a few fused forms.
public enum Opcode: Sendable, Equatable {
    case unary(UnaryFunction)
    case binary(BinaryFunction)
    /// x², the commonest power (a^b with a constant b = 2).
    case square
    /// `c != 0 ? a : b`.
    case select
    /// An element of a list by a traced index (``Plan/pickTables``).
    case pick
    /// A draw from a distribution (``Plan/randomCalls``).
    case random
    /// A value leaving a loop of random length, run unrolled: `out = a`,
    /// and an error where the mask `c` says a particle is still running.
    case loopExit
    /// A loop of random length, run iteration by iteration over the
    /// particles still running it (``Plan/loops``, row `table`).
    case loop

    /// True when the output jumps as the inputs move (no derivative flows back).
    var isDiscontinuous: Bool {
        switch self {
        case .unary(let f): return f.continuity == .discontinuous
        case .binary(let f): return f.continuity == .discontinuous
        default: return false
        }
    }
}

/// One step of the forward pass: `out = code(a, b, c)` over a chunk of particles.
public struct Instruction: Sendable {
    /// What the instruction computes.
    public var code: Opcode
    /// The slot the result is written to.
    public var out: Int32
    /// The slot of the first input, or -1.
    public var a: Int32
    /// The slot of the second input, or -1.
    public var b: Int32
    /// The slot of the third input (a select's condition), or -1.
    public var c: Int32
    /// The graph node, for messages.
    public var node: NodeID
    /// The node's stream key (``Node/stream``): where its random numbers come from.
    public var stream: UInt64 = 0
    /// For random nodes: how the gradient flows through them.
    public var estimator: Estimator
    /// True when some gradient parameter reaches this instruction's output,
    /// so the reverse sweep must visit it.
    public var needsAdjoint: Bool
    /// Whether inputs a and b carry a derivative (the reverse sweep writes only to those).
    public var aCarries = false
    /// Whether input b carries a derivative.
    public var bCarries = false
    /// True when the output is the same in every particle (no random
    /// ancestor): computed once per run, not once per particle.
    public var isUniform = false
    /// For a pick: its row in ``Plan/pickTables``; for a draw: its row in
    /// ``Plan/randomCalls``; -1 otherwise.
    public var table: Int32 = -1
}

/// How a draw is wired: its distribution, its parameters' slots, which of
/// them carry a derivative, and the side data of its estimator.
public struct RandomCallLayout: @unchecked Sendable {
    // @unchecked: `distribution` is Sendable (the protocol requires it); the
    // existential's conformance is not visible to the checker here.
    /// The distribution drawn from.
    public var distribution: any Distribution
    /// The slot of each of its parameters, in call order.
    public var parameterSlots: [Int32]
    /// Whether each parameter carries a derivative.
    public var carries: [Bool]
    /// Bit i set: parameter i has no random ancestor, so every lane holds
    /// the same value (computed once per run and copied to the lanes).
    public var uniformBits: UInt64 = 0
    /// For the score function: the row of ``Plan/weightGroups`` whose weight it uses.
    public var weightGroup: Int32 = -1
    /// For an estimator that re-runs worlds: which (its rule fills and
    /// combines them).
    public var worldsEstimator: Estimator?
    /// For enumeration: its row in ``Plan/enumerations``.
    public var enumeration: Int32 = -1
    /// For enumeration: which of that row's sets of terms it uses.
    public var termSet: Int32 = 0
    /// Under randomised QMC: its dimension of the Sobol' points, or -1 for
    /// pseudo-random numbers (``Plan/quasiDimensionLimit``).
    public var quasiDimension: Int32 = -1
    /// For a draw in an iteration of a loop run as traced (one that holds
    /// loops: every particle runs every iteration): the slot of the
    /// iteration's mask, which multiplies its score term (a particle that
    /// does not run the iteration makes no draw there), or -1.
    public var mask: Int32 = -1
}

/// Variance reductions a plan may leave out (tests compare with and without).
public struct PlanOptions: Sendable {
    /// Multiply each score term by the cost terms downstream of its node only.
    public var raoBlackwellise = true
    /// Subtract a leave-one-out baseline from each score term's cost.
    public var baseline = true
    /// In a loop whose score terms add up as it runs, let a pick's adjoint
    /// go straight to a parameter's sum (``LoopWork/Iteration/pickSums``);
    /// off, through a row of its own as every other import (the same bits).
    public var picksAddToSums = true

    /// Options with the given variance reductions (both on by default).
    public init(raoBlackwellise: Bool = true, baseline: Bool = true, picksAddToSums: Bool = true) {
        self.raoBlackwellise = raoBlackwellise
        self.baseline = baseline
        self.picksAddToSums = picksAddToSums
    }
}

/// One additive term of the objective: `sign · multiplier · value(slot)`.
public struct CostTerm: Sendable, Equatable {
    /// The slot whose value the term adds.
    public var slot: Int32
    /// A slot whose (uniform) value scales the term, or -1.
    public var multiplier: Int32
    /// +1 or -1: whether the term is added or subtracted.
    public var sign: Double
}

/// What an enumerated or measure-valued node re-runs: the values it is set
/// to (its outcomes, or per lane the worlds its distribution draws), the
/// instructions downstream of it and the cost terms they feed.
public struct EnumerationWork: Sendable {
    /// The enumerated node.
    public var node: NodeID
    /// The values the node is set to, one run each (enumeration).
    public var outcomes: [Double]
    /// For an estimator that re-runs worlds (the measure-valued
    /// derivative, or one registered): which of its worlds are run (those
    /// of parameters that carry a derivative). Its cost rows are one per
    /// world and a last one for the value drawn.
    public var worlds: [Bool]? = nil
    /// That estimator.
    public var worldsEstimator: Estimator? = nil
    /// Cost rows per set of terms.
    public var rowsPerSet: Int { worlds.map { $0.count + 1 } ?? outcomes.count }
    /// Downstream re-runs per particle.
    public var runs: Int { worlds.map { $0.filter { $0 }.count } ?? outcomes.count }
    /// Indices into ``Plan/perParticle`` of the instructions downstream, in order.
    public var downstream: [Int32]
    /// The sets of cost terms (that depend on the node) summed for each
    /// outcome: one set, or one per sweep that enumerates the node.
    public var termSets: [[CostTerm]]
}

/// One reverse sweep of a plan whose nodes are split by term: it seeds the
/// adjoints of its terms (not the objective's) and walks back through the
/// instructions those terms depend on, each draw with its estimator for
/// these terms. The gradient is the sum over the sweeps.
public struct Sweep: Sendable {
    /// The terms seeded.
    public var terms: [CostTerm]
    /// The instructions walked, in forward order (walked in reverse).
    public var instructions: [Instruction]
}

extension Plan {
    /// A measure of the work one particle takes, in units of one simple
    /// forward instruction: a draw counts 4 (its generator and transform), a
    /// reverse step 1.5, and each enumerated node re-runs what lies
    /// downstream of it once per outcome, at 0.65 a step (a re-run is one
    /// tight forward loop per instruction, with no moments to add). Fitted to
    /// timed runs of the exact and score-function plans of bandit.wgl's
    /// 10-step sequence (2.5× the time; 2.2× by this measure) and of
    /// mixture.wgl (1.44×; 1.57×).
    public var workPerParticle: Double {
        func forward(_ instruction: Instruction) -> Double { instruction.code == .random ? 4 : 1 }
        let reverse = sweeps.isEmpty
            ? instructions.filter(\.needsAdjoint).count
            : sweeps.reduce(0) { $0 + $1.instructions.count }
        var work = perParticle.reduce(0) { $0 + forward($1) }
        if !gradientParameters.isEmpty { work += 1.5 * Double(reverse) }
        for enumeration in enumerations {
            let downstream = enumeration.downstream.reduce(0) { $0 + forward(perParticle[Int($1)]) }
            work += 0.65 * Double(enumeration.runs) * (downstream + 1)
        }
        return work
    }
}

/// A compiled part of a graph, ready to run over particles many times
/// (an optimiser re-runs one plan every step without re-tracing).
public struct Plan: Sendable {
    /// Slots per particle.
    public let slotCount: Int
    /// The forward pass, in topological order.
    public let instructions: [Instruction]
    /// The instructions that differ between particles.
    public let perParticle: [Instruction]
    /// The instructions that are the same in every particle: run once per run.
    public let uniform: [Instruction]
    /// Slots holding constants, filled once per workspace.
    public let constants: [(slot: Int32, value: Double)]
    /// Slots holding parameters, filled at the start of every run.
    public let parameters: [(slot: Int32, parameter: Int)]
    /// The slots of the outputs, in the order asked for.
    public let outputs: [Int32]
    /// The nodes of the outputs.
    public let outputNodes: [NodeID]
    /// The parameters differentiated with respect to (empty: no reverse sweep).
    public let gradientParameters: [Int]
    /// The slot of each gradient parameter (-1 when it does not reach the objective).
    public let gradientSlots: [Int32]
    /// In forward mode, per gradient parameter: the slot of the value whose
    /// expectation is that component (its tangent, carried forward with the
    /// values); the run has no reverse sweep. Empty: the reverse sweep.
    public let tangentSlots: [Int32]
    /// The random nodes and the estimator each uses.
    public let randomNodes: [(node: NodeID, choice: EstimatorChoice)]
    /// True when some random node uses the score function or enumeration.
    public let hasScoreNodes: Bool
    /// The slots that carry a derivative (the reverse sweep zeroes and fills these).
    public let adjointSlots: [Int32]
    /// The cost terms behind each score-function weight (a group per distinct
    /// set of terms; Rao-Blackwellisation gives each node only its downstream terms).
    public let weightGroups: [[CostTerm]]
    /// Whether the weights subtract a leave-one-out baseline.
    public let usesBaseline: Bool
    /// ``PlanOptions/picksAddToSums``.
    public let picksAddToSums: Bool
    /// Per enumerated node (by instruction order), what it re-runs.
    public let enumerations: [EnumerationWork]
    /// Per pick instruction (its `table`): the slots of its choices.
    public let pickTables: [[Int32]]
    /// Per draw (its `table`): its distribution and wiring.
    public let randomCalls: [RandomCallLayout]
    /// When some node is split by term: one reverse sweep per group of terms
    /// (empty: one sweep from the objective).
    public let sweeps: [Sweep]
    /// The loops of random length, run over the particles still running
    /// them (a `.loop` instruction's `table` is its row).
    public let loops: [LoopRegion]

    /// Whether some draw takes stochastic triples (which run only in a
    /// forward program: ``Executor/forwardRunner(for:gradient:also:reverse:in:)``).
    public var takesTriples: Bool { randomNodes.contains { $0.choice.estimator.mechanism == .triples } }

    /// A choice as a reverse sweep runs it: stochastic triples as the score function.
    static func swept(_ choice: EstimatorChoice) -> EstimatorChoice {
        guard choice.estimator.mechanism == .triples else { return choice }
        var sweep = choice
        sweep.estimator = .score
        return sweep
    }

    /// Compiles the ancestors of `outputs`. The first output is the objective
    /// when `gradientParameters` is not empty. With `tangents` (one per
    /// gradient parameter), the gradient is in forward mode: each component
    /// is the expectation of its tangent, a node the plan computes with the
    /// outputs, and nothing is swept back.
    public init(graph: Graph, outputs roots: [NodeID], gradientParameters: [Int] = [],
                estimators: [NodeID: EstimatorChoice] = [:], options: PlanOptions = PlanOptions(),
                tangents: [NodeID] = []) {
        // Stochastic triples run as a program of their own (the tangents);
        // a sweep, or a plan that only draws, takes such a node as the
        // score function. Its choice is reported as made.
        let reported = estimators
        let estimators = estimators.mapValues(Plan.swept)
        let computed = roots + tangents
        let order = graph.ancestors(of: computed)
        var slotOf = [Int32](repeating: -1, count: (computed.max().map { Int($0.index) } ?? -1) + 1)
        var constants: [(Int32, Double)] = []
        var parameterSlots: [(Int32, Int)] = []
        var instructions: [Instruction] = []
        var randomNodes: [(NodeID, EstimatorChoice)] = []
        // In forward mode no slot carries an adjoint.
        let wanted = tangents.isEmpty ? Set(gradientParameters) : []
        var instructionNodes: [NodeID] = []
        var pickTables: [[Int32]] = []
        var randomCalls: [RandomCallLayout] = []
        // Which slots carry a derivative with respect to a wanted parameter.
        // Slots by position; with loops of random length, the nodes of their
        // iterations are numbered after the others and run in blocks of
        // their own (Plan+Loops.swift).
        let numbering = LoopNumbering(graph: graph, order: order, roots: computed)
        var carries = [Bool](repeating: false, count: order.count)
        let carriedAround = Plan.carriedAroundRepetitions(graph: graph, order: order, wanted: wanted, estimators: estimators)

        for (position, id) in order.enumerated() {
            let slot = numbering.slots[position]
            slotOf[Int(id.index)] = slot
            let node = graph[id]
            func s(_ input: NodeID) -> Int32 { slotOf[Int(input.index)] }
            func carried(_ input: NodeID) -> Bool { carries[Int(s(input))] }
            var instruction: Instruction?
            defer { if instruction != nil { instructionNodes.append(id) } }
            switch node.op {
            case .constant(let value):
                constants.append((slot, value))
            case .parameter(let index):
                parameterSlots.append((slot, index))
                carries[Int(slot)] = wanted.contains(index)
            case .unary(let function, let a):
                instruction = Instruction(code: .unary(function), out: slot, a: s(a), b: -1, c: -1, node: id,
                                          estimator: .pathwise, needsAdjoint: carried(a) && function.continuity != .discontinuous)
            case .binary(let function, let a, let b):
                var code = Opcode.binary(function)
                var second = s(b)
                if function == .power, case .constant(2) = graph[b].op {
                    code = .square
                    second = -1
                }
                let differentiable = function.continuity != .discontinuous
                instruction = Instruction(code: code, out: slot, a: s(a), b: second, c: -1, node: id, estimator: .pathwise,
                                          needsAdjoint: differentiable && (carried(a) || carried(b)))
            case .pick(let index, let choices):
                var pick = Instruction(code: .pick, out: slot, a: s(index), b: -1, c: -1, node: id,
                                       estimator: .pathwise, needsAdjoint: choices.contains(where: carried))
                pick.table = Int32(pickTables.count)
                pickTables.append(choices.map(s))
                instruction = pick
            case .select(let condition, let a, let b):
                instruction = Instruction(code: .select, out: slot, a: s(a), b: s(b), c: s(condition), node: id,
                                          estimator: .pathwise, needsAdjoint: carried(a) || carried(b))
            case .random(let distribution, let parameters):
                let made = reported[id] ?? EstimatorChoice.default(for: node)
                let choice = Plan.swept(made)
                randomNodes.append((id, made))
                var draw = Instruction(code: .random, out: slot, a: parameters.first.map(s) ?? -1, b: -1, c: -1, node: id,
                                       estimator: choice.estimator, needsAdjoint: parameters.contains(where: carried))
                draw.table = Int32(randomCalls.count)
                var layout = RandomCallLayout(distribution: DistributionRegistry[distribution],
                                              parameterSlots: parameters.map(s), carries: parameters.map(carried))
                for (i, parameter) in parameters.enumerated() where i < 64 && !graph[parameter].isRandom {
                    layout.uniformBits |= 1 << UInt64(i)
                }
                if let tag = node.loop, Int(tag.loop) < graph.loops.count, graph.loops[Int(tag.loop)].holdsLoops,
                   Int(tag.iteration) < graph.loops[Int(tag.loop)].alive.count {
                    let alive = graph.loops[Int(tag.loop)].alive[Int(tag.iteration)]
                    if Int(alive.index) < slotOf.count, slotOf[Int(alive.index)] >= 0 { layout.mask = s(alive) }
                }
                randomCalls.append(layout)
                instruction = draw
            case .loopExit(let value, let alive):
                var exit = Instruction(code: .loopExit, out: slot, a: s(value), b: -1, c: s(alive), node: id,
                                       estimator: .pathwise, needsAdjoint: carried(value))
                // Its table is the loop's row in Graph.loops, for the message.
                exit.table = (graph[value].loop ?? graph[alive].loop).map { Int32(clamping: Int($0.loop)) } ?? -1
                instruction = exit
            }
            if var instruction {
                instruction.stream = node.stream
                let reads = [instruction.a, instruction.b]
                instruction.aCarries = reads[0] >= 0 && carries[Int(reads[0])]
                instruction.bCarries = reads[1] >= 0 && carries[Int(reads[1])]
                instruction.isUniform = !node.isRandom
                // Only a pathwise draw's value carries a derivative (a draw
                // split by term carries it to its smooth terms): through any
                // other the gradient reaches the parameters by its
                // estimator's own term instead.
                let passesPathwise = instruction.code != .random || instruction.estimator == .pathwise
                    || estimators[id]?.split != nil
                carries[Int(slot)] = instruction.needsAdjoint && passesPathwise || carriedAround.contains(id)
                instructions.append(instruction)
            }
        }
        self.slotCount = numbering.mainCount
        self.constants = constants
        self.parameters = parameterSlots
        self.outputs = roots.map { slotOf[Int($0.index)] }
        self.outputNodes = roots
        self.gradientParameters = gradientParameters
        var slotOfParameter: [Int: Int32] = [:]
        for (slot, index) in parameterSlots where slotOfParameter[index] == nil { slotOfParameter[index] = slot }
        self.gradientSlots = gradientParameters.map { slotOfParameter[$0] ?? -1 }
        self.tangentSlots = tangents.map { slotOf[Int($0.index)] }
        self.randomNodes = randomNodes
        self.adjointSlots = carries.indices.filter { carries[$0] && $0 < numbering.mainCount }.map { Int32($0) }
        // A draw inside a loop of random length cannot re-run the rest of
        // the loop per outcome (the analysis never asks it to).
        if numbering.hasRegions {
            for index in instructions.indices where instructions[index].out >= Int32(numbering.mainCount)
                && [.outcomes, .worlds].contains(instructions[index].estimator.mechanism) {
                let admitsScore = randomCalls[Int(instructions[index].table)].distribution.admits(.score)
                instructions[index].estimator = admitsScore ? .score : .pathwise
            }
        }

        // Cost terms, and which random nodes each depends on.
        var weightGroups: [[CostTerm]] = []
        var enumerations: [EnumerationWork] = []
        var sweeps: [Sweep] = []
        if let objective = roots.first, !wanted.isEmpty {
            let terms = graph.additiveTerms(of: objective)
            let ancestry = RandomAncestry(graph: graph, order: order)
            let perParticleNodes = zip(instructions, instructionNodes).filter { !$0.0.isUniform }.map(\.1)
            var wiring = Wiring(graph: graph, ancestry: ancestry, perParticleNodes: perParticleNodes, options: options,
                                slotOf: slotOf)
            let splits = randomNodes.compactMap { node, choice in choice.split.map { (node, $0) } }
            if ancestry != nil, !splits.isEmpty, !numbering.hasRegions {
                sweeps = wiring.sweeps(terms: terms, instructions: instructions, splits: splits, calls: &randomCalls)
            } else {
                for index in instructions.indices where instructions[index].code == .random && instructions[index].needsAdjoint {
                    let instruction = instructions[index]
                    guard instruction.estimator != .pathwise else { continue }
                    instructions[index].estimator = wiring.wire(instruction, as: instruction.estimator,
                                                                row: Int(instruction.table), terms: terms, calls: &randomCalls)
                }
            }
            weightGroups = wiring.weightGroups
            enumerations = wiring.enumerations
        }
        var loops: [LoopRegion] = []
        if numbering.hasRegions {
            let before = instructions.filter { !$0.isUniform }.map(\.node)
            (instructions, loops) = Plan.extractLoops(graph: graph, order: order, slotOf: slotOf,
                                                      mainCount: numbering.mainCount, carries: carries,
                                                      instructions: instructions, pickTables: &pickTables,
                                                      randomCalls: &randomCalls)
            // Enumerations name what they re-run by position in the per-particle list.
            var position: [NodeID: Int32] = [:]
            for (index, instruction) in instructions.filter({ !$0.isUniform }).enumerated() where instruction.code != .loop {
                position[instruction.node] = Int32(index)
            }
            for index in enumerations.indices {
                enumerations[index].downstream = enumerations[index].downstream.compactMap { position[before[Int($0)]] }
            }
        }
        self.loops = loops
        self.instructions = instructions
        self.perParticle = instructions.filter { !$0.isUniform }
        self.uniform = instructions.filter(\.isUniform)
        self.weightGroups = weightGroups
        self.pickTables = pickTables
        self.randomCalls = Plan.assigningQuasiDimensions(randomCalls, nodes: randomNodes.map { $0.0 }, graph: graph)
        self.enumerations = enumerations
        self.usesBaseline = options.baseline
        self.picksAddToSums = options.picksAddToSums
        self.hasScoreNodes = !weightGroups.isEmpty || !enumerations.isEmpty
        self.sweeps = sweeps
    }
}

extension Plan {
    /// Iterations of a loop of random length whose draws get Sobol' dimensions.
    public static let quasiLoopIterations = 64
    /// The most dimensions of Sobol' points a plan uses (Joe and Kuo's table, as shipped).
    public static var quasiDimensionLimit: Int { Sobol.tableDimensions }

    /// Each draw's dimension of the Sobol' points under randomised QMC, by a
    /// fixed rule that no particle's path and no loop limit changes: the
    /// draws sampled by inversion outside loops of random length first, in
    /// program order; then those inside them, iteration by iteration, for
    /// the first ``quasiLoopIterations`` iterations; pseudo-random numbers
    /// for the rest, for draws sampled by rejection, and past the table.
    static func assigningQuasiDimensions(_ calls: [RandomCallLayout], nodes: [NodeID], graph: Graph) -> [RandomCallLayout] {
        var calls = calls
        var next: Int32 = 0
        // A draw from another's stream (an alternative path's, coupled to
        // its particle's) takes that draw's dimension too.
        var byStream: [UInt64: Int32] = [:]
        func assign(_ k: Int) {
            guard calls[k].distribution is any InverseSampling else { return }
            let stream = graph[nodes[k]].stream
            if let shared = byStream[stream] {
                calls[k].quasiDimension = shared
                return
            }
            guard next < Int32(quasiDimensionLimit) else { return }
            calls[k].quasiDimension = next
            byStream[stream] = next
            next += 1
        }
        for (k, node) in nodes.enumerated() where graph[node].loop == nil { assign(k) }
        let looped = nodes.indices.filter { k in
            guard let tag = graph[nodes[k]].loop else { return false }
            return Int(tag.iteration) < quasiLoopIterations
        }
        func iteration(_ k: Int) -> Int32 { graph[nodes[k]].loop?.iteration ?? 0 }
        for k in looped.sorted(by: { (iteration($0), nodes[$0]) < (iteration($1), nodes[$1]) }) { assign(k) }
        return calls
    }

    /// How many draws get Sobol' dimensions, and how many pseudo-random numbers.
    public var quasiDimensionCounts: (quasi: Int, pseudo: Int) {
        let quasi = randomCalls.filter { $0.quasiDimension >= 0 }.count
        return (quasi, randomCalls.count - quasi)
    }
}
