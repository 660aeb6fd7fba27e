// ParameterStore.swift — the names of a session's learnable parameters.

import WiggleGraph

/// The parameters declared with `param`, by name. Their values live in the
/// graph (``Graph/parameters``), one scalar per element.
struct ParameterStore {
    /// One declared parameter: a scalar, or a vector of scalars.
    struct Entry {
        var name: String
        /// Indices into ``Graph/parameters``.
        var indices: [Int]
        var isVector: Bool
        var line: Int
        /// A matrix's row length (its indices go row by row).
        var columns: Int? = nil

        /// Values for the elements, shaped as the parameter: one, a list,
        /// or a list of rows.
        func shaped(_ elements: [Value]) -> Value {
            guard isVector else { return elements.first ?? .none }
            guard let columns, columns > 0 else { return .list(elements) }
            return .list(stride(from: 0, to: elements.count, by: columns).map { .list(Array(elements[$0..<min(elements.count, $0 + columns)])) })
        }
    }

    /// The longest parameter vector accepted.
    static let maxVectorLength = 1_000_000

    private(set) var entries: [Entry] = []
    private var indexByName: [String: Int] = [:]
    /// Each vector's value once built (a loop reading `w[i]` would rebuild
    /// a list of n nodes at every read); cleared when the graph is
    /// collected, which renumbers the nodes.
    private var built: [Int: Value] = [:]

    /// Forgets the built values (the graph's nodes were renumbered).
    mutating func clearBuiltValues() { built = [:] }

    /// Declared names, in order.
    var names: [String] { entries.map(\.name) }

    func contains(_ name: String) -> Bool { indexByName[name] != nil }

    func declaration(of name: String) -> Entry? { indexByName[name].map { entries[$0] } }

    /// Adds a parameter.
    mutating func declare(_ entry: Entry) {
        indexByName[entry.name] = entries.count
        entries.append(entry)
    }

    /// Notes where a parameter declared again with the same shape was.
    mutating func redeclare(_ name: String, line: Int) {
        if let index = indexByName[name] { entries[index].line = line }
    }

    /// A parameter reads as its graph node (a list of nodes for a vector).
    mutating func value(of name: String, in graph: Graph) -> Value? {
        guard let index = indexByName[name] else { return nil }
        if let value = built[index] { return value }
        let entry = entries[index]
        let value = entry.shaped(entry.indices.map { Value.node(graph.parameters[$0].node) })
        if entry.isVector { built[index] = value }
        return value
    }
}
