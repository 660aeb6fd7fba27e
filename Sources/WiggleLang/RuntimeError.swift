// RuntimeError.swift — errors raised while a program runs.

import WiggleSyntax

/// A user's mistake found while running: a message at a place.
///
/// Thrown inside the interpreter and turned into a ``Diagnostic`` (exit 70)
/// at the session boundary. Internal invariants never use this type.
struct RuntimeError: Error {
    var message: String
    var range: SourceRange
    var file: SourceFile
    /// True for an error of the values computed (an index past the end, a
    /// log of 0, a distribution's parameter out of range, an overflow):
    /// met while tracing an iteration that only some particles run, it is
    /// theirs, deferred to the run. Every other error (an unknown name, a
    /// wrong type or arity, a construct refused where it stands) is the
    /// program's, reported at once.
    var isValueError = false

    init(_ message: String, at range: SourceRange, in file: SourceFile) {
        self.message = message
        self.range = range
        self.file = file
    }

    var diagnostic: Diagnostic { Diagnostic(.runtime, message, in: file, at: range) }
}

/// Non-local exits: `return` unwinding to its call.
enum Flow {
    case normal
    case returned(Value, SourceRange)
    /// `break` and `continue`, on their way to the loop around them.
    case broke(SourceRange)
    case continued(SourceRange)

    var isNormal: Bool {
        if case .normal = self { return true }
        return false
    }
}
