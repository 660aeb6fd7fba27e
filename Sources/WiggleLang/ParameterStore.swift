// ParameterStore.swift — the learnable parameters of a session.

/// The parameters declared with `param`, in declaration order.
struct ParameterStore {
    /// One declared parameter: a scalar, or a vector of scalars.
    struct Entry {
        var name: String
        var values: [Double]
        var isVector: Bool
        var line: Int
    }

    /// The longest parameter vector accepted.
    static let maxVectorLength = 1_000_000

    private(set) var entries: [Entry] = []
    private var indexByName: [String: Int] = [:]

    /// Declared names, in order.
    var names: [String] { entries.map(\.name) }

    func contains(_ name: String) -> Bool { indexByName[name] != nil }

    func declaration(of name: String) -> Entry? { indexByName[name].map { entries[$0] } }

    mutating func declare(_ name: String, values: [Double], isVector: Bool, line: Int) {
        indexByName[name] = entries.count
        entries.append(Entry(name: name, values: values, isVector: isVector, line: line))
    }

    /// A parameter reads as its current value (a list for a vector).
    func value(of name: String) -> Value? {
        guard let index = indexByName[name] else { return nil }
        let entry = entries[index]
        return entry.isVector ? .list(entry.values.map { .number($0) }) : .number(entry.values[0])
    }

    mutating func removeAll() {
        entries = []
        indexByName = [:]
    }
}
