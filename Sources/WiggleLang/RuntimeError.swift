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
    /// True for a refusal of the program's shape (a construct not allowed
    /// where it stands, a limit passed): never deferred to the particles
    /// of an iteration, as an error of values is.
    var isRefusal = false

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
