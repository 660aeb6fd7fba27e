import Foundation
import Testing
import WiggleGraph
import WiggleLang

/// A normal under a name of its own, so that what this test registers
/// changes no message about the distributions every program has (tests share
/// one process and its tables).
struct FDNormal: Distribution {
    var name: String { "fd_normal" }
    var parameterNames: [String] { Normal().parameterNames }
    var support: Support { .realLine }
    var estimators: [Estimator] { [.pathwise, .score] }
    func problem(parameter index: Int, value: Double) -> ParameterProblem? { Normal().problem(parameter: index, value: value) }
    func sample(_ call: RandomCall, streams: ParticleStreams) -> SampleFailure? { Normal().sample(call, streams: streams) }
    func logDensity<S: DensityScalar>(_ x: S, _ p: [S]) throws -> S { try Normal().logDensity(x, p) }
    func addPathwise(_ call: RandomCall, adjoint g: UnsafePointer<Double>) { Normal().addPathwise(call, adjoint: g) }
}

/// An estimator defined here, in the test target, and nowhere in Sources/: a
/// central difference with common random numbers for a normal's mean and
/// sigma. The same noise z gives x(mu ± h) = x ± h and x(sigma ± h) = x ± h·z;
/// what lies downstream is re-run in each of those four worlds and
/// (f⁺ − f⁻)/2h is the derivative (exact for a cost quadratic in x).
/// Registering it is all it takes for programs to write `@fd`.
struct CentralDifference: EstimatorRule {
    let step = 1e-3

    var name: String { "fd" }
    var title: String { "central difference" }
    var mechanism: EstimatorMechanism { .worlds }
    func admits(_ distribution: any Distribution) -> Bool { distribution.name == "fd_normal" }

    func worldCount(for distribution: any Distribution) -> Int { 4 }
    func worlds(for distribution: any Distribution, parameter index: Int) -> Range<Int> { index == 0 ? 0..<2 : 2..<4 }
    func describe(worlds: Set<Int>, of distribution: any Distribution) -> String {
        [worlds.contains(0) ? "mu ± \(step)" : nil, worlds.contains(2) ? "sigma ± \(step)" : nil]
            .compactMap { $0 }.joined(separator: ", ")
    }

    func fillWorlds(_ distribution: any Distribution, _ call: RandomCall, worlds: UnsafeMutablePointer<Double>,
                    stride: Int, streams: ParticleStreams) {
        let x = call.output, mu = call.parameter(0), sigma = call.parameter(1)
        for l in 0..<call.count {
            let z = (x[l] - mu[l]) / sigma[l]
            worlds[l] = x[l] + step
            worlds[stride + l] = x[l] - step
            worlds[2 * stride + l] = x[l] + step * z
            worlds[3 * stride + l] = x[l] - step * z
        }
    }

    func addGradient(_ distribution: any Distribution, _ call: RandomCall, costs: UnsafePointer<Double>,
                     sampled: UnsafePointer<Double>, stride: Int) {
        for (parameter, row) in [(0, 0), (1, 2)] {
            guard let adjoint = call.adjoint(parameter) else { continue }
            let plus = costs + row * stride, minus = costs + (row + 1) * stride
            for l in 0..<call.count { adjoint[l] += (plus[l] - minus[l]) / (2 * step) }
        }
    }
}

@Suite struct PluginEstimatorTests {
    init() {
        DistributionRegistry.register(FDNormal())
        EstimatorRegistry.register(CentralDifference())
    }

    /// E[(x − 3)²] = (mu − 3)² + s² for x ~ normal(mu, s): d/dmu = 2(mu − 3), d/ds = 2s.
    @Test func aRegisteredEstimatorRunsAndAgreesWithTheClosedForm() {
        let program = """
            set(seed = 12, particles = 100000)
            param mu = 0.5
            param s = 1.5
            x = fd_normal(mu, s) @fd
            grad(E[(x - 3)^2 + 0 * x])
            """
        let g = gradients(program)
        guard let first = g.first else { Issue.record("no gradient"); return }
        #expect(first.estimators.map(\.estimator) == ["fd"])
        #expect(first.estimators.first?.reason.hasPrefix("requested by @fd; central difference: mu ± 0.001, sigma ± 0.001") == true)
        #expect(agrees(first["mu"], 2 * (0.5 - 3), 5))
        #expect(agrees(first["s"], 2 * 1.5, 5))
        // The same particles by the pathwise derivative: the same numbers,
        // to the rounding of the difference.
        let pathwise = gradients(program.replacingOccurrences(of: " @fd", with: " @pathwise"))
        #expect(abs(first["mu"].value - (pathwise.first?["mu"].value ?? .nan)) < 1e-6)
    }

    /// An estimator on a mechanism the engine runs only through the
    /// distributions' own loops is refused: it could only be a built-in again.
    @Test func onlyWorldsEstimatorsRegister() {
        struct Renamed: EstimatorRule {
            var name: String { "my_score" }
            var title: String { "score function" }
            var mechanism: EstimatorMechanism { .score }
            func admits(_ distribution: any Distribution) -> Bool { true }
        }
        #expect(EstimatorRegistry.register(Renamed()) == nil)
        #expect(Estimator(rawValue: "my_score") == nil)
    }

    @Test func annotationsAreCheckedAgainstTheTable() {
        #expect(Estimator(rawValue: "fd") != nil)
        #expect(run("x = bernoulli(0.5) @fd").errors
            == ["1:5: @fd applies to fd_normal; a bernoulli takes @score, @exact or @triple"])
        #expect(run("x = fd_normal(0, 1) @fdd").errors == ["1:21: unknown estimator '@fdd'; did you mean '@fd'?"])
        #expect(run("x = fd_normal(0, 1) @fdd").exitCode == 65)
        // Checked while parsing: in a function never called too.
        #expect(run("fn f() = fd_normal(0, 1) @fdd\n1").errors == ["1:26: unknown estimator '@fdd'; did you mean '@fd'?"])
        #expect(run("x = fd_normal(0, 1) @mvd").errors
            == ["1:5: @mvd applies to normal, uniform, exponential, poisson and lognormal; a fd_normal takes @pathwise, @score or @fd"])
        let explained = run("param m = 0\nx = fd_normal(m, 1) @fd\nexplain(x)").text
        #expect(explained.contains("fd_normal[fd]"), "\(explained)")
    }
}
