// Interpreter+Operators.swift — arithmetic, comparison and equality on values.

import WiggleGraph
import WiggleSyntax

extension Interpreter {
    /// Applies a binary operator (not `and`/`or`, which short-circuit).
    func binary(_ op: BinaryOperator, _ left: Value, _ right: Value,
                at range: SourceRange, left leftRange: SourceRange, right rightRange: SourceRange) throws -> Value {
        if left.isList || right.isList, op != .equal, op != .notEqual, BinaryFunction(op) != nil {
            return try elementwise(op, left, right, at: range, left: leftRange, right: rightRange)
        }
        if left.isNode || right.isNode {
            return try tracer.tracedBinary(op, left, right, at: range, left: leftRange, right: rightRange)
        }
        switch op {
        case .equal, .notEqual:
            if left.containsNode || right.containsNode {
                throw fail("'\(op.rawValue)' cannot compare lists holding random values or parameters; compare their elements", at: range)
            }
            return .boolean(equal(left, right) == (op == .equal))
        case .add:
            if case (.string(let a), .string(let b)) = (left, right) {
                guard a.utf8.count + b.utf8.count <= settings.maxListLength else {
                    throw fail("this string would be longer than \(settings.maxListLength) bytes", at: range)
                }
                return .string(a + b)
            }
        default: break
        }
        guard let a = left.asNumber, let b = right.asNumber else {
            throw fail(mismatchMessage(op, left, right), at: range)
        }
        guard let function = BinaryFunction(op) else {
            throw fail("'\(op.rawValue)' is not an arithmetic operator", at: range)
        }
        if let problem = function.domainError(a, b) {
            throw valueFail(problem, at: op == .divide ? rightRange : range)
        }
        let result = function.apply(a, b)
        if op.isComparison { return .boolean(result != 0) }
        guard result.isFinite else {
            throw valueFail("the result of \(formatNumber(a)) \(op.rawValue) \(formatNumber(b)) is too large to represent", at: range)
        }
        if left.isEstimate || right.isEstimate {
            // The delta method: the error moves with the local derivatives.
            let (da, db) = function.partials(a, b, result: result)
            guard da.isFinite && db.isFinite else {
                throw fail("the standard error of \(formatNumber(a)) \(op.rawValue) \(formatNumber(b)) is undefined: the derivative there is not finite", at: range)
            }
            return .estimate(Estimate.combined(left.estimate, right.estimate, to: result, da, db))
        }
        return .number(result)
    }

    /// Arithmetic and ordering comparisons with a list on either side,
    /// element by element as NumPy's: two lists of equal length pair their
    /// elements, a list and a single value (number, boolean, estimate or
    /// traced value) pair each element with it; nested lists recurse, so a
    /// matrix times a number scales every entry. (`==` and `!=` compare
    /// whole values instead: see ``equal(_:_:)``.)
    func elementwise(_ op: BinaryOperator, _ left: Value, _ right: Value,
                     at range: SourceRange, left leftRange: SourceRange, right rightRange: SourceRange) throws -> Value {
        func each(_ a: Value, _ b: Value) throws -> Value {
            try binary(op, a, b, at: range, left: leftRange, right: rightRange)
        }
        switch (left, right) {
        case (.list(let a), .list(let b)):
            guard a.count == b.count else {
                let join = op == .add ? "; to join two lists, write concat(a, b)" : ""
                throw fail("'\(op.rawValue)' works element by element on lists of equal length, got \(countPhrase(a.count, "element")) "
                           + "and \(countPhrase(b.count, "element"))\(join)", at: range)
            }
            if let mixed = zip(a, b).first(where: { $0.0.isList != $0.1.isList }) {
                let (x, y) = mixed
                throw fail("'\(op.rawValue)' pairs the elements of two lists, but here \(x.typeDescription) meets \(y.typeDescription) "
                           + "(lists of different shapes)", at: range)
            }
            return try nestedList(zip(a, b).map { try each($0, $1) }, at: range)
        case (.list(let a), _):
            guard right.isElementwiseScalar else { throw fail(mismatchMessage(op, left, right), at: range) }
            return try nestedList(a.map { try each($0, right) }, at: range)
        default:
            guard case .list(let b) = right, left.isElementwiseScalar else {
                throw fail(mismatchMessage(op, left, right), at: range)
            }
            return try nestedList(b.map { try each(left, $0) }, at: range)
        }
    }

    /// "cannot add a list and a number", worded for each operator.
    func mismatchMessage(_ op: BinaryOperator, _ left: Value, _ right: Value) -> String {
        let a = left.typeDescription, b = right.typeDescription
        switch op {
        case .add: return "cannot add \(a) and \(b)"
        case .subtract: return "cannot subtract \(b) from \(a)"
        case .multiply: return "cannot multiply \(a) by \(b)"
        case .divide: return "cannot divide \(a) by \(b)"
        case .power: return "cannot raise \(a) to the power of \(b)"
        default: return "cannot compare \(a) and \(b) with '\(op.rawValue)'"
        }
    }

    /// Structural equality; a boolean equals the number it counts as.
    func equal(_ left: Value, _ right: Value) -> Bool {
        switch (left, right) {
        case (.string(let a), .string(let b)): return a == b
        case (.list(let a), .list(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.function(let a), .function(let b)): return a === b
        case (.builtin(let a), .builtin(let b)): return a == b
        case (.distribution(let a), .distribution(let b)), (.density(let a), .density(let b)): return a == b
        case (.none, .none): return true
        default:
            if let a = left.asNumber, let b = right.asNumber { return a == b }
            return false
        }
    }
}

extension Value {
    /// True for a list.
    var isList: Bool {
        if case .list = self { return true }
        return false
    }

    /// True for what pairs with every element of a list: a number, a
    /// boolean, an estimate or a traced value.
    var isElementwiseScalar: Bool {
        switch self {
        case .number, .boolean, .estimate, .node: return true
        default: return false
        }
    }

    /// True for an estimate (a number with a standard error).
    var isEstimate: Bool {
        if case .estimate = self { return true }
        return false
    }

    /// The value as an estimate: itself, or an exact number.
    var estimate: Estimate {
        if case .estimate(let estimate) = self { return estimate }
        return Estimate(exact: asNumber ?? 0)
    }

    /// True for a list that holds a traced value at any depth.
    var containsNode: Bool {
        guard case .list(let items) = self else { return false }
        return items.contains { $0.isNode || $0.containsNode }
    }
}

extension BinaryFunction {
    /// The numeric function behind an arithmetic or comparison operator.
    init?(_ op: BinaryOperator) {
        switch op {
        case .add: self = .add
        case .subtract: self = .subtract
        case .multiply: self = .multiply
        case .divide: self = .divide
        case .power: self = .power
        case .less: self = .less
        case .lessEqual: self = .lessEqual
        case .greater: self = .greater
        case .greaterEqual: self = .greaterEqual
        case .equal: self = .equal
        case .notEqual: self = .notEqual
        case .and, .or: return nil
        }
    }
}
