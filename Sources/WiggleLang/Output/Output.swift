// Output.swift — what a running program reports, as it happens; rendered
// by TextOutput, Charts and JSONLines for the CLI, the REPL and the notebook.

/// Everything the interpreter reports while a program runs.
public enum Output {
    /// A top-level expression statement's value, and the line it is on.
    case display(Value, line: Int)
    /// Text from `print(...)`, without the final newline.
    case printed(String, line: Int)
    /// An optimisation's progress, after each step (for a progress bar).
    case progress(OptimisationProgress)
    /// A note for the person running the program, not a result (standard
    /// error): a setting the command line overrides.
    case notice(String)
}
