// Output.swift — what a running program reports, as it happens; rendered
// by TextOutput, Charts and JSONLines for the CLI, the REPL and the notebook.

/// Everything the interpreter reports while a program runs.
public enum Output {
    /// A top-level expression statement's value (or an assigned report's:
    /// `fit = minimize(...)`), the line it is on and what it came from.
    case display(Value, line: Int, source: DisplaySource)
    /// Text from `print(...)`, without the final newline.
    case printed(String, line: Int)
    /// An optimisation's progress, after each step (for a progress bar).
    case progress(OptimisationProgress)
    /// A note for the person running the program, not a result (standard
    /// error): a setting the command line overrides.
    case notice(String)
}

/// What a displayed value came from: the expression's source text, and the
/// name it was bound to when the statement is an assignment.
public struct DisplaySource: Sendable {
    /// The expression as written: "E[loss]".
    public var expr: String
    /// `fit` in `fit = minimize(...)`.
    public var name: String?

    public init(expr: String, name: String? = nil) {
        self.expr = expr
        self.name = name
    }
}
