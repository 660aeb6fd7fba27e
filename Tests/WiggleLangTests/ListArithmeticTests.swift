import Foundation
import Testing
import WiggleLang

/// Arithmetic on lists element by element, as NumPy's; one-number builtins
/// mapped over lists; `concat` to join.
@Suite struct ListArithmeticTests {
    func lines(_ program: String) -> [String] { run(program).lines }

    @Test func numbersPairElementByElement() {
        #expect(lines("sum(exp([1, 2, 3]) * 2)") == ["60.3857"])
        #expect(lines("[1, 2] + [3, 4]\n[6, 8] / [2, 4]\n[2, 3] ^ 2\n-[1, 2]\n2 ^ [1, 2, 3]") ==
                ["[4, 6]", "[3, 2]", "[4, 9]", "[-1, -2]", "[2, 4, 8]"])
        #expect(lines("[true, false] + 1") == ["[2, 1]"])
        #expect(lines("[[1, 2], [3, 4]] - [[1, 1], [1, 1]]") == ["[[0, 1], [2, 3]]"])
        #expect(lines("xs = [1, 2]\nxs += [10, 10]\nxs") == ["[11, 12]"])
        #expect(lines("log([1, 1])\nfloor([1.5, -1.5])\nabs([[-1], [2]])") == ["[0, 0]", "[1, -2]", "[[1], [2]]"])
        #expect(lines("concat([1], [], [2, 3])") == ["[1, 2, 3]"])
    }

    @Test func randomValuesInListsAreTraced() {
        // E[sum(exp([x, 2x]))] for x ~ normal(0, 1) is e^{1/2} + e^{2}.
        let estimate = expectations("set(seed = 3, particles = 100000)\nx = normal(0, 1)\nE[sum(exp([x, 2 * x]))]")
        #expect(estimate.count == 1)
        if let e = estimate.first { #expect(agrees(e, exp(0.5) + exp(2.0), 5)) }
        // A parameter vector times a list of numbers: d/dw_i E[sum(w * c)] = c_i.
        let result = gradients("param w[3] = 0.5\nc = [1, -2, 3]\nx = normal(0, 1)\ngrad(E[sum(w * c) + x])")
        #expect(result.count == 1)
        if let g = result.first {
            #expect(g["w[0]"].value == 1)
            #expect(g["w[1]"].value == -2)
            #expect(g["w[2]"].value == 3)
        }
        // Random values and a number; comparisons give traced booleans.
        let share = expectations("set(seed = 4, particles = 100000)\nx = normal(0, 1)\nE[sum([x, -x] > 0)]")
        if let e = share.first { #expect(abs(e.value - 1) < 1e-12) }   // exactly one of x > 0, −x > 0 (x ≠ 0)
    }

    @Test func estimatesCarryTheirErrors() {
        let values = displayedValues("e = E[1]\n[e, e] * 2")
        #expect(values.map(Display.plain) == ["[2 ± 0, 2 ± 0]"])
    }

    @Test func mismatchesAreErrorsNamingBothLengths() {
        #expect(run("[1, 2] + [3]").errors ==
                ["1:1: '+' works element by element on lists of equal length, got 2 elements and 1 element; to join two lists, write concat(a, b)"])
        #expect(run("[1, 2] * [3]").errors ==
                ["1:1: '*' works element by element on lists of equal length, got 2 elements and 1 element"])
        #expect(run("[[1, 2], 3] * [1, 2]").errors.first?.contains("lists of different shapes") == true)
        #expect(run("[1] + \"a\"").errors == ["1:1: cannot add a list and a string"])
        #expect(run("concat([1], 2)").errors == ["1:13: concat joins lists, got a number"])
    }

    @Test func equalityComparesWholeLists() {
        #expect(lines("[1, 2] == [1, 2]\n[1, 2] == [1, 3]\n[1] == [1, 1]\n[1, 2] != [2, 1]") == ["true", "false", "false", "true"])
        #expect(lines("if [0, 0] == [0, 0] { print(\"same\") }") == ["same"])
    }
}
