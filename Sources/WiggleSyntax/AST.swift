// AST.swift — the syntax tree. Every node carries its source range.

/// A name as written, with where it was written.
public struct Identifier: Sendable, Equatable {
    public var name: String
    public var range: SourceRange

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
public enum EstimatorAnnotation: String, Sendable, CaseIterable {
    case pathwise, score, exact
}

/// An argument of a call: positional, or `name = value`.
public struct Argument: Sendable {
    /// The keyword, for `name = value` arguments.
    public var label: Identifier?
    public var value: Expr

    public init(label: Identifier?, value: Expr) {
        self.label = label
        self.value = value
    }
}

/// `[element for variable in sequence if condition]`.
public struct Comprehension: Sendable {
    public var element: Expr
    public var variable: Identifier
    public var sequence: Expr
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

    public var kind: Kind
    public var range: SourceRange
    /// The height of the tree below this node (a leaf is 1). The parser
    /// bounds it so that no later recursive pass can run out of stack.
    public var depth: Int

    public init(_ kind: Kind, _ range: SourceRange, depth: Int = 1) {
        self.kind = kind
        self.range = range
        self.depth = depth
    }
}

/// A `{ ... }` block of statements.
public struct Block: Sendable {
    public var statements: [Stmt]
    public var range: SourceRange

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
    public var name: Identifier
    public var parameters: [Identifier]
    public var body: FunctionBody
}

/// One `if COND { }` or `else if COND { }` arm.
public struct ConditionalBranch: Sendable {
    public var condition: Expr
    public var body: Block
}

/// A statement and its source range.
public struct Stmt: Sendable {
    /// The shapes a statement can take.
    public indirect enum Kind: Sendable {
        /// `param name = value` or `param name[size] = value`.
        case param(name: Identifier, size: Expr?, value: Expr)
        /// `name = value`, or `name += value` etc. (`op` is the arithmetic operator).
        case assign(target: Identifier, op: BinaryOperator?, value: Expr)
        case function(FunctionDecl)
        case ifChain(branches: [ConditionalBranch], elseBody: Block?)
        case forIn(variable: Identifier, sequence: Expr, body: Block)
        case whileLoop(condition: Expr, body: Block)
        case returnValue(Expr?)
        case expression(Expr)
    }

    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

/// A parsed program: its statements and the file they came from.
public struct Program: Sendable {
    public var statements: [Stmt]
    public var file: SourceFile

    public init(statements: [Stmt], file: SourceFile) {
        self.statements = statements
        self.file = file
    }
}
