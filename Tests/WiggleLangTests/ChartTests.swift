import Foundation
import Testing
import WiggleLang
import WiggleSyntax

/// Charts that read: loss curves on the scale their values need, with three
/// labelled heights and the last estimate's band; histograms with round or
/// whole-number bins, also of data.
@Suite struct ChartTests {
    /// The lines of the loss curve of a program's one optimisation.
    func curve(_ program: String) -> [String] {
        let lines = run(program).lines.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        return lines.filter { $0.contains("┤") || $0.contains("│") || $0.contains("step 1 …") }
    }

    @Test func aLossOverManyDecadesIsOnALogScale() {
        let lines = curve("""
            set(seed = 2, particles = 500)
            param m = 20
            x = normal(m, 1)
            minimize(E[(x - 3)^2 + 0.001], steps = 200, lr = 0.3)
            """)
        #expect(lines.last?.hasSuffix("step 1 … 200  (log scale)") == true)
        #expect(lines.filter { $0.contains("┤") }.count >= 3, "three labelled heights: \(lines)")
        // The last estimate's band, on the bottom row where the loss ends.
        #expect(lines.contains { $0.contains(" ┃ last ") && $0.contains(" ± ") })
        // The labels are the values, not their logarithms: the top one is
        // the first step's loss (about (20 - 3)² + 1).
        let top = lines.first?.split(separator: "┤").first?.trimmingCharacters(in: .whitespaces) ?? ""
        #expect((Double(top) ?? 0) > 200)
    }

    @Test func aNarrowLossStaysLinear() {
        let lines = curve("""
            set(seed = 2, particles = 2000)
            param m = 2
            x = normal(m, 1)
            minimize(E[(x - 3)^2], steps = 50, lr = 0.05)
            """)
        #expect(lines.last?.hasSuffix("step 1 … 50") == true)
        #expect(lines.filter { $0.contains("┤") }.count >= 3)
    }

    /// An objective that changes sign and spans decades (an ELBO from a bad
    /// start) gets a symmetric log scale.
    @Test func aLossThatChangesSignGetsASymmetricLogScale() {
        let lines = curve("""
            set(seed = 2, particles = 500)
            param a = -30
            y = normal(a, 0.1)
            maximize(E[-(y - 0.5)^2 + 2 * y], steps = 100, lr = 1)
            """)
        #expect(lines.last?.hasSuffix("(symmetric log scale)") == true)
    }

    /// A coin shows two bars, not 20 bins mostly empty.
    @Test func wholeNumberValuesGetWholeNumberBins() {
        let text = run("""
            set(seed = 3, particles = 4000)
            b = bernoulli(0.3)
            hist(b)
            """).text
        let bars = text.split(separator: "\n").dropFirst()
        #expect(bars.count == 2, "\(text)")
        #expect(bars.first?.hasPrefix("  0 │") == true)
        #expect(bars.last?.hasPrefix("  1 │") == true)
    }

    /// Bins of a round width, labels to the places the width needs.
    @Test func binEdgesAreRound() {
        let text = run("""
            set(seed = 3, particles = 4000)
            x = normal(0, 1)
            hist(x, bins = 10)
            """).text
        let labels = text.split(separator: "\n").dropFirst().map { $0.split(separator: "│")[0].trimmingCharacters(in: .whitespaces) }
        #expect(labels.count >= 6 && labels.count <= 14, "\(text)")
        for label in labels {
            // Multiples of 0.5 or 1, to one place at most.
            let value = Double(label) ?? .nan
            #expect(abs(value * 2 - (value * 2).rounded()) < 1e-9, "label \(label)")
            #expect(label.split(separator: ".").dropFirst().first.map { $0.count <= 1 } ?? true, "label \(label)")
        }
    }

    @Test func histOfData() {
        let text = run("hist([1, 2, 2, 3, 3, 3, 10])\nhist([0.1, 0.25, 0.3, 0.7])").text
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "mean 3.4 ± 1.1  sd 2.99205  (7 values)")
        #expect(lines.contains("   3 │████████████████████████████████████████  3"))
        #expect(lines.contains("  10 │█████████████▎                            1"))
        // 0.25 and 0.3 fall in their own bins, not a hair below.
        #expect(lines.contains { $0.hasPrefix("  0.25 │") && $0.hasSuffix(" 1") })
        #expect(lines.contains { $0.hasPrefix("  0.30 │") && $0.hasSuffix(" 1") })
        #expect(run("hist([])").errors == ["1:6: hist of an empty list"])
        #expect(run("hist([1, \"a\"])").errors.first?.hasPrefix("1:6: each element given to hist") == true)
    }

    @Test func minimizeWithNothingToChangeIsAnError() {
        #expect(run("x = normal(0, 1)\nminimize(E[x^2], steps = 3)").errors
                == ["2:12: minimize has nothing to change: no parameter reaches this objective (declare one with param)"])
        #expect(run("param a = 1\nx = normal(0, 1)\nmaximize(E[-x^2])").errors
                == ["3:12: maximize has nothing to change: no parameter reaches this objective ('a' does not reach it)"])
    }
}

/// JSON that carries meaning.
@Suite struct JSONMeaningTests {
    func jsonLines(_ program: String) -> [String] {
        let lines = LineCollector()
        _ = Session().run(SourceFile(name: "test.wgl", text: program)) { output in
            lines.lines.append(contentsOf: Display.jsonLines(output))
        }
        return lines.lines
    }

    @Test func objectsCarryTheirExpressionAndName() {
        let lines = jsonLines("""
            set(seed = 4, particles = 200)
            param m = 0
            x = normal(m, 1)
            E[x] * 2
            [E[x], 3]
            fit = minimize(E[(x - 1)^2], steps = 2)
            g = grad(E[x])
            """)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("{\"line\":4,\"kind\":\"expectation\",\"expr\":\"E[x] * 2\",\"value\":"))
        #expect(lines[1].hasPrefix("{\"line\":5,\"kind\":\"list\",\"expr\":\"[E[x], 3]\",\"value\":[{\"value\":"))
        #expect(lines[1].contains("\"stderr\":0.0"))
        #expect(lines[2].hasPrefix("{\"line\":6,\"kind\":\"optimisation\",\"expr\":\"minimize(E[(x - 1)^2], steps = 2)\",\"name\":\"fit\","))
        #expect(lines[2].contains("\"trajectory\":[[1,"))
    }
}
