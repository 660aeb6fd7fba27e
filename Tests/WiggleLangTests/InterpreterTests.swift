import Testing
import WiggleLang

/// The displayed lines of a program that must run cleanly.
func outputOf(_ program: String) -> [String] {
    let outcome = run(program)
    #expect(outcome.diagnostics.isEmpty, "\(outcome.errors)")
    return outcome.lines
}

/// The first error of a program that must fail, as "line:col: message".
func errorOf(_ program: String) -> String {
    run(program).errors.first ?? "no error"
}

@Suite struct InterpreterTests {
    /// Each run of a session traces with a tracer of its own: a run stopped
    /// by an error deep inside a loop of random length, a call and a traced
    /// if leaves no frame, path condition or annotation for the next run.
    @Test func aRunStoppedMidTraceLeavesNothingBehind() {
        let session = Session()
        let stopped = run("""
            fn f(v) = v + missing
            n = 0
            while bernoulli(0.5) {
              x = normal(0, 1)
              if x > 0 { n = n + f(x) }
            }
            """, session: session)
        #expect(stopped.errors.count == 1)
        let next = run("""
            print(1)
            y = normal(0, 1)
            if y > 0 { w = 1 } else { w = 0 }
            E[w]
            """, session: session)
        #expect(next.errors == [])
        #expect(next.lines.first == "1")
    }

    @Test func arithmeticAndPrecedence() {
        #expect(outputOf("1 + 2 * 3\n-2^2\n2^3^2\n7 / 2\n(1 + 2) * 3\n2^-1\n10 - 4 - 3") ==
                ["7", "-4", "512", "3.5", "9", "0.5", "3"])
    }

    @Test func numbersDisplayReadably() {
        #expect(outputOf("0.1 + 0.2\n1 / 3\n1e20\n-0\n1e-7\n123456789") ==
                ["0.3", "0.333333", "1e+20", "0", "1e-07", "123456789"])
    }

    @Test func booleansCountAsNumbers() {
        #expect(outputOf("1 < 2\n3 + (1 < 2)\ntrue * 5\n(2 > 3) == 0\nnot (1 == 1)") ==
                ["true", "4", "5", "true", "false"])
    }

    @Test func logic() {
        #expect(outputOf("true and false\ntrue or false\nnot true\n1 and 0\n0 or 2") ==
                ["false", "true", "false", "false", "true"])
        // 'and' and 'or' short-circuit: the right side is not evaluated.
        #expect(outputOf("false and undefined_name\ntrue or 1 / 0") == ["false", "true"])
    }

    @Test func stringsAndLists() {
        #expect(outputOf("\"a\" + \"b\"\nconcat([1, 2], [3])\nlen(\"abc\")\n[1, [2, \"x\"]]\n[1, 2] == [1, 2]\n\"q\\\"\"") ==
                ["\"ab\"", "[1, 2, 3]", "3", "[1, [2, \"x\"]]", "true", "\"q\\\"\""])
    }

    @Test func listsIndexingAndComprehensions() {
        // A comprehension has one 'for'; a second one is a syntax error.
        #expect(run("[[i, j] for i in 0..2 for j in [0]]").status == .syntaxError)
        #expect(outputOf("xs = [i * i for i in 0..6]\nxs\nxs[0]; xs[5]; xs[-1]\n[x for x in xs if x > 4]\nlen([])\n0..4\n3..1") ==
                ["[0, 1, 4, 9, 16, 25]", "0", "25", "25", "[9, 16, 25]", "0", "[0, 1, 2, 3]", "[]"])
    }

    @Test func comprehensionVariableDoesNotLeak() {
        #expect(errorOf("ys = [k for k in 0..3]\nk") == "2:1: unknown name 'k'")
    }

    @Test func pythonScoping() {
        let program = """
            h = 1
            for i in 0..3 { h = h * 2 }
            h
            i
            if h > 4 { inner = "set in a block" }
            inner
            fn f(x) {
              h = 100
              return h + x
            }
            f(1)
            h
            """
        #expect(outputOf(program) == ["8", "2", "\"set in a block\"", "101", "8"])
    }

    @Test func functionsClosuresRecursion() {
        let program = """
            fn fib(n) = if_fib(n)
            fn if_fib(n) {
              if n < 2 { return n }
              return fib(n - 1) + fib(n - 2)
            }
            fib(15)
            fn adder(k) {
              fn add(v) = v + k
              return add
            }
            add5 = adder(5)
            add5(10)
            adder(1)(1)
            fn kw(a, b) = a - b
            kw(b = 1, a = 10)
            kw(3, b = 1)
            fn nothing() { x = 1 }
            nothing()
            fn early(n) {
              for i in 0..100 {
                if i == n { return i * 10 }
              }
              return -1
            }
            early(7)
            early(1000)
            """
        #expect(outputOf(program) == ["610", "15", "2", "9", "2", "70", "-1"])
    }

    @Test func whileAndCompoundAssignment() {
        #expect(outputOf("n = 0\nwhile n < 10 { n += 3 }\nn\nn -= 1; n *= 2; n /= 4\nn") == ["12", "5.5"])
    }

    @Test func builtins() {
        let program = """
            exp(0); log(exp(2)); sqrt(16); abs(-2.5); sin(0); cos(0); tanh(0)
            sigmoid(0); softplus(0); floor(-2.5); round(2.5); round(-2.5); min(3, 1, 2); max([4, 9, 2])
            sum([1, 2, 3]); mean([1, 2, 3, 4]); std([2, 4, 4, 4, 5, 5, 7, 9]); std([1, 2, 3], ddof = 1); len([1, 2])
            sum([])
            """
        #expect(outputOf(program) == ["1", "2", "4", "2.5", "0", "1", "0", "0.5", "0.693147", "-3", "3", "-3", "1",
                                      "9", "6", "2.5", "2", "1", "2", "0"])
    }

    @Test func printWritesItsArguments() {
        #expect(outputOf("print(\"x =\", 3, [1, \"a\"], true)\nprint()") == ["x = 3 [1, \"a\"] true", ""])
    }

    @Test func parametersReadAsTheirValues() {
        #expect(outputOf("param mu = 0.5\nparam w[3] = 0.25\nparam v[2] = [1, 2]\nmu * 2\nw\nlen(w)\nv[1]") ==
                ["1", "[0.25, 0.25, 0.25]", "3", "2"])
    }

    @Test func expectationOfADeterministicValueIsExact() {
        #expect(outputOf("x = 3\nE[(x - 1)^2]") == ["4 ± 0"])
    }

    @Test func topLevelDisplayOnlyAtTopLevel() {
        #expect(outputOf("for i in 0..3 { i }\nfn f() { 42 }\nf()\nprint(\"p\")") == ["p"])
    }

    @Test func settings() {
        let session = Session()
        _ = run("set(seed = 7, particles = 500)", session: session)
        #expect(session.settings.seed == 7)
        #expect(session.settings.particles == 500)
    }

    @Test func sessionsKeepStateAcrossRuns() {
        let session = Session()
        #expect(run("x = 2\nfn double(v) = 2 * v", session: session).lines == [])
        #expect(run("double(x) + 1", session: session).lines == ["5"])
        #expect(run("y = undefined", session: session).status == .runtimeError)
        #expect(run("x", session: session).lines == ["2"])
    }

    @Test func runtimeErrorsNameTheValueAndThePlace() {
        #expect(errorOf("[1, 2] + \"a\"") == "1:1: cannot add a list and a string")
        #expect(errorOf("xs = [1, 2, 3]\nxs[10]") == "2:4: index 10 is out of range for a list of 3 elements")
        #expect(errorOf("fn f(a) = a\nf(1, 2, 3)") == "2:1: f expects 1 argument, got 3")
        #expect(errorOf("fn f(a, b) = a\nf(1)") == "2:1: f expects 2 arguments, got 1")
        #expect(errorOf("fn f(a) = a\nf(b = 1)") == "2:3: f has no parameter named 'b'")
        #expect(errorOf("1 / 0") == "1:5: division by zero")
        #expect(errorOf("x = 3\ny = x + foo") == "2:9: unknown name 'foo'")
        #expect(errorOf("mean = 1\nmaen([1])") == "2:1: unknown name 'maen'; did you mean 'mean'?")
        #expect(errorOf("log(-1)") == "1:5: log of a negative number (-1)")
        #expect(errorOf("sqrt(\"a\")") == "1:6: sqrt expects a number, got a string")
        #expect(errorOf("exp(1000)") == "1:1: exp(1000) is too large to represent")
        #expect(errorOf("1e300 * 1e300") == "1:1: the result of 1e+300 * 1e+300 is too large to represent")
        #expect(errorOf("(-8)^(1/3)") == "1:1: cannot raise a negative number (-8) to a fractional power (0.333333)")
        #expect(errorOf("xs = [1]\nxs[0.5]") == "2:4: an index must be a whole number, got 0.5")
        #expect(errorOf("3(1)") == "1:1: cannot call a number; only functions can be called")
        #expect(errorOf("if [1] { }") == "1:4: a condition must be a boolean or a number, got a list")
        #expect(errorOf("for x in 3 { }") == "1:10: cannot loop over a number; use a list or a range a..b")
        #expect(errorOf("0..1.5") == "1:4: the end of a range must be a whole number, got 1.5")
        #expect(errorOf("mean([])") == "1:6: mean of an empty list")
        #expect(errorOf("min(1)") == "1:1: min expects a list or at least 2 numbers, got a number")
        #expect(errorOf("param mu = 1\nparam mu = 2") == "2:7: parameter 'mu' is already declared at line 1")
        #expect(errorOf("param mu = 1\nmu = 2") == "2:1: 'mu' is a parameter; only minimize/maximize change it")
        #expect(errorOf("fn f() { param p = 1 }\nf()") == "1:10: 'param' declares a global parameter; write it at the top level, not inside a function")
        #expect(errorOf("param w[0] = 1") == "1:9: a parameter vector needs at least 1 element, got 0")
        #expect(errorOf("param w[2] = [1, 2, 3]") == "1:14: 'w' has 2 elements but its initial list has 3")
        #expect(errorOf("set(speed = 3)") == "1:5: unknown setting 'speed'; set takes seed, particles, threads, loop_limit, sampling and replicates")
        #expect(errorOf("set(particles = 0)") == "1:17: particles must be between 1 and 100000000, got 0")
        #expect(errorOf("-\"a\"") == "1:1: cannot negate a string")
        #expect(errorOf("\"a\" < \"b\"") == "1:1: cannot compare a string and a string with '<'")
        #expect(errorOf("x += 1") == "1:1: 'x' has no value yet to update with '+='")
        #expect(errorOf("std([1], ddof = 1)") == "1:5: std needs at least 2 elements, got 1")
        #expect(errorOf("len(1, 2)") == "1:1: len expects 1 argument, got 2")
        #expect(errorOf("print(x = 1)") == "1:7: print has no argument named 'x'")
        #expect(errorOf("xs = 0..100000000") == "1:6: the range 0..100000000 has 100000000 elements; lists are limited to 10000000")
    }

    @Test func errorsInsideFunctionsPointIntoTheFunction() {
        let outcome = run("fn f(x) {\n  return x + \"s\"\n}\ny = 1\nf(y)")
        #expect(outcome.errors == ["2:10: cannot add a number and a string"])
        #expect(outcome.exitCode == 70)
    }

    @Test func runawayRecursionIsADiagnostic() {
        let outcome = run("fn f(n) = f(n + 1)\nf(0)")
        #expect(outcome.exitCode == 70)
        #expect(outcome.errors.first?.hasPrefix("1:11: more than 2000 calls in progress at once") == true)
        let mutual = run("fn a(n) { return b(n) }\nfn b(n) { return a(n) }\na(1)")
        #expect(mutual.exitCode == 70)
    }

    @Test func outputBeforeAnErrorIsKept() {
        let outcome = run("1 + 1\nprint(\"before\")\nboom\n3")
        #expect(outcome.lines == ["2", "before"])
        #expect(outcome.errors == ["3:1: unknown name 'boom'"])
    }

    @Test func syntaxErrorsStopBeforeRunning() {
        let outcome = run("print(\"never\")\nx = (1 + 2))\ny = *\nz = 1 2")
        #expect(outcome.lines == [])
        #expect(outcome.exitCode == 65)
        #expect(outcome.errors.count == 3)
    }

}
