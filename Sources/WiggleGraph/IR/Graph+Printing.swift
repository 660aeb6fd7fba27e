// Graph+Printing.swift — the graph as people read it, in the style of a jaxpr:
//
//   { lambda mu log_sigma .
//     let a = exp log_sigma
//         x = normal[pathwise] mu a        # tour.wgl:3
//         b = sub x 3
//     in ( b ) }

import Foundation

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
            return names[id] ?? "?"
        }
        var lines: [(String, String)] = []
        for id in order {
            let node = self[id]
            let text: String
            switch node.op {
            case .constant, .parameter:
                continue
            case .unary(let f, let a): text = "\(f.rawValue) \(operand(a))"
            case .binary(let f, let a, let b): text = "\(f.rawValue) \(operand(a)) \(operand(b))"
            case .select(let c, let a, let b): text = "select \(operand(c)) \(operand(a)) \(operand(b))"
            case .pick(let index, let choices): text = "pick \(operand(index)) [\(choices.map(operand).joined(separator: " "))]"
            case .loopExit(let value, let alive): text = "exit \(operand(value)) \(operand(alive))"
            case .random(let distribution, let parameters):
                let choice = estimators[id] ?? EstimatorAnalysis.defaultChoice(for: node)
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
