// Interpreter+Origins.swift — where each node was written, for errors the
// engine finds later, and values computed from parameters alone.

import WiggleGraph
import WiggleSyntax

extension Interpreter {
    /// The current value of a node computed from parameters alone (nil for a
    /// random node); a nan or inf on the way is an error at the node it came from.
    func currentValue(of id: NodeID, at range: SourceRange) throws -> Double? {
        switch graph.evaluateChecked(id) {
        case nil: return nil
        case .success(let value)?: return value
        case .failure(let problem)?:
            let name = graph[problem.node].label.map { "'\($0)'" } ?? "this value"
            let message = "\(name) is not a finite number (\(formatNumber(problem.value))) at the parameters' current values"
            if let origin = origin(of: problem.node) { throw RuntimeError(message, at: origin.range, in: origin.file) }
            throw fail(message, at: range)
        }
    }

    // MARK: Node origins

    /// Remembers where a node came from, for engine errors.
    func recordOrigin(_ id: NodeID, _ range: SourceRange) {
        while nodeOrigins.count < Int(id.index) { nodeOrigins.append(nil) }
        if nodeOrigins.count == Int(id.index) {
            nodeOrigins.append(NodeOrigin(file: file, range: range))
        }
    }

    /// Remembers that a node (made after tracing, for a derivative) is where another was written.
    func recordOrigin(_ id: NodeID, _ origin: NodeOrigin) {
        while nodeOrigins.count <= Int(id.index) { nodeOrigins.append(nil) }
        if nodeOrigins[Int(id.index)] == nil { nodeOrigins[Int(id.index)] = origin }
    }

    func origin(of id: NodeID) -> NodeOrigin? {
        Int(id.index) < nodeOrigins.count ? nodeOrigins[Int(id.index)] : nil
    }
}

/// Where a node was written.
struct NodeOrigin {
    var file: SourceFile
    var range: SourceRange
}
