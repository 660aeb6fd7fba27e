// Value.swift — the values a Wiggle program computes with.

import WiggleGraph
import WiggleSyntax

/// A value of the language.
public enum Value {
    /// A number (all numbers are doubles; indices must be whole).
    case number(Double)
    /// A boolean; in arithmetic it counts as 1 or 0.
    case boolean(Bool)
    case string(String)
    case list([Value])
    /// A user function with the scope it closes over.
    case function(Closure)
    /// A builtin function.
    case builtin(Builtin)
    /// A distribution, called to draw from it (`normal`, `bernoulli`, ...).
    case distribution(DistributionID)
    /// A distribution's log-density function (`normal_lpdf`, `poisson_lpmf`).
    case density(DistributionID)
    /// A value traced into the graph: random, or computed from parameters.
    case node(NodeID)
    /// A Monte Carlo estimate with its standard error: what `E[e]` gives,
    /// a gradient's component, and arithmetic on them (Estimate.swift).
    case estimate(Estimate)
    /// The result of `grad(E[...])` (boxed: a list of numbers stays small).
    indirect case gradient(GradientResult)
    /// The result of `hessian(E[...])`.
    indirect case hessian(HessianResult)
    /// What `hist`, `explain`, `minimize` and a random value's display give:
    /// a result to show (the output layer's type).
    indirect case report(Report)
    /// `normal_init(sd)`: random starting values for a parameter vector.
    case initializer(mean: Double, sd: Double)
    /// What `print(...)` and a function without `return` give back.
    case none

    /// The value's type as messages name it: "a number", "a list", ...
    public var typeDescription: String {
        switch self {
        case .number: return "a number"
        case .boolean: return "a boolean"
        case .string: return "a string"
        case .list: return "a list"
        case .function, .builtin, .distribution, .density: return "a function"
        case .node: return "a random value"
        case .estimate: return "an estimate"
        case .gradient: return "a gradient"
        case .hessian: return "a Hessian"
        case .report(.cloud): return "a random value"
        case .report(.explanation): return "a text"
        case .report(.optimisation): return "an optimisation result"
        case .initializer: return "an initialiser"
        case .none: return "no value"
        }
    }
}

/// A user-defined function and the scope it was defined in.
public final class Closure {
    /// The function's syntax: name, parameters and body.
    public let declaration: FunctionDecl
    /// The file the function was written in (its errors point there).
    public let file: SourceFile
    /// The bindings around the definition (closures read them).
    let scope: Scope

    init(declaration: FunctionDecl, file: SourceFile, scope: Scope) {
        self.declaration = declaration
        self.file = file
        self.scope = scope
    }

    /// The function's name.
    public var name: String { declaration.name.name }
}

/// Names bound to values: a function call's locals, or the globals.
final class Scope {
    var values: [String: Value] = [:]
    let parent: Scope?
    /// How many scopes enclose this one. Closures returned from calls chain
    /// scopes; the chain is bounded because freeing it recurses.
    let depth: Int

    init(parent: Scope?) {
        self.parent = parent
        self.depth = (parent?.depth ?? -1) + 1
    }

    /// The longest chain of enclosing scopes allowed.
    static let maxDepth = 10_000

    /// The value bound to a name here or in an enclosing scope.
    func lookup(_ name: String) -> Value? {
        var scope: Scope? = self
        while let current = scope {
            if let value = current.values[name] { return value }
            scope = current.parent
        }
        return nil
    }
}
