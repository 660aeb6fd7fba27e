// Inference.swift — the language's side of estimation: `E[...]`, `grad`,
// `hist`, `explain`, `minimize` and `maximize` as values and reports, their
// options checked and their failures worded. The runs themselves are the
// executor's (WiggleGraph); the graph is the interpreter's.

import WiggleGraph
import WiggleSyntax

/// Estimates, gradients, optimisations and explanations of traced values.
final class Inference {
    /// The interpreter it estimates for, which owns it (and so outlives it).
    unowned(unsafe) let interpreter: Interpreter

    init(interpreter: Interpreter) {
        self.interpreter = interpreter
    }
}
