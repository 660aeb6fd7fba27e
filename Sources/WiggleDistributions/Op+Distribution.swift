// Op+Distribution.swift — what a random node's distribution says, read
// through the registry (the graph itself, in WiggleCore, holds only the
// distribution's ID).

import WiggleCore

extension Op {
    /// The distribution a sampler draws from.
    public var distribution: (any Distribution)? {
        if case .random(let id, _) = self { return DistributionRegistry[id] }
        return nil
    }

    /// The values a random node can take, for its exact derivative.
    public var outcomes: [Double] {
        if case .random(let id, let parameters) = self { return DistributionRegistry[id].outcomes(parameterCount: parameters.count) }
        return []
    }
}
