// AST.swift — the syntax tree. Every node carries its source range.

/// A name as written, with where it was written.
public struct Identifier: Sendable, Equatable {
    /// The name's text.
    public var name: String
    /// Where the name was written.
    public var range: SourceRange

    /// An identifier `name` written at `range`.
    public init(_ name: String, _ range: SourceRange) {
        self.name = name
        self.range = range
    }
}

/// A prefix operator.
public enum UnaryOperator: String, Sendable {
    case negate = "-"
    case not = "not"
}

/// An infix operator.
public enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", power = "^"
    case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="
    case and = "and", or = "or"

    /// True for `< <= > >= == !=`.
    public var isComparison: Bool {
        switch self {
        case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return true
        default: return false
        }
    }
}

/// An estimator annotation after a random call: `normal(m, s) @score`.
/// The name is any identifier: which estimators exist is the estimator
/// table's business (WiggleDistributions), checked while tracing with a "did you mean".
public struct EstimatorAnnotation: Sendable {
    /// The estimator's name, without the `@`: `score`.
    public var name: String
    /// Where `@name` was written.
    public var range: SourceRange

    /// An annotation `@name` written at `range`.
    public init(name: String, range: SourceRange) {
        self.name = name
        self.range = range
    }
}

/// An argument of a call: positional, or `name = value`.
public struct Argument: Sendable {
    /// The keyword, for `name = value` arguments.
    public var label: Identifier?
    /// The argument's value.
    public var value: Expr

    /// An argument, labelled for `name = value`.
    public init(label: Identifier?, value: Expr) {
        self.label = label
        self.value = value
    }
}

/// `[element for variable in sequence if condition]`.
public struct Comprehension: Sendable {
    /// The expression computed for each kept item.
    public var element: Expr
    /// The loop variable bound to each item.
    public var variable: Identifier
    /// The list or range iterated over.
    public var sequence: Expr
    /// The filter after `if`, if any.
    public var condition: Expr?
}

/// An expression and its source range.
public struct Expr: Sendable {
    /// The shapes an expression can take.
    public indirect enum Kind: Sendable {
        case number(Double)
        case string(String)
        case boolean(Bool)
        case name(String)
        case unary(UnaryOperator, Expr)
        case binary(BinaryOperator, Expr, Expr)
        /// `a..b`, the half-open integer range.
        case range(Expr, Expr)
        case call(callee: Expr, arguments: [Argument])
        case index(Expr, Expr)
        case list([Expr])
        case comprehension(Comprehension)
        /// `E[e]`.
        case expectation(Expr)
        /// `call @estimator`.
        case annotated(Expr, EstimatorAnnotation)
    }

    /// What sort of expression this is, with its parts.
    public var kind: Kind
    /// The expression's source range, for messages.
    public var range: SourceRange
    /// The height of the tree below this node (a leaf is 1). The parser
    /// bounds it so that no later recursive pass can run out of stack.
    public var depth: Int

    /// An expression node of `kind` spanning `range`.
    public init(_ kind: Kind, _ range: SourceRange, depth: Int = 1) {
        self.kind = kind
        self.range = range
        self.depth = depth
    }
}

/// A `{ ... }` block of statements.
public struct Block: Sendable {
    /// The block's statements, in order.
    public var statements: [Stmt]
    /// The block's range, braces included.
    public var range: SourceRange

    /// A block of `statements` spanning `range`.
    public init(_ statements: [Stmt], _ range: SourceRange) {
        self.statements = statements
        self.range = range
    }
}

/// The body of a function: `= expr` or `{ ... }`.
public enum FunctionBody: Sendable {
    case expression(Expr)
    case block(Block)
}

/// `fn name(a, b) = expr` or `fn name(a, b) { ... }`.
public struct FunctionDecl: Sendable {
    /// The function's name.
    public var name: Identifier
    /// The parameter names, in order.
    public var parameters: [Identifier]
    /// The expression or block the function evaluates.
    public var body: FunctionBody
}

/// One `if COND { }` or `else if COND { }` arm.
public struct ConditionalBranch: Sendable {
    /// The condition that selects this arm.
    public var condition: Expr
    /// The block run when the condition holds.
    public var body: Block
}

/// A statement and its source range.
public struct Stmt: Sendable {
    /// The shapes a statement can take.
    public indirect enum Kind: Sendable {
        /// `param name = value` or `param name[size] = value`.
        /// `param w = v`, `param w[n] = v`, `param W[r][c] = v` (a matrix: `columns`),
        /// each optionally bounded: `param s = 0.5, lower = 0, upper = 1`.
        case param(name: Identifier, size: Expr?, columns: Expr?, value: Expr, lower: Expr?, upper: Expr?)
        /// `name = value`, or `name += value` etc. (`op` is the arithmetic operator).
        case assign(target: Identifier, op: BinaryOperator?, value: Expr)
        case function(FunctionDecl)
        case ifChain(branches: [ConditionalBranch], elseBody: Block?)
        case forIn(variable: Identifier, sequence: Expr, body: Block)
        case whileLoop(condition: Expr, body: Block)
        case returnValue(Expr?)
        /// `break` and `continue`, inside a loop.
        case breakLoop, continueLoop
        case expression(Expr)
    }

    /// What sort of statement this is, with its parts.
    public var kind: Kind
    /// The statement's source range, for messages.
    public var range: SourceRange

    /// A statement node of `kind` spanning `range`.
    public init(_ kind: Kind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

/// A parsed program: its statements and the file they came from.
public struct Program: Sendable {
    /// The top-level statements, in source order.
    public var statements: [Stmt]
    /// The file the program was parsed from.
    public var file: SourceFile

    /// A program of `statements` parsed from `file`.
    public init(statements: [Stmt], file: SourceFile) {
        self.statements = statements
        self.file = file
    }
}

