// Plan.swift — a graph compiled for the particle engine: the ancestors of
// some outputs, renumbered into dense slots, as a flat list of instructions.

/// What one instruction computes (one opcode per op, plus a few fused forms).
public enum Opcode: UInt8, Sendable {
    case neg, exp, log, sqrt, abs, sin, cos, tanh, sigmoid, softplus, floor, round, not
    case add, sub, mul, div, pow, min, max, lt, le, gt, ge, eq, ne
    /// x^2, the commonest power.
    case square
    case select, pick, normal, bernoulli

    init(_ function: UnaryFunction) {
        switch function {
        case .negate: self = .neg
        case .exp: self = .exp
        case .log: self = .log
        case .sqrt: self = .sqrt
        case .abs: self = .abs
        case .sin: self = .sin
        case .cos: self = .cos
        case .tanh: self = .tanh
        case .sigmoid: self = .sigmoid
        case .softplus: self = .softplus
        case .floor: self = .floor
        case .round: self = .round
        case .not: self = .not
        }
    }

    init(_ function: BinaryFunction) {
        switch function {
        case .add: self = .add
        case .subtract: self = .sub
        case .multiply: self = .mul
        case .divide: self = .div
        case .power: self = .pow
        case .min: self = .min
        case .max: self = .max
        case .less: self = .lt
        case .lessEqual: self = .le
        case .greater: self = .gt
        case .greaterEqual: self = .ge
        case .equal: self = .eq
        case .notEqual: self = .ne
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
    /// The graph node, for random streams and messages.
    public var node: NodeID
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
    /// For a score node: its weight group; for an exact bernoulli: its index in ``Plan/exactWork``.
    public var group: Int32 = -1
}

/// The estimator chosen for each random node, and why (in words, for people).
public struct EstimatorChoice: Sendable, Equatable {
    /// The estimator the node uses.
    public var estimator: Estimator
    /// Why it was chosen, in words.
    public var reason: String

    /// A choice of `estimator`, explained by `reason`.
    public init(_ estimator: Estimator, reason: String) {
        self.estimator = estimator
        self.reason = reason
    }
}

/// Variance reductions a plan may leave out (tests compare with and without).
public struct PlanOptions: Sendable {
    /// Multiply each score term by the cost terms downstream of its node only.
    public var raoBlackwellise = true
    /// Subtract a leave-one-out baseline from each score term's cost.
    public var baseline = true

    /// Options with the given variance reductions (both on by default).
    public init(raoBlackwellise: Bool = true, baseline: Bool = true) {
        self.raoBlackwellise = raoBlackwellise
        self.baseline = baseline
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

/// What an exact (2-point) bernoulli re-runs: the instructions downstream of
/// it and the cost terms they feed.
public struct ExactWork: Sendable {
    /// Indices into ``Plan/perParticle`` of the instructions downstream, in order.
    public var downstream: [Int32]
    /// The cost terms that depend on the node.
    public var terms: [CostTerm]
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
    /// The random nodes and the estimator each uses.
    public let randomNodes: [(node: NodeID, choice: EstimatorChoice)]
    /// True when some random node uses the score function.
    public let hasScoreNodes: Bool
    /// The slots that carry a derivative (the reverse sweep zeroes and fills these).
    public let adjointSlots: [Int32]
    /// The cost terms behind each score-function weight (a group per distinct
    /// set of terms; Rao-Blackwellisation gives each node only its downstream terms).
    public let weightGroups: [[CostTerm]]
    /// Whether the weights subtract a leave-one-out baseline.
    public let usesBaseline: Bool
    /// Per exact bernoulli (by instruction order), what it re-runs.
    public let exactWork: [ExactWork]
    /// Per pick instruction (its `group`): the slots of its choices.
    public let pickTables: [[Int32]]

    /// Compiles the ancestors of `outputs`. The first output is the objective
    /// when `gradientParameters` is not empty.
    public init(graph: Graph, outputs roots: [NodeID], gradientParameters: [Int] = [],
                estimators: [NodeID: EstimatorChoice] = [:], options: PlanOptions = PlanOptions()) {
        let order = graph.ancestors(of: roots)
        var slotOf = [Int32](repeating: -1, count: (roots.max().map { Int($0.index) } ?? -1) + 1)
        var constants: [(Int32, Double)] = []
        var parameterSlots: [(Int32, Int)] = []
        var instructions: [Instruction] = []
        var randomNodes: [(NodeID, EstimatorChoice)] = []
        let wanted = Set(gradientParameters)
        var instructionNodes: [NodeID] = []
        var pickTables: [[Int32]] = []
        // Which slots carry a derivative with respect to a wanted parameter.
        var carries = [Bool](repeating: false, count: order.count)

        for (position, id) in order.enumerated() {
            let slot = Int32(position)
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
                carries[position] = wanted.contains(index)
            case .unary(let function, let a):
                instruction = Instruction(code: Opcode(function), out: slot, a: s(a), b: -1, c: -1, node: id,
                                          estimator: .pathwise, needsAdjoint: carried(a) && function.continuity != .discontinuous)
            case .binary(let function, let a, let b):
                var code = Opcode(function)
                var second = s(b)
                if function == .power, case .constant(2) = graph[b].op {
                    code = .square
                    second = -1
                }
                let differentiable = function.continuity != .discontinuous
                instruction = Instruction(code: code, out: slot, a: s(a), b: second, c: -1, node: id, estimator: .pathwise,
                                          needsAdjoint: differentiable && (carried(a) || carried(b)))
            case .pick(let index, let choices):
                var instruction0 = Instruction(code: .pick, out: slot, a: s(index), b: -1, c: -1, node: id,
                                               estimator: .pathwise, needsAdjoint: choices.contains(where: carried))
                instruction0.group = Int32(pickTables.count)
                pickTables.append(choices.map(s))
                instruction = instruction0
            case .select(let condition, let a, let b):
                instruction = Instruction(code: .select, out: slot, a: s(a), b: s(b), c: s(condition), node: id,
                                          estimator: .pathwise, needsAdjoint: carried(a) || carried(b))
            case .normal(let mean, let sd):
                let choice = estimators[id] ?? EstimatorChoice(node.requestedEstimator ?? .pathwise,
                                                                reason: "a normal can be reparametrised")
                randomNodes.append((id, choice))
                instruction = Instruction(code: .normal, out: slot, a: s(mean), b: s(sd), c: -1, node: id,
                                          estimator: choice.estimator, needsAdjoint: carried(mean) || carried(sd))
            case .bernoulli(let p):
                let choice = estimators[id] ?? EstimatorChoice(.score, reason: "a bernoulli cannot be reparametrised")
                randomNodes.append((id, choice))
                instruction = Instruction(code: .bernoulli, out: slot, a: s(p), b: -1, c: -1, node: id,
                                          estimator: choice.estimator, needsAdjoint: carried(p))
            }
            if var instruction {
                let reads = [instruction.a, instruction.b]
                instruction.aCarries = reads[0] >= 0 && carries[Int(reads[0])]
                instruction.bCarries = reads[1] >= 0 && carries[Int(reads[1])]
                instruction.isUniform = !node.isRandom
                // A score-function node's own value carries no derivative: the
                // gradient reaches its parameters through the score term instead.
                let passesPathwise = instruction.code != .bernoulli && instruction.estimator == .pathwise
                carries[position] = instruction.needsAdjoint && passesPathwise
                instructions.append(instruction)
            }
        }
        self.slotCount = order.count
        self.constants = constants
        self.parameters = parameterSlots
        self.outputs = roots.map { slotOf[Int($0.index)] }
        self.outputNodes = roots
        self.gradientParameters = gradientParameters
        self.gradientSlots = gradientParameters.map { index in
            parameterSlots.first { $0.1 == index }?.0 ?? -1
        }
        self.randomNodes = randomNodes
        self.adjointSlots = carries.indices.filter { carries[$0] }.map { Int32($0) }

        // Cost terms, and which random nodes each depends on.
        var weightGroups: [[CostTerm]] = []
        var exactWork: [ExactWork] = []
        var finalInstructions = instructions
        if let objective = roots.first, !gradientParameters.isEmpty {
            let terms = Plan.costTerms(graph, objective, slotOf: slotOf)
            let ancestry = RandomAncestry(graph: graph, order: order)
            let perParticleNodes = zip(instructions, instructionNodes).filter { !$0.0.isUniform }.map(\.1)
            for index in finalInstructions.indices where finalInstructions[index].needsAdjoint {
                let instruction = finalInstructions[index]
                let isScore = instruction.estimator == .score || (instruction.code == .bernoulli && instruction.estimator == .pathwise)
                let isExact = instruction.code == .bernoulli && instruction.estimator == .exact
                guard isScore || isExact else { continue }
                // The terms downstream of this node (all of them without Rao-Blackwellisation).
                var own = terms
                var bit: Int?
                if let ancestry, let b = ancestry.index(of: instruction.node) {
                    bit = b
                    if options.raoBlackwellise || isExact {
                        own = terms.filter { term in ancestry.depends(order[Int(term.slot)], on: b) }
                    }
                }
                if isExact, let ancestry, let bit {
                    let downstream = perParticleNodes.enumerated().compactMap { position, node -> Int32? in
                        node != instruction.node && ancestry.depends(node, on: bit) ? Int32(position) : nil
                    }
                    finalInstructions[index].group = Int32(exactWork.count)
                    exactWork.append(ExactWork(downstream: downstream, terms: own))
                } else {
                    if finalInstructions[index].code == .bernoulli { finalInstructions[index].estimator = .score }
                    if let existing = weightGroups.firstIndex(of: own) {
                        finalInstructions[index].group = Int32(existing)
                    } else {
                        finalInstructions[index].group = Int32(weightGroups.count)
                        weightGroups.append(own)
                    }
                }
            }
        }
        self.instructions = finalInstructions
        self.perParticle = finalInstructions.filter { !$0.isUniform }
        self.uniform = finalInstructions.filter(\.isUniform)
        self.weightGroups = weightGroups
        self.pickTables = pickTables
        self.exactWork = exactWork
        self.usesBaseline = options.baseline
        self.hasScoreNodes = !weightGroups.isEmpty || !exactWork.isEmpty
    }
}

extension Plan {
    /// The objective split into its top-level additive terms (Schulman et
    /// al.'s cost nodes): sums and differences are opened, and so is a product
    /// with a factor that is the same in every particle.
    static func costTerms(_ graph: Graph, _ root: NodeID, slotOf: [Int32]) -> [CostTerm] {
        var terms: [CostTerm] = []
        func visit(_ id: NodeID, sign: Double, multiplier: NodeID?) {
            let node = graph[id]
            switch node.op {
            case .binary(.add, let a, let b) where node.isRandom:
                visit(a, sign: sign, multiplier: multiplier)
                visit(b, sign: sign, multiplier: multiplier)
            case .binary(.subtract, let a, let b) where node.isRandom:
                visit(a, sign: sign, multiplier: multiplier)
                visit(b, sign: -sign, multiplier: multiplier)
            case .unary(.negate, let a) where node.isRandom:
                visit(a, sign: -sign, multiplier: multiplier)
            case .binary(.multiply, let a, let k) where multiplier == nil && node.isRandom && !graph[k].isRandom:
                visit(a, sign: sign, multiplier: k)
            case .binary(.multiply, let k, let a) where multiplier == nil && node.isRandom && !graph[k].isRandom:
                visit(a, sign: sign, multiplier: k)
            default:
                terms.append(CostTerm(slot: slotOf[Int(id.index)], multiplier: multiplier.map { slotOf[Int($0.index)] } ?? -1,
                                      sign: sign))
            }
        }
        visit(root, sign: 1, multiplier: nil)
        return terms
    }
}
