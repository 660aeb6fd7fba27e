// Interpreter+Calls.swift — calling user functions.

import WiggleSyntax

/// An evaluated argument of a call, with where it was written.
struct CallArgument {
    var label: Identifier?
    var value: Value
    var range: SourceRange
}

extension Interpreter {
    /// Calls a function value.
    func call(_ callee: Value, _ arguments: [CallArgument], at range: SourceRange,
              callee calleeRange: SourceRange) throws -> Value {
        switch callee {
        case .function(let closure): return try call(closure, arguments, at: range)
        case .builtin(let builtin): return try call(builtin, arguments, at: range)
        case .distribution(let id): return try sample(id, arguments, annotation: nil, at: range)
        case .density(let id): return try tracer.logDensity(id, arguments, at: range)
        default: throw fail("cannot call \(callee.typeDescription); only functions can be called", at: calleeRange)
        }
    }

    /// Calls a user function: binds its parameters in a fresh scope whose parent
    /// is the scope it was defined in, and runs its body there.
    func call(_ closure: Closure, _ arguments: [CallArgument], at range: SourceRange) throws -> Value {
        let declaration = closure.declaration
        let parameterNames = declaration.parameters.map(\.name)
        let name = closure.name
        let positional = arguments.filter { $0.label == nil }
        if positional.count > parameterNames.count {
            throw fail("\(name) expects \(countPhrase(parameterNames.count, "argument")), got \(arguments.count)",
                       at: range)
        }
        guard closure.scope.depth < Scope.maxDepth else {
            throw fail("functions returned from functions nest more than \(Scope.maxDepth) deep", at: range)
        }
        let scope = Scope(parent: closure.scope)
        for (parameter, argument) in zip(parameterNames, positional) {
            scope.values[parameter] = argument.value
        }
        for argument in arguments {
            guard let label = argument.label else { continue }
            guard parameterNames.contains(label.name) else {
                throw fail("\(name) has no parameter named '\(label.name)'", at: label.range)
            }
            if scope.values[label.name] != nil {
                throw fail("\(name) got two values for '\(label.name)'", at: label.range)
            }
            scope.values[label.name] = argument.value
        }
        if let missing = parameterNames.first(where: { scope.values[$0] == nil }) {
            if arguments.allSatisfy({ $0.label == nil }) {
                throw fail("\(name) expects \(countPhrase(parameterNames.count, "argument")), got \(arguments.count)",
                           at: range)
            }
            throw fail("\(name) is missing a value for '\(missing)'", at: range)
        }

        guard tracer.callDepth < settings.maxCallDepth else {
            throw fail("more than \(settings.maxCallDepth) calls in progress at once; does the recursion in '\(name)' lack a base case? (raise the limit with --max-depth)",
                       at: range)
        }
        try checkInterrupt(at: range)
        try checkStack(at: range)
        tracer.callDepth += 1
        let callerFile = file
        file = closure.file
        let frame = FunctionFrame(pathDepth: tracer.pathConditions.count, loopDepth: tracer.loopFrames.count)
        tracer.functionFrames.append(frame)
        // The call's draws are addressed inside a frame of its own.
        let addressDepth = graph.addresses.depth
        graph.addresses.enter(.call)
        defer {
            tracer.callDepth -= 1
            file = callerFile
            tracer.functionFrames.removeLast()
            graph.addresses.truncate(to: addressDepth)
        }
        switch declaration.body {
        case .expression(let body):
            return try evaluate(body, in: scope)
        case .block(let body):
            var final = Value.none
            if case .returned(let value, _) = try execute(body, in: scope) { final = value }
            // Particles that returned early under a traced condition take what they returned.
            return try tracer.result(of: frame, final: final, name: name, at: range)
        }
    }
}

/// "1 argument", "2 arguments".
func countPhrase(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
