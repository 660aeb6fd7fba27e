import Foundation
import Testing

@Suite(.serialized) struct CommandTests {
    @Test func everyDeterministicConstructPlain() throws {
        let path = try temporaryProgram(everyConstruct)
        let outcome = try wiggle(["run", path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr == "")
        #expect(outcome.stdout == """
            -4
            512
            17
            2
            [0, 1, 9, 16]
            17
            true
            "tab\\there \\"quoted\\" back\\\\slash"
            [1, 0, 3, 1, 0, 1, 0, 0.5, 1, 2]
            [true, 2, 5, 3, 2, 1]
            3.5
            4 ± 0
            n is 0.625

            """)
    }

    @Test func everyDeterministicConstructJSON() throws {
        let path = try temporaryProgram(everyConstruct)
        let outcome = try wiggle(["run", path, "--json"])
        #expect(outcome.status == 0)
        let objects = try jsonLines(outcome.stdout)
        #expect(objects.count == 13)
        #expect(objects[0]["kind"] as? String == "number")
        #expect(objects[0]["value"] as? Double == -4)
        #expect(objects[0]["line"] as? Int == 15)
        #expect(objects[4]["kind"] as? String == "list")
        #expect(objects[4]["value"] as? [Double] == [0, 1, 9, 16])
        #expect(objects[6]["kind"] as? String == "boolean")
        #expect(objects[6]["value"] as? Bool == true)
        #expect(objects[7]["kind"] as? String == "string")
        #expect(objects[7]["value"] as? String == "tab\there \"quoted\" back\\slash")
        #expect(objects[11]["kind"] as? String == "expectation")
        #expect(objects[11]["value"] as? Double == 4)
        #expect(objects[11]["stderr"] as? Double == 0)
        #expect(objects[12]["kind"] as? String == "print")
        #expect(objects[12]["value"] as? String == "n is 0.625")
    }

    @Test func threeSyntaxErrorsAreAllReported() throws {
        let path = try temporaryProgram("x = 1 +* 2\ny = 3\nfn f(a b) = a\nz = [1, 2\nw = 4\n", name: "three.wgl")
        let outcome = try wiggle(["run", path])
        #expect(outcome.status == 65)
        #expect(outcome.stdout == "")
        let headings = outcome.stderr.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(headings.count == 3)
        #expect(headings[0].hasSuffix("three.wgl:1:8: error: expected an expression, found '*'"))
        #expect(headings[1].hasSuffix("three.wgl:3:8: error: expected ')' to close the '(' at line 3, found 'b'"))
        #expect(headings[2].hasSuffix("three.wgl:5:1: error: expected ']' to close the '[' at line 4, found 'w'"))
        // Each heading is followed by the source line and a caret.
        #expect(outcome.stderr.contains("x = 1 +* 2\n       ^\n"))
        #expect(!outcome.stderr.contains("\u{1B}["), "no colour on a pipe")
    }

    @Test func syntaxErrorsAsJSON() throws {
        let path = try temporaryProgram("x = (1 +\n")
        let outcome = try wiggle(["run", path, "--json"])
        #expect(outcome.status == 65)
        let objects = try jsonLines(outcome.stdout)
        #expect(objects.count == 1)
        #expect(objects[0]["kind"] as? String == "error")
        #expect(objects[0]["line"] as? Int == 1)
        #expect(objects[0]["column"] as? Int == 9)
        #expect((objects[0]["message"] as? String)?.contains("found end of input") == true)
    }

    @Test func runtimeErrorExits70AfterEarlierOutput() throws {
        let path = try temporaryProgram("1 + 1\nxs = [1, 2, 3]\nxs[10]\n")
        let outcome = try wiggle(["run", path])
        #expect(outcome.status == 70)
        #expect(outcome.stdout == "2\n")
        #expect(outcome.stderr.hasSuffix(":3:4: error: index 10 is out of range for a list of 3 elements\nxs[10]\n   ^~\n"))
    }

    @Test func checkParsesAndTracesWithoutEstimating() throws {
        let good = try temporaryProgram("print(\"side effect\")\nparam m = 0\nx = normal(m, 1)\nminimize(E[(x - 1)^2], steps = 5000000)\n")
        let outcome = try wiggle(["check", good])
        #expect(outcome.status == 0)
        #expect(outcome.stdout == "", "check shows nothing")
        let bad = try temporaryProgram("x = )\n")
        #expect(try wiggle(["check", bad]).status == 65)
        let traceError = try temporaryProgram("x = normal(0, 1)\nys = [i for i in 0..3 if x > i]\n")
        let traced = try wiggle(["check", traceError])
        #expect(traced.status == 70)
        #expect(traced.stderr.contains(":2:26: error: a comprehension's condition must be known while tracing"), "\(traced.stderr)")
        let unknown = try temporaryProgram("y = undefined_name\n")
        #expect(try wiggle(["check", unknown]).status == 70)
        // Estimates have a standard error under check too: dividing by it is no error.
        let ratio = try temporaryProgram("x = normal(0, 1)\ne = E[x]\nvalue(e) / stderr(e)\n")
        #expect(try wiggle(["check", ratio]).status == 0)
    }

    /// check --json writes its diagnostics as JSON Lines; estimator warnings
    /// are reported (also for a gradient that is only assigned), exit 0.
    @Test func checkReportsJSONAndWarnings() throws {
        let bad = try temporaryProgram("x = 3 +* 4\n")
        let syntax = try wiggle(["check", "--json", bad])
        #expect(syntax.status == 65)
        #expect(syntax.stdout.hasPrefix("{\"line\":1,\"column\":8,\"kind\":\"error\","))
        #expect(syntax.stdout.contains("\"message\":\"expected an expression, found '*'\""))
        #expect(syntax.stderr.contains(":1:8: error: expected an expression, found '*'"))

        let biased = try temporaryProgram("""
            param k = 0
            param mu = 0
            x = normal(0, 1)
            g = grad(E[x > k])
            y = normal(mu, 1) @pathwise
            h = grad(E[y > 1])
            """ + "\n")
        let text = try wiggle(["check", biased])
        #expect(text.status == 0)
        #expect(text.stdout == "")
        #expect(text.stderr.contains(":4:12: warning: the gradient with respect to 'k' misses a jump"))
        #expect(text.stderr.contains(":5:5: warning: "))
        let json = try wiggle(["check", biased, "--json"])
        #expect(json.status == 0)
        let lines = json.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains("\"kind\":\"warning\"") })
    }

    /// --seed, --particles and --threads win over the program's set(...),
    /// and say so once; set() shows the settings in force.
    @Test func commandLineSettingsOverrideTheProgram() throws {
        let path = try temporaryProgram("set(seed = 1, particles = 2000)\nset(seed = 4)\nx = normal(0, 1)\nE[x]\nset()\n")
        var results: [String] = []
        for seed in 1...3 {
            let outcome = try wiggle(["run", path, "--seed", "\(seed)"])
            #expect(outcome.status == 0)
            results.append(outcome.stdout)
            #expect(outcome.stdout.hasSuffix("set(seed = \(seed), particles = 2000, threads = \(ProcessInfo.processInfo.activeProcessorCount), loop_limit = 1000)\n"))
            #expect(outcome.stderr == "note: --seed \(seed) overrides set(seed = ...) at line 1\n")
        }
        #expect(Set(results).count == 3, "three seeds, three results: \(results)")
        let plain = try wiggle(["run", path])
        #expect(plain.stderr == "")
        #expect(plain.stdout.contains("set(seed = 4, particles = 2000"))
        let particles = try wiggle(["run", path, "--particles", "300", "--json"])
        #expect(particles.stdout.contains("\"value\":\"set(seed = 4, particles = 300"))
        #expect(particles.stderr == "note: --particles 300 overrides set(particles = ...) at line 1\n")
    }

    @Test func usageErrorsExit64() throws {
        #expect(try wiggle(["run"]).status == 64)
        #expect(try wiggle(["frobnicate"]).status == 64)
        #expect(try wiggle(["run", "/nonexistent/file.wgl"]).status == 64)
        #expect(try wiggle(["run", "/tmp"]).status == 64)
        let path = try temporaryProgram("1")
        #expect(try wiggle(["run", path, "--particles", "0"]).status == 64)
        #expect(try wiggle(["run", path, "--seed", "-3"]).status == 64)
    }

    @Test func helpAndVersion() throws {
        let help = try wiggle(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("run"))
        #expect(help.stdout.contains("check"))
        let runHelp = try wiggle(["run", "--help"])
        #expect(runHelp.stdout.contains("--json"))
        #expect(runHelp.stdout.contains("--seed"))
        #expect(runHelp.stdout.contains("--particles"))
        let version = try wiggle(["--version"])
        #expect(version.status == 0)
        let lines = version.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("wiggle ") == true)
        #expect(lines.first?.dropFirst("wiggle ".count).split(separator: ".").count == 3)
        // What the build has: the default traits give all of it.
        #expect(lines.contains("readline: yes (GNU readline)"))
        #expect(lines.contains("kernel: yes (Jupyter, over ZeroMQ)"))
        #expect(lines.contains { $0.hasPrefix("vector math: ") && !$0.hasPrefix("vector math: no") })
        #expect(lines.contains { $0.hasPrefix("MPI: ") })
    }

    @Test func pipedProgramRunsAsAScript() throws {
        let outcome = try wiggle([], input: "x = 2\nx * 21\n")
        #expect(outcome.status == 0)
        #expect(outcome.stdout == "42\n")
        let failing = try wiggle([], input: "x = \n")
        #expect(failing.status == 65)
        #expect(failing.stderr.hasPrefix("<stdin>:1:4: error:"))
    }

    @Test func hostileInputsEndInDiagnostics() throws {
        let deep = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        let nested = try wiggle([], input: "x = " + deep + "\n")
        #expect(nested.status == 65)
        #expect(nested.stderr.contains("nested too deeply"))

        let megabyte = "x = 1" + String(repeating: " + 1", count: 250_000) + "\n"
        let long = try wiggle([], input: megabyte)
        #expect(long.status == 65)
        #expect(long.stderr.contains("too deeply nested"))

        let recursion = try wiggle([], input: "fn f(n) = 1 + f(n + 1)\nf(0)\n")
        #expect(recursion.status == 70)
        #expect(recursion.stderr.contains("more than 2000 calls in progress"))

        let bytes = try wiggle([], input: "x = 1\u{0}\ny = 2\n")
        #expect(bytes.status == 65)
        #expect(bytes.stderr.contains("U+0000"))
        #expect(!bytes.stderr.contains("\u{0}"))

        let empty = try wiggle([], input: "")
        #expect(empty.status == 0)
        #expect(empty.stdout == "")
    }

    @Test func invalidUTF8File() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wiggle-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("bad.wgl")
        try Data([0x78, 0x20, 0x3D, 0x20, 0xFF, 0xFE, 0x0A]).write(to: url)
        let outcome = try wiggle(["run", url.path])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("bad.wgl:1:5: error: invalid UTF-8 byte 0xFF"))
    }

    @Test func theTourRuns() throws {
        let outcome = try wiggle(["run", "examples/tour.wgl"])
        #expect(outcome.status == 0)
        let golden = try String(contentsOf: repositoryRoot.appendingPathComponent("examples/tour.out"), encoding: .utf8)
        #expect(outcome.stdout == golden)
    }

    @Test func seedAndParticlesFlagsAreAccepted() throws {
        let path = try temporaryProgram("1 + 1\n")
        let outcome = try wiggle(["run", path, "--seed", "42", "--particles", "1000"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout == "2\n")
    }
}

@Suite struct LimitFlagTests {
    @Test func limitsHaveFlagsToRaiseThem() throws {
        let recursion = try temporaryProgram("fn f(n) {\n  if n == 0 { return 0 }\n  return 1 + f(n - 1)\n}\nf(3000)\n")
        let tooDeep = try wiggle(["run", recursion])
        #expect(tooDeep.status == 70)
        #expect(tooDeep.stderr.contains("raise the limit with --max-depth"))
        let deeper = try wiggle(["run", recursion, "--max-depth", "5000"])
        #expect(deeper.status == 0)
        #expect(deeper.stdout == "3000\n")

        // Loops that read their variable are traced to their end (one that
        // does not stops being traced once its iterations repeat).
        let graph = try temporaryProgram("h = 0\nfor i in 0..2000 { h = h + normal(0, 1) + 0 * i }\nE[h / 2000]\n")
        let tooBig = try wiggle(["run", graph, "--max-nodes", "1000"])
        #expect(tooBig.status == 70)
        #expect(tooBig.stderr.contains("raise the limit with --max-nodes"))
        #expect(try wiggle(["run", graph, "--particles", "100"]).status == 0)

        let memory = try wiggle(["run", graph, "--max-memory", "1", "--particles", "100"])
        #expect(memory.status == 0, "a 6,000-node graph fits 1 MiB in smaller chunks")
        let wide = try temporaryProgram("h = 0\nfor i in 0..50000 { h = h + normal(0, 1) + 0 * i }\nE[h]\n")
        let overLimit = try wiggle(["run", wide, "--max-memory", "1", "--particles", "10"])
        #expect(overLimit.status == 70)
        #expect(overLimit.stderr.contains("raise it with --max-memory"))
        #expect(try wiggle(["run", graph, "--max-depth", "0"]).status == 64)
    }
}
