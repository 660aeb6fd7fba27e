// Graph+Printing.swift — the graph as people read it, in the style of a jaxpr:
//
//   { lambda mu log_sigma .
//     let a = exp log_sigma
//         x = normal[pathwise] mu a        # tour.wgl:3
//         b = sub x 3
//     in ( b ) }

import Foundation
import WiggleCore
import WiggleDistributions

extension Graph {
    /// The ancestors of `roots` as a jaxpr-like listing.
    public func render(roots: [NodeID], estimators: [NodeID: EstimatorChoice] = [:]) -> String {
        let order = ancestors(of: roots)
        var names: [NodeID: String] = [:]
        var used = Set<String>()
        var generated = 0
        func freshName() -> String {
            while true {
                var n = generated
                var name = ""
                repeat {
                    name = String(UnicodeScalar(UInt8(97 + n % 26))) + name
                    n = n / 26 - 1
                } while n >= 0
                generated += 1
                if !used.contains(name) { return name }
            }
        }
        // Parameters and labelled nodes keep their names (when unique).
        var parameterNames: [String] = []
        for id in order {
            if case .parameter(let index) = self[id].op {
                names[id] = parameters[index].name
                used.insert(parameters[index].name)
                parameterNames.append(parameters[index].name)
            }
        }
        var labelCounts: [String: Int] = [:]
        for id in order { if let label = self[id].label { labelCounts[label, default: 0] += 1 } }
        for id in order where names[id] == nil {
            if let label = self[id].label, labelCounts[label] == 1, !used.contains(label) {
                names[id] = label
                used.insert(label)
            }
        }
        func operand(_ id: NodeID) -> String {
            if case .constant(let value) = self[id].op { return formatNumber(value) }
            // A value from an iteration not shown: its name, primed.
            return names[id] ?? self[id].label.map { "\($0)'" } ?? "?"
        }
        // A loop of random length shows one iteration (the second, where the
        // first has values known while tracing folded in), under a line saying so.
        var shown: [Int32: Int32] = [:]
        var iterationsSeen: [Int32: Set<Int32>] = [:]
        for id in order { if let tag = self[id].loop { iterationsSeen[tag.loop, default: []].insert(tag.iteration) } }
        for (loop, seen) in iterationsSeen { shown[loop] = seen.contains(1) ? 1 : (seen.min() ?? 0) }
        // A loop inside another shows where the iteration shown runs it.
        func isShown(_ tag: LoopTag) -> Bool {
            guard shown[tag.loop] == tag.iteration else { return false }
            return loops[Int(tag.loop)].enclosing.map(isShown) ?? true
        }
        var headed: Set<Int32> = []
        var lines: [(String, String)] = []
        for id in order {
            let node = self[id]
            if let tag = node.loop {
                guard isShown(tag) else { continue }
                if !headed.contains(tag.loop) {
                    headed.insert(tag.loop)
                    let trace = loops[Int(tag.loop)]
                    let count = iterationsSeen[tag.loop]?.count ?? 0
                    let limit = trace.alive.last.map { self[$0].op == .constant(0) } == true
                        ? "\(trace.iterations) traced, the last ending the loop"
                        : "up to the loop limit of \(trace.limit)"
                    if let repetition = trace.repetition, repetition.consistent {
                        // Traced until two iterations had one shape: the last stands for the rest.
                        let rest = repetition.exhausts
                            ? "the last repeating to the end of its range; every particle runs each"
                            : "the last repeating up to the loop limit of \(trace.limit); each runs for the particles still in the loop"
                        lines.append(("-- loop at line \(trace.site.line): iteration \(tag.iteration + 1) shown; its body traced \(repetition.template + 1) times, \(rest)", ""))
                    } else {
                        let runs = trace.holdsLoops
                            ? "every particle runs each, masked, as it holds a loop"
                            : "each runs for the particles still in the loop"
                        lines.append(("-- loop at line \(trace.site.line): iteration \(tag.iteration + 1) of \(count) shown (\(limit)); \(runs)", ""))
                    }
                }
            }
            let text: String
            switch node.op {
            case .constant, .parameter:
                continue
            case .unary(let f, let a): text = "\(f.rawValue) \(operand(a))"
            case .binary(let f, let a, let b): text = "\(f.rawValue) \(operand(a)) \(operand(b))"
            case .select(let c, let a, let b): text = "select \(operand(c)) \(operand(a)) \(operand(b))"
            case .pick(let index, let choices): text = "pick \(operand(index)) [\(choices.map(operand).joined(separator: " "))]"
            case .loopExit(let value, _):
                let line = self[value].loop.map { "\(loops[Int($0.loop)].site.line)" } ?? "?"
                text = "exit of the loop at line \(line)" + (names[value].map { " (\($0) in the iteration shown)" } ?? "")
            case .random(let distribution, let parameters):
                let choice = estimators[id] ?? EstimatorChoice.default(for: node)
                text = "\(DistributionRegistry[distribution].name)[\(choice.name)] "
                    + parameters.map(operand).joined(separator: " ")
            }
            if names[id] == nil {
                let name = freshName()
                names[id] = name
                used.insert(name)
            }
            let comment = node.op.isSampler ? "# \(node.site)" : ""
            lines.append(("\(names[id] ?? "?") = \(text)", comment))
        }
        let width = min(48, lines.map(\.0.count).max() ?? 0)
        var result = "{ lambda " + parameterNames.map { $0 + " " }.joined() + ".\n"
        for (index, line) in lines.enumerated() {
            let prefix = index == 0 ? "  let " : "      "
            let padded = line.1.isEmpty ? line.0 : line.0.padding(toLength: max(width, line.0.count), withPad: " ", startingAt: 0) + "  " + line.1
            result += prefix + padded + "\n"
        }
        result += "  in ( \(roots.map(operand).joined(separator: " ")) ) }"
        return result
    }
}
