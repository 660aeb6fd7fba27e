import Testing
import WiggleLang

/// Shared sub-expressions, seen from a program: computed many times, traced once.
@Suite struct SharedSubexpressionTests {
    @Test func explainShowsASharedNodeOnce() {
        let text = run("""
            param mu = 0
            x = normal(mu, 1)
            a = exp(x) + 1
            b = exp(x) + 1
            explain(a * b)
            """).text
        #expect(text.components(separatedBy: " exp x").count - 1 == 1)
        #expect(text.contains("mul a a"))
    }

    /// `normal(mean(ys), std(ys) + 0.01)` in a comprehension traces mean and
    /// std once, as if hoisted by hand: a graph as small.
    @Test func aComprehensionTracesItsRepeatedPartsOnce() {
        let repeated = run("""
            param mu = 0.5
            ys = [normal(mu, 1) for i in 0..20]
            zs = [normal(mean(ys), std(ys) + 0.01) for i in 0..10]
            explain(sum(zs))
            """).text
        let hoisted = run("""
            param mu = 0.5
            ys = [normal(mu, 1) for i in 0..20]
            m = mean(ys)
            s = std(ys) + 0.01
            zs = [normal(m, s) for i in 0..10]
            explain(sum(zs))
            """).text
        let lines = { (text: String) in text.split(separator: "\n").count }
        #expect(lines(repeated) == lines(hoisted))
    }
}
