// AST+Description.swift — a compact s-expression form of the tree, for tests and debugging.

extension Expr: CustomStringConvertible {
    /// The expression as an s-expression: `(+ 1 (* 2 3))`.
    public var description: String {
        switch kind {
        case .number(let value):
            return value == value.rounded() && Swift.abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .string(let text): return "\"\(text)\""
        case .boolean(let flag): return flag ? "true" : "false"
        case .name(let name): return name
        case .unary(let op, let operand): return "(\(op == .negate ? "neg" : "not") \(operand))"
        case .binary(let op, let left, let right): return "(\(op.rawValue) \(left) \(right))"
        case .range(let low, let high): return "(.. \(low) \(high))"
        case .call(let callee, let arguments):
            let parts = arguments.map { argument in
                argument.label.map { "\($0.name)=\(argument.value)" } ?? argument.value.description
            }
            return "(call \(callee)\(parts.isEmpty ? "" : " " + parts.joined(separator: " ")))"
        case .index(let base, let position): return "(index \(base) \(position))"
        case .list(let elements): return "[" + elements.map(\.description).joined(separator: " ") + "]"
        case .comprehension(let c):
            return "[\(c.element) for \(c.variable.name) in \(c.sequence)\(c.condition.map { " if \($0)" } ?? "")]"
        case .expectation(let inner): return "(E \(inner))"
        case .annotated(let call, let estimator): return "(@\(estimator.name) \(call))"
        }
    }
}

extension Block: CustomStringConvertible {
    /// The statements in braces.
    public var description: String {
        "{" + statements.map(\.description).joined(separator: " ") + "}"
    }
}

extension Stmt: CustomStringConvertible {
    /// The statement as an s-expression: `(= x (+ 1 2))`.
    public var description: String {
        switch kind {
        case .param(let name, let size, let columns, let value, let lower, let upper):
            let limits = (lower.map { " (lower \($0))" } ?? "") + (upper.map { " (upper \($0))" } ?? "")
            return "(param \(name.name)\(size.map { "[\($0)]" } ?? "")\(columns.map { "[\($0)]" } ?? "") \(value)\(limits))"
        case .assign(let target, let op, let value):
            return "(\(op.map { $0.rawValue } ?? "")= \(target.name) \(value))"
        case .function(let decl):
            let parameters = decl.parameters.map(\.name).joined(separator: " ")
            switch decl.body {
            case .expression(let body): return "(fn \(decl.name.name) (\(parameters)) \(body))"
            case .block(let body): return "(fn \(decl.name.name) (\(parameters)) \(body))"
            }
        case .ifChain(let branches, let elseBody):
            let arms = branches.map { "\($0.condition) \($0.body)" }.joined(separator: " ")
            return "(if \(arms)\(elseBody.map { " else \($0)" } ?? ""))"
        case .forIn(let variable, let sequence, let body): return "(for \(variable.name) \(sequence) \(body))"
        case .whileLoop(let condition, let body): return "(while \(condition) \(body))"
        case .returnValue(let value): return value.map { "(return \($0))" } ?? "(return)"
        case .breakLoop: return "(break)"
        case .continueLoop: return "(continue)"
        case .expression(let expression): return expression.description
        }
    }
}
