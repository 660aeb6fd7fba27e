// Cluster.swift — one estimate over many processes (MPI ranks).
//
// Every rank traces the same program and plans the same runs; in each run a
// rank computes only the groups of chunks it owns (group g belongs to rank
// g mod R), and the ranks then exchange the groups' partial sums so that
// every rank holds all of them and merges them in group order, as one
// process does. The groups are fixed by the particle count and the chunk
// size (never by R or the thread count), so every number is bit for bit
// what one process prints. The exchange is a bitwise OR over all ranks of a
// buffer where each group's bytes are written by its owner only (zeros
// elsewhere): no arithmetic, so no rounding and no order. WiggleGraph knows
// nothing of MPI: the command line installs the two collective operations.

import WiggleCore
import WiggleDistributions

/// The ranks of a run over many processes, and their collective operations.
public struct Cluster: Sendable {
    /// This process's rank, from 0, and how many ranks there are.
    public let rank: Int
    public let size: Int
    /// Replaces every word of the buffer by the bitwise OR of that word over
    /// all ranks (each rank passes a buffer of the same length).
    public let combine: @Sendable (UnsafeMutableBufferPointer<UInt64>) -> Void
    /// True when every rank passes the same value.
    public let agree: @Sendable (UInt64) -> Bool

    public init(rank: Int, size: Int, combine: @escaping @Sendable (UnsafeMutableBufferPointer<UInt64>) -> Void,
                agree: @escaping @Sendable (UInt64) -> Bool) {
        self.rank = rank
        self.size = size
        self.combine = combine
        self.agree = agree
    }

    /// The cluster this process runs in (set once, before any run), or nil for one process.
    nonisolated(unsafe) public static var current: Cluster?

    /// True when this rank computes group `group`.
    func owns(_ group: Int) -> Bool { group % size == rank }

    /// Gives every rank every group's partial: owners encode theirs, the
    /// lengths then the words are OR-ed together, and each group is decoded
    /// from its owner's words.
    func exchange(_ partials: inout [Partial]) {
        var encoded: [[UInt64]] = partials.indices.map { owns($0) ? partials[$0].encoded() : [] }
        var lengths = encoded.map { UInt64($0.count) }
        lengths.withUnsafeMutableBufferPointer { combine($0) }
        var words = [UInt64](repeating: 0, count: Int(lengths.reduce(0, +)))
        var offset = 0
        for (group, length) in lengths.enumerated() {
            if owns(group) { for (i, word) in encoded[group].enumerated() { words[offset + i] = word } }
            offset += Int(length)
        }
        encoded = []
        words.withUnsafeMutableBufferPointer { combine($0) }
        offset = 0
        for (group, length) in lengths.enumerated() {
            if !owns(group) {
                var reader = WordReader(words: words, position: offset)
                partials[group].decode(from: &reader)
            }
            offset += Int(length)
        }
    }
}

extension Cluster {
    /// Checks that every rank merged the same totals (they must: every rank
    /// merges the same groups in the same order, from the same parameters);
    /// an error naming the run otherwise, never results that differ by rank.
    func check(_ total: Partial, parameters: [Double]) throws {
        // The parameters first: an optimiser moves them identically on
        // every rank, from identical gradients; never results from ranks
        // that drifted apart.
        var held = FNV1a()
        for value in parameters { held.add(word: value.bitPattern) }
        guard agree(held.value) else {
            throw EngineError(node: NodeID(0), site: .unknown,
                              message: "the MPI ranks hold different parameter values for this run; every rank must run one build on one program")
        }
        var hash = FNV1a()
        for word in total.encoded() { hash.add(word: word) }
        guard agree(hash.value) else {
            throw EngineError(node: NodeID(0), site: .unknown,
                              message: "the MPI ranks computed different results for this run (their parameters or settings differ); every rank must run one build on one program")
        }
    }
}

/// Reads back what ``Partial/encoded()`` wrote.
struct WordReader {
    let words: [UInt64]
    var position: Int

    mutating func word() -> UInt64 {
        defer { position += 1 }
        return position < words.count ? words[position] : 0
    }
    mutating func double() -> Double { Double(bitPattern: word()) }
    mutating func int() -> Int { Int(truncatingIfNeeded: word()) }
    mutating func doubles() -> [Double] { (0..<int()).map { _ in double() } }
    mutating func moments() -> Moments {
        var moments = Moments()
        let count = double(), mean = double(), m2 = double()
        moments.merge(count: count, mean: mean, m2: m2)
        return moments
    }
    mutating func string() -> String {
        let bytes = (0..<int()).map { _ in UInt8(truncatingIfNeeded: word()) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Partial {
    /// Every number of the partial as 64-bit words (doubles by their bits).
    /// Without failures the length depends only on the plan.
    func encoded() -> [UInt64] {
        var out: [UInt64] = []
        func double(_ x: Double) { out.append(x.bitPattern) }
        func int(_ n: Int) { out.append(UInt64(truncatingIfNeeded: n)) }
        func doubles(_ xs: [Double]) { int(xs.count); xs.forEach(double) }
        func moments(_ m: Moments) { double(m.count); double(m.mean); double(m.m2) }
        func string(_ s: String) { int(s.utf8.count); s.utf8.forEach { out.append(UInt64($0)) } }
        int(outputs.count)
        for i in outputs.indices {
            moments(outputs[i])
            double(minima[i])
            double(maxima[i])
            int(integral[i] ? 1 : 0)
        }
        int(gradient.count)
        gradient.forEach(moments)
        doubles(coMoments)
        doubles(coShift)
        doubles(coSums)
        int(histogram.count)
        histogram.forEach(int)
        doubles(groupCosts)
        int(particleOutputs.count)
        particleOutputs.forEach(moments)
        int(failures.count)
        for (node, failure) in failures.sorted(by: { $0.key < $1.key }) {
            int(Int(node))
            int(failure.count)
            double(failure.value)
            switch failure.what {
            case .parameter(let problem): int(0); string(problem.subject); string(problem.requirement)
            case .index(let count): int(1); int(count)
            case .loopLimit(let loop): int(2); int(loop)
            case .loopMemory(let limit): int(3); int(limit)
            }
        }
        for table in [nonFinite.map { (Int($0.key), $0.value) }, nonFiniteGradient.map { ($0.key, $0.value) },
                      nonFiniteGradientNodes.map { (Int($0.key), $0.value) }] {
            int(table.count)
            for (key, count) in table.sorted(by: { $0.0 < $1.0 }) { int(key); int(count) }
        }
        return out
    }

    /// Replaces the partial's numbers by those `reader` holds.
    mutating func decode(from reader: inout WordReader) {
        let count = reader.int()
        for i in 0..<count where i < outputs.count {
            outputs[i] = reader.moments()
            minima[i] = reader.double()
            maxima[i] = reader.double()
            integral[i] = reader.int() != 0
        }
        let k = reader.int()
        gradient = (0..<k).map { _ in reader.moments() }
        coMoments = reader.doubles()
        coShift = reader.doubles()
        coSums = reader.doubles()
        histogram = (0..<reader.int()).map { _ in reader.int() }
        groupCosts = reader.doubles()
        particleOutputs = (0..<reader.int()).map { _ in reader.moments() }
        failures = [:]
        for _ in 0..<reader.int() {
            let node = Int32(truncatingIfNeeded: reader.int())
            let count = reader.int()
            let value = reader.double()
            let what: FailureKind
            switch reader.int() {
            case 0: what = .parameter(ParameterProblem(reader.string(), reader.string()))
            case 1: what = .index(count: reader.int())
            case 2: what = .loopLimit(loop: reader.int())
            default: what = .loopMemory(reader.int())
            }
            failures[node] = (count, value, what)
        }
        var tables: [[Int: Int]] = []
        for _ in 0..<3 {
            var table: [Int: Int] = [:]
            for _ in 0..<reader.int() {
                let key = reader.int()
                table[key] = reader.int()
            }
            tables.append(table)
        }
        nonFinite = Dictionary(uniqueKeysWithValues: tables[0].map { (Int32(truncatingIfNeeded: $0.key), $0.value) })
        nonFiniteGradient = tables[1]
        nonFiniteGradientNodes = Dictionary(uniqueKeysWithValues: tables[2].map { (Int32(truncatingIfNeeded: $0.key), $0.value) })
    }
}
