// Session+Commands.swift — `:set NAME VALUE`, as the REPL and the notebook
// take it (one rule for both).

import WiggleGraph

extension Session {
    /// `:set NAME VALUE` changes a setting; `:set` alone shows them. Returns
    /// what to show: the settings, why the value was refused, or nothing.
    public func setCommand(_ argument: String) -> String? {
        let words = argument.split(separator: " ").map(String.init)
        if words.isEmpty { return settings.summary }
        let usage = "usage: :set particles N (1...\(Settings.maxParticles)) | :set seed S | :set threads T"
            + " | :set loop_limit L (1...\(Settings.maxLoopLimit)) | :set sampling iid|antithetic|rqmc"
            + " | :set replicates R (2...\(Settings.maxReplicates))"
        guard words.count == 2 else { return usage }
        if words[0] == "sampling" {
            switch Sampling.named(words[1]) {
            case .success(let sampling):
                settings.sampling = sampling
                return settings.quasiRounding
            case .failure(let error):
                return error.message
            }
        }
        guard let value = Int(words[1]), value >= 0 else { return usage }
        switch words[0] {
        case "particles" where value >= 1 && value <= Settings.maxParticles: settings.particles = value
        case "seed": settings.seed = UInt64(value)
        case "threads" where value >= 1 && value <= 1024: settings.threads = value
        case "loop_limit" where value >= 1 && value <= Settings.maxLoopLimit: settings.loopLimit = value
        case "replicates" where value >= 2 && value <= Settings.maxReplicates: settings.replicates = value
        default: return usage
        }
        return settings.quasiRounding
    }
}
