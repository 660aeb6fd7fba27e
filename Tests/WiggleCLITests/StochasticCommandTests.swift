import Foundation
import Testing

/// Runs `wiggle` and returns its exit status and peak resident memory in KiB
/// (wait4 reports the child's own maximum).
func peakMemory(_ arguments: [String]) throws -> (status: Int32, kilobytes: Int) {
    var pid: pid_t = 0
    let argv = ([wiggleBinary.path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    defer { posix_spawn_file_actions_destroy(&actions) }
    guard posix_spawn(&pid, wiggleBinary.path, &actions, nil, argv, environ) == 0 else {
        throw CocoaError(.executableLoad)
    }
    var status: Int32 = 0
    var usage = rusage()
    _ = wait4(pid, &status, 0, &usage)
    return ((status >> 8) & 0xFF, usage.ru_maxrss)
}

@Suite(.serialized) struct StochasticCommandTests {
    let program = """
        set(seed = 3)
        param mu = 0.5
        param log_sigma = 0.0
        x = normal(mu, exp(log_sigma))
        loss = (x - 3)^2
        E[loss]
        grad(E[loss])
        x
        param theta = 0
        b = bernoulli(sigmoid(theta))
        grad(E[(b - 0.499)^2], wrt = [theta])
        hist(x, bins = 4)
        """

    @Test func jsonKindsForRandomResults() throws {
        let path = try temporaryProgram(program)
        let outcome = try wiggle(["run", path, "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let objects = try jsonLines(outcome.stdout)
        #expect(objects.map { $0["kind"] as? String ?? "" } == ["expectation", "gradient", "random", "gradient", "histogram"])
        #expect(objects.map { $0["line"] as? Int ?? 0 } == [6, 7, 8, 11, 12])
        let expectation = objects[0]
        #expect(expectation["value"] is Double && expectation["stderr"] is Double)
        let gradient = objects[1]
        let wrt = gradient["wrt"] as? [String: [String: Double]] ?? [:]
        #expect(Set(wrt.keys) == ["mu", "log_sigma"])
        #expect(abs((wrt["mu"]?["value"] ?? 0) + 5) < 0.2)
        #expect((wrt["mu"]?["stderr"] ?? 0) > 0)
        let estimators = gradient["estimators"] as? [[String: Any]] ?? []
        #expect(estimators.count == 1)
        #expect(estimators.first?["node"] as? String == "x")
        #expect(estimators.first?["line"] as? Int == 4)
        #expect(estimators.first?["column"] as? Int == 5)
        #expect(estimators.first?["distribution"] as? String == "normal")
        #expect(estimators.first?["estimator"] as? String == "pathwise")
        #expect(estimators.first?["reason"] is String)
        #expect(gradient["warnings"] as? [String] == [])
        let random = objects[2]
        #expect(abs((random["value"] as? Double ?? 0) - 0.5) < 0.05)
        #expect((random["histogram"] as? [Int])?.reduce(0, +) == 10_000)
        let toy = objects[3]["wrt"] as? [String: [String: Double]] ?? [:]
        #expect(Set(toy.keys) == ["theta"])
        #expect((objects[3]["estimators"] as? [[String: Any]])?.first?["estimator"] as? String == "exact")
        // Round bins: about 4, each `width` wide from `start`.
        let bins = objects[4]["bins"] as? [String: Any]
        let counts = objects[4]["histogram"] as? [Int] ?? []
        #expect(counts.count >= 3 && counts.count <= 8)
        #expect(counts.reduce(0, +) == 10_000)
        #expect(bins?["integral"] as? Bool == false)
        if let start = bins?["start"] as? Double, let width = bins?["width"] as? Double, let low = objects[4]["min"] as? Double,
           let high = objects[4]["max"] as? Double {
            #expect(start <= low && start + Double(counts.count) * width > high)
        } else {
            Issue.record("a histogram's bins: \(objects[4])")
        }
    }

    @Test func plainOutputForRandomResults() throws {
        let path = try temporaryProgram(program)
        let outcome = try wiggle(["run", path])
        #expect(outcome.status == 0)
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0].contains(" ± "))
        #expect(lines[1].hasPrefix("mu: ") && lines[1].contains("log_sigma: "))
        #expect(lines[2].hasPrefix("  x  normal"))
        #expect(lines[3].hasPrefix("~ "))
        #expect(lines[4].hasPrefix("theta: "))
    }

    @Test func seedFlagReproducesAndChangesResults() throws {
        let path = try temporaryProgram("x = normal(0, 1)\nE[x]\n")
        let first = try wiggle(["run", path, "--seed", "5"])
        let again = try wiggle(["run", path, "--seed", "5"])
        let other = try wiggle(["run", path, "--seed", "6"])
        #expect(first.stdout == again.stdout)
        #expect(first.stdout != other.stdout)
        let few = try wiggle(["run", path, "--seed", "5", "--particles", "100"])
        #expect(few.stdout != first.stdout)
    }

    @Test func invalidParametersPerParticleExit70() throws {
        let path = try temporaryProgram("z = normal(0, 1)\nw = normal(1, z)\nE[w]\n")
        let outcome = try wiggle(["run", path, "--particles", "1000"])
        #expect(outcome.status == 70)
        #expect(outcome.stderr.contains(":2:5: error: sigma must be > 0 (got -"))
        #expect(outcome.stderr.contains("of 1000 particles)"))
    }

    /// The engine never holds N particles of every node: peak memory at two
    /// million particles is within a few MiB of that at ten thousand.
    @Test func memoryDoesNotGrowWithParticles() throws {
        let path = try temporaryProgram("""
            param a = 0.9
            h = 1
            for t in 0..50 { h = normal(a * h, 0.5) }
            grad(E[h^2])
            """)
        let small = try peakMemory(["run", path, "--particles", "10000"])
        let large = try peakMemory(["run", path, "--particles", "2000000"])
        #expect(small.status == 0 && large.status == 0)
        // Holding every node's particles would take 2e6 × 100 nodes × 8 bytes = 1.6 GB.
        #expect(large.kilobytes - small.kilobytes < 8 * 1024, "\(small.kilobytes) KiB vs \(large.kilobytes) KiB")
    }

    /// A loop that re-traces its objective every iteration runs in memory
    /// bounded by what is reachable: the nodes, plans and runners of earlier
    /// iterations are freed (before: 24 MiB at 1,000 iterations, 44 MiB at 16,000).
    @Test func reTracingDoesNotLeak() throws {
        func program(_ iterations: Int) throws -> String {
            try temporaryProgram("""
                set(seed = 1, particles = 100)
                param mu = 0.1
                for i in 0..\(iterations) {
                  x = normal(mu, 1)
                  g = grad(E[x * x])
                }
                g
                """)
        }
        let short = try peakMemory(["run", try program(1_000)])
        let long = try peakMemory(["run", try program(16_000)])
        #expect(short.status == 0 && long.status == 0)
        #expect(long.kilobytes - short.kilobytes < 10 * 1024, "\(short.kilobytes) KiB vs \(long.kilobytes) KiB")
    }
}

@Suite struct WarningOutputTests {
    @Test func warningsAppearInPlainTextAndAsJSONObjects() throws {
        let path = try temporaryProgram("""
            param S0 = 100
            z = normal(0, 1)
            ST = S0 * exp(0.2 * z)
            grad(E[ST > 105 + 0 * z])
            """)
        // (z used twice: S0 · exp(0.2 z) cannot be folded into z, so the jump is missed.)
        let plain = try wiggle(["run", path])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("warning: line 4: the gradient with respect to 'S0' misses a jump"))
        #expect(plain.stdout.hasPrefix("S0: 0 (biased: misses the jump at line 4)\n"))
        #expect(plain.stdout.contains("exp(normal(m + log(S0), s)) in place of S0 * exp(normal(m, s))"))
        let json = try wiggle(["run", path, "--json"])
        let objects = try jsonLines(json.stdout)
        #expect(objects.map { $0["kind"] as? String ?? "" } == ["gradient", "warning"])
        #expect((objects[0]["warnings"] as? [String])?.count == 1)
        let component = (objects[0]["wrt"] as? [String: Any])?["S0"] as? [String: Any]
        #expect(component?["biased"] as? Bool == true)
        #expect(objects[1]["line"] as? Int == 4)
        #expect(objects[1]["column"] as? Int == 8)
        #expect((objects[1]["message"] as? String)?.contains("'S0' reaches `>` at line 4") == true)
    }
}
