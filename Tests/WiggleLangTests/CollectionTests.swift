import Foundation
import Testing
import WiggleLang

/// The graph is collected at safe points: what no value reaches is freed,
/// and nothing a program can see changes (nodes keep their random streams).
@Suite struct CollectionTests {
    static let program = """
        set(seed = 5, particles = 200)
        param mu = 0.1
        param w[3] = 0.5
        xs = [normal(mu, 1) for i in 0..5]
        fn f(v) = v * w[0] + mu
        keep = normal(mu, 2)
        for x in xs {
          for i in 0..20 {
            h = x
            for t in 0..20 { h = normal(0.9 * h + w[1], 0.5) }
            g = grad(E[f(h) * keep])
          }
        }
        g
        E[sum(xs) + keep]
        grad(E[f(keep) + w[2] * xs[4]])
        explain(f(keep))
        n = 0
        while n < 30 {
          y = normal(keep, 1)
          n = n + 1
        }
        E[y - keep]
        """

    @Test func collectingChangesNoResult() {
        var eager = Settings()
        eager.collectionThreshold = 500
        let collected = Session(settings: eager)
        let withCollection = run(CollectionTests.program, session: collected)
        let without = run(CollectionTests.program)
        #expect(withCollection.errors == [])
        #expect(withCollection.lines == without.lines)
        #expect(withCollection.lines.count == 5)
        // About 2,100 draws were traced; a few hundred nodes stay reachable.
        #expect(collected.graphSize < 1_500, "\(collected.graphSize) nodes")
    }

    /// A loop that re-traces a 50-step chain keeps the graph bounded by what
    /// is reachable (before, it grew by the whole chain every iteration).
    @Test func reTracingInALoopStaysBounded() {
        var settings = Settings()
        settings.collectionThreshold = 5_000
        let session = Session(settings: settings)
        let chain = (0..<50).map { _ in "  h = normal(0.9 * h + mu, 0.5)\n" }.joined()
        let outcome = run("""
            set(seed = 1, particles = 100)
            param mu = 0.1
            for i in 0..200 {
              h = 0
            \(chain)  g = grad(E[h * h])
            }
            g
            """, session: session)
        #expect(outcome.errors == [])
        #expect(session.graphSize < 10_000, "\(session.graphSize) nodes after 200 × 50 draws")
    }
}
