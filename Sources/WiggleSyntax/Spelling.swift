// Spelling.swift — "did you mean": the nearest known name to a misspelt
// one, by edit distance counting a swap of neighbours as one edit (optimal
// string alignment): `maen` is one edit from `mean`.

/// Suggestions for misspelt names.
public enum Spelling {
    /// The candidate nearest `name`, when near enough to be a slip: at most
    /// one edit for names of up to four letters, two beyond; none for names
    /// of one or two letters, or past 64.
    public static func closest<Names: Sequence<String>>(to name: String, among candidates: Names) -> String? {
        let limit = name.count <= 2 ? 0 : (name.count <= 4 ? 1 : 2)
        guard name.count <= 64 else { return nil }
        var best: (name: String, distance: Int)?
        for candidate in candidates.sorted() where abs(candidate.count - name.count) <= limit {
            let distance = Spelling.distance(name, candidate)
            if distance <= limit && distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// The number of insertions, deletions, substitutions and swaps of
    /// neighbours that turn `a` into `b`.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = min(best, table[i - 2][j - 2] + 1)
                }
                table[i][j] = best
            }
        }
        return table[a.count][b.count]
    }
}
