import Foundation
import Testing
import WiggleGraph
import WiggleLang

/// `param s = 0.5, lower = 0`: bounded parameters, optimised in an
/// unconstrained space, reported as declared; failures that leave the
/// parameters where they last ran; declaring again in a session.
@Suite struct ParameterBoundsTests {
    @Test func aPositiveScaleStaysPositiveAndReachesTheOptimum() {
        // E[(x − 0.1)²] with x ~ normal(0, s) is 0.01 + s², smallest as s → 0.
        let program = """
            set(seed = 1)
            param s = 0.5, lower = 0
            fit = minimize(E[(normal(0, s) - 0.1)^2], steps = 300, lr = 0.1)
            s
            E[(normal(0, s) - 0.1)^2]
            """
        let values = displayedValues(program)
        guard values.count == 3, case .number(let s) = values[1], case .estimate(let objective) = values[2] else {
            Issue.record("unexpected output: \(values.map(Display.plain))")
            return
        }
        #expect(s > 0)
        #expect(s < 0.1)
        #expect(abs(objective.value - (0.01 + s * s)) <= 3 * objective.stderr)
    }

    @Test func theSameProgramWithoutTheBoundFailsAndKeepsTheLastValidValue() {
        // Unbounded, a large step drives s below zero; the error says where
        // the parameters were left, and they are left at a valid value.
        let session = Session()
        let outcome = run("""
            set(seed = 1)
            param s = 0.5
            x = normal(0, s)
            minimize(E[(x - 0.1)^2], steps = 300, lr = 0.3)
            """, session: session)
        #expect(outcome.status == .runtimeError)
        #expect(outcome.errors.first?.contains("sigma must be > 0") == true)
        #expect(outcome.errors.first?.contains("the parameters are back at their values after step") == true)
        #expect(outcome.errors.first?.contains("lower = 0") == true)
        let s = session.parameterValues.first { $0.name == "s" }?.value ?? -1
        #expect(s > 0)
        // The session goes on: the objective can be estimated there.
        let after = run("E[(x - 0.1)^2]", session: session)
        #expect(after.status == .success)
    }

    @Test func gradientsAreReportedForTheParameterAsDeclared() {
        // d/dp E[bernoulli(p)] = 1 whatever the bounds; d/ds E[normal(0, s)²] = 2s.
        let result = gradients("""
            set(seed = 2)
            param p = 0.3, lower = 0, upper = 1
            grad(E[bernoulli(p)])
            param s = 0.5, lower = 0
            grad(E[normal(0, s)^2])
            """)
        #expect(result.count == 2)
        guard result.count == 2 else { return }
        #expect(abs(result[0]["p"].value - 1) < 1e-12)
        #expect(agrees(result[1]["s"], 1.0, 5))
    }

    @Test func bothBoundsKeepAProbabilityInside() {
        // maximize E[b] for b ~ bernoulli(p) pushes p up to its bound, never past it.
        let session = Session()
        let outcome = run("""
            param p = 0.3, lower = 0, upper = 1
            maximize(E[bernoulli(p)], steps = 2000, lr = 0.5)
            """, session: session)
        #expect(outcome.status == .success)
        let p = session.parameterValues.first { $0.name == "p" }?.value ?? 2
        #expect(p > 0.99 && p < 1)
    }

    @Test func anUpperBoundAlone() {
        // minimize (a − 5)² with a < 2: a approaches 2 from below.
        let session = Session()
        _ = run("param a = 0, upper = 2\nminimize(E[(a - 5)^2], steps = 3000, lr = 0.05)", session: session)
        let a = session.parameterValues.first { $0.name == "a" }?.value ?? 9
        #expect(a < 2 && a > 1.9)
    }

    @Test func boundsApplyToEveryElementOfAVector() {
        let session = Session()
        _ = run("param w[3] = [0.5, 1, 2], lower = 0\nminimize(E[sum(w)], steps = 200, lr = 0.1)", session: session)
        let values = session.parameterValues.map(\.value)
        #expect(values.count == 3)
        #expect(values.allSatisfy { $0 > 0 && $0 < 0.5 })
    }

    @Test func unboundedOptimisationIsUnchanged() {
        // Without bounds the unconstrained space is the parameter itself:
        // SGD's steps are the hand-computed ones (see OptimisationTests).
        let a = lastNumber("param a = 1\nminimize(E[(a - 3)^2], steps = 2, lr = 0.1, optimizer = \"sgd\")\na")
        #expect(abs((a ?? 0) - 1.72) < 1e-12)
    }

    @Test func boundedSGDStepsInLogSpace() {
        // s = exp(u), f = (s − 3)², df/du = 2(s − 3)·s. From s = 1, lr 0.1:
        // u1 = 0 − 0.1·(−4) = 0.4, s1 = e^0.4.
        let s = lastNumber("param s = 1, lower = 0\nminimize(E[(s - 3)^2], steps = 1, lr = 0.1, optimizer = \"sgd\")\ns")
        #expect(abs((s ?? 0) - exp(0.4)) < 1e-12)
    }

    @Test func badBoundsAreErrorsAtTheDeclaration() {
        #expect(run("param s = -1, lower = 0").errors == ["1:11: 's' starts at -1, outside its bounds (0, ∞): a bounded parameter starts strictly inside them"])
        #expect(run("param s = 0, lower = 0").errors.first?.contains("outside its bounds (0, ∞)") == true)
        #expect(run("param p = 0.5, lower = 1, upper = 0").errors == ["1:24: the lower bound (1) must be below the upper bound (0)"])
        #expect(run("param p = 0.5, lower = 1, upper = 1").errors.first?.contains("must be below the upper bound") == true)
        #expect(run("param p = 0.5, lowr = 1").errors == ["1:16: a parameter takes 'lower' and 'upper' bounds, not 'lowr'"])
        #expect(run("param p = 0.5, lower = 0, lower = 1").errors == ["1:27: 'lower' is given twice"])
        #expect(run("param p = 0.5, lower = \"a\"").status == .runtimeError)
        #expect(run("param p = 0.5, lower = -1e308, upper = 1e308").errors.first?.contains("too far apart") == true)
        #expect(run("param s = 1e308 * 10").errors.first?.contains("too large to represent") == true)
        // Bounds 1e200 apart: the slope must not overflow.
        #expect(abs(ParameterBounds(lower: -1e200, upper: 1e200).slope(at: 1) - 5e199) < 1e186)
        #expect(run("param p = 0.5, lower = normal(0, 1)").status == .runtimeError)
    }

    @Test func aFileRefusesASecondDeclarationAndASessionTakesIt() {
        #expect(run("param mu = 1\nparam mu = 2").errors == ["2:7: parameter 'mu' is already declared at line 1"])
        var settings = Settings()
        settings.parametersCanBeRedeclared = true
        let session = Session(settings: settings)
        _ = run("param s = 0.5, lower = 0\nx = normal(0, s)", session: session)
        // A cell run again: new value and bounds, and what was traced from it follows.
        let again = run("param s = 2, lower = 1\nE[x^2 * 0 + s]", session: session)
        #expect(again.errors == [])
        #expect(again.lines == ["2 ± 0"])
        #expect(session.parameterDetails.count == 1)
        #expect(session.parameterDetails.first?.bounds == ParameterBounds(lower: 1))
        // Another shape is refused: what was traced from the old elements would keep them.
        let vector = run("param s[2] = 0.1", session: session)
        #expect(vector.errors.first?.contains("with another shape") == true)
        #expect(session.parameterDetails.map(\.name) == ["s"])
    }

    @Test func transformsRoundTrip() {
        let cases: [(ParameterBounds, Double)] = [
            (ParameterBounds(), -3), (ParameterBounds(lower: 0), 0.25), (ParameterBounds(lower: -2), 7),
            (ParameterBounds(upper: 1), -4), (ParameterBounds(lower: 0, upper: 1), 0.3),
            (ParameterBounds(lower: -1, upper: 3), 2.5),
        ]
        for (bounds, value) in cases {
            let u = bounds.unconstrained(value)
            #expect(abs(bounds.constrained(u) - value) < 1e-12)
            // The slope is d value / d u: compare with a central difference.
            let h = 1e-6
            let numeric = (bounds.constrained(u + h) - bounds.constrained(u - h)) / (2 * h)
            #expect(abs(bounds.slope(at: value) - numeric) < 1e-6)
        }
        // Far out in u, the value stays strictly inside.
        #expect(ParameterBounds(lower: 0).constrained(-1000) > 0)
        #expect(ParameterBounds(lower: 0, upper: 1).constrained(1000) < 1)
    }
}
