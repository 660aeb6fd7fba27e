// Registry.swift — every distribution a program can call. Adding one is a
// new file beside this one and one line in `builtins`.

import Synchronization
import WiggleCore

/// The distributions, by ID and by name.
public enum DistributionRegistry {
    /// The distributions every program has, in ID order (one line each).
    public static let builtins: [any Distribution] = [
        Normal(),
        Bernoulli(),
        Uniform(),
        Exponential(),
        Gamma(),
        Beta(),
        Poisson(),
        Categorical(),
        LogNormal(),
        StudentT(),
    ]

    private static let table = Mutex<[any Distribution]>(builtins)

    /// Adds a distribution (or returns the ID of the one already registered
    /// under its name). Programs call it by its name from then on.
    @discardableResult
    public static func register(_ distribution: any Distribution) -> DistributionID {
        table.withLock { table in
            if let index = table.firstIndex(where: { $0.name == distribution.name }) { return DistributionID(index) }
            table.append(distribution)
            return DistributionID(table.count - 1)
        }
    }

    /// The distribution with an ID.
    public static subscript(id: DistributionID) -> any Distribution {
        // The built-ins without taking the lock: the tracer, the analysis
        // and the plan ask for every random node.
        let index = Int(id.index)
        if index < builtins.count { return builtins[index] }
        return table.withLock { $0[index] }
    }

    /// The ID of the distribution called `name`, if there is one.
    public static func id(named name: String) -> DistributionID? {
        table.withLock { table in table.firstIndex { $0.name == name }.map(DistributionID.init) }
    }

    /// Every registered distribution, in ID order.
    public static var all: [any Distribution] {
        table.withLock { $0 }
    }
}
