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

    /// A statistic of the same list met again is taken whole from the
    /// interpreter's cache, not rebuilt node by node: the draws after it
    /// must be the ones they would be had it been rebuilt (the stream key
    /// counts the appends a rebuild makes, not the constants it would find
    /// already there). `sum(ys) * 0.025` rebuilds `mean(ys)` of 40 elements
    /// (39 shared adds, one shared product with the same constant), so both
    /// programs draw `z` from the same stream.
    @Test func aCachedStatisticKeepsTheDrawsAfterIt() {
        func program(_ second: String) -> String {
            """
            set(seed = 3, particles = 2000)
            param mu = 0.5
            ys = [normal(mu, 1) for i in 0..40]
            a = mean(ys)
            s = std(ys)
            b = \(second)
            t = std(ys)
            z = normal(b, t)
            grad(E[z^2 + a])
            E[z]
            """
        }
        let cached = run(program("mean(ys)"))
        let rebuilt = run(program("sum(ys) * 0.025"))
        #expect(cached.errors.isEmpty && rebuilt.errors.isEmpty)
        #expect(cached.text == rebuilt.text)
        #expect(cached.text.contains("mu:"))
    }

    /// x·1, x/1, x^1, x − 0 are x: no node; the append is still counted, so
    /// the draws after it are those of a program whose op made a node
    /// (`x / 2` in the second program, unused in both).
    @Test func identitiesMakeNoNodeAndKeepTheDraws() {
        let text = run("""
            param mu = 0
            x = normal(mu, 1)
            explain(x / 1 + (x * 1) ^ 1 - 0 + 1 * x)
            """).text
        #expect(!text.contains("div") && !text.contains("mul") && !text.contains("pow") && !text.contains("sub"))
        func program(_ unused: String) -> String {
            """
            set(seed = 9, particles = 3000)
            param mu = 0.2
            x = normal(mu, 1)
            y = \(unused)
            z = normal(mu, 2)
            E[z]
            grad(E[z * x])
            """
        }
        let identity = run(program("x / 1"))
        let node = run(program("x / 2"))
        #expect(identity.errors.isEmpty && identity.text == node.text)
    }

    /// `dot`, `logsumexp`, `softmax` and `matvec` of the same traced
    /// arguments are taken from the same cache, keeping the draws after them
    /// (the explicit sum of products makes the appends `dot` would).
    @Test func aCachedListFunctionKeepsTheDrawsAfterIt() {
        func program(_ second: String) -> String {
            """
            set(seed = 4, particles = 2000)
            param w[3] = [0.1, -0.2, 0.3]
            xs = [0.5, 2, 3]
            a = dot(w, xs)
            l = logsumexp(w)
            b = \(second)
            m = logsumexp(w)
            z = normal(b + m, 1)
            grad(E[z^2 + a + l])
            """
        }
        let cached = run(program("dot(w, xs)"))
        let rebuilt = run(program("w[0] * 0.5 + w[1] * 2 + w[2] * 3"))
        #expect(cached.errors.isEmpty && rebuilt.errors.isEmpty)
        #expect(cached.text == rebuilt.text)
        #expect(cached.text.contains("w[0]:"))
    }
}

