// Tracer.swift — the state of one run's tracing: the frames of the calls,
// loops and traced ifs in progress, the path conditions of the branches
// being traced and the annotation of the call being evaluated. A Session
// makes a new one for every run (a run an error stopped leaves nothing in
// the next); what outlives a run — the graph, the names bound in one branch
// only, where loop tracing stopped — stays with the interpreter.

import WiggleGraph
import WiggleSyntax

/// One run's tracing: its state, and how values become graph nodes —
/// constants, operations, traced ifs, loops of random length, log-densities
/// (Tracer+Nodes.swift, Tracer+Loops.swift, Tracer+Densities.swift). The
/// graph and what outlives a run are the interpreter's.
final class Tracer {
    /// The interpreter it traces for, which owns it (and so outlives it).
    unowned(unsafe) let interpreter: Interpreter

    init(interpreter: Interpreter) {
        self.interpreter = interpreter
    }

    /// Calls in progress.
    var callDepth = 0
    /// How many ifs on a random (or parameter-dependent) condition we are inside.
    var randomBranchDepth = 0
    /// The line of the outermost such if, for messages.
    var randomBranchLine = 0
    /// While tracing the branches of such ifs: the scope each runs in and the
    /// names assigned there (only those are merged).
    var branchAssignments: [(scope: Scope, names: Set<String>)] = []
    /// Loops and user-function calls in progress, innermost last (for
    /// `break`, `continue` and `return` in some particles only).
    var loopFrames: [LoopFrame] = []
    var functionFrames: [FunctionFrame] = []
    /// The traced conditions of the if branches being traced, outermost
    /// first: the condition and which way the branch takes it.
    var pathConditions: [(NodeID, Bool)] = []
    /// The estimator annotation of the random call being evaluated.
    var pendingAnnotation: (EstimatorAnnotation, SourceRange)?
    /// The lists that `for x in LIST` loops in progress iterate over.
    var loopItems: [LoopItems] = []
    /// The parameters reaching nodes made outside the loop being checked
    /// for one shape (``parametersReaching(_:)``), kept until the graph is compacted.
    var parameterReach: [NodeID: Set<Int>] = [:]
}
