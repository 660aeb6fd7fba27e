import Foundation
import Testing

/// Makes sure a child that ignores SIGINT cannot hang the test run.
func killIfStillRunning(_ process: Process, after seconds: Double) {
    let pid = process.processIdentifier
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
        if process.isRunning { kill(pid, SIGKILL) }
    }
}

/// Runs `wiggle` with arguments, sends it SIGINT after `delay` seconds (and
/// SIGKILL if it is still running 20 s later), and returns what it did.
func interrupted(_ arguments: [String], after delay: Double) throws -> ProcessOutcome {
    let process = Process()
    process.executableURL = wiggleBinary
    process.arguments = arguments
    let stdout = Pipe(), stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    Thread.sleep(forTimeInterval: delay)
    kill(process.processIdentifier, SIGINT)
    killIfStillRunning(process, after: 20)
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let errors = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutcome(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
                          stderr: String(decoding: errors, as: UTF8.self))
}

@Suite(.serialized) struct InterruptTests {
    /// Ctrl-C (SIGINT) during an optimisation stops it after the current step,
    /// shows where it stopped, and `wiggle run` exits 130.
    @Test func sigintStopsAnOptimisation() throws {
        let path = try temporaryProgram("""
            param mu = 0
            x = normal(mu, 1)
            minimize(E[(x - 3)^2], steps = 10000000, lr = 0.001)
            print("not reached")
            """)
        let outcome = try interrupted(["run", path, "--json"], after: 1.5)
        #expect(outcome.status == 130)
        let objects = try jsonLines(outcome.stdout)
        let optimisation = objects.first { $0["kind"] as? String == "optimisation" }
        #expect(optimisation?["interrupted"] as? Bool == true)
        let steps = optimisation?["steps"] as? Int ?? 0
        #expect(steps > 0 && steps < 10_000_000)
        let mu = (optimisation?["parameters"] as? [String: Double])?["mu"] ?? 0
        #expect(mu > 0, "the parameters keep the values reached")
        #expect(!objects.contains { $0["kind"] as? String == "print" })
        #expect(outcome.stderr.contains("interrupted by Ctrl-C"))
    }

    @Test func sigintStopsALongLoop() throws {
        let path = try temporaryProgram("n = 0\nwhile true { n = n + 1 }\n")
        let outcome = try interrupted(["run", path], after: 1)
        #expect(outcome.status == 130)
        #expect(outcome.stderr.contains(":2:1: error: interrupted by Ctrl-C"))
    }

    @Test func optimisationAsJSON() throws {
        let path = try temporaryProgram("param a = 1\nminimize(E[(a - 3)^2], steps = 250, lr = 0.1)\n")
        let outcome = try wiggle(["run", path, "--json"])
        #expect(outcome.status == 0)
        #expect(outcome.stderr == "", "no progress bar on a pipe")
        let objects = try jsonLines(outcome.stdout)
        #expect(objects.count == 1)
        let result = objects[0]
        #expect(result["kind"] as? String == "optimisation")
        #expect(result["steps"] as? Int == 250)
        #expect(result["interrupted"] as? Bool == false)
        #expect(abs(((result["parameters"] as? [String: Double])?["a"] ?? 0) - 3) < 1e-2)
        let trajectory = result["trajectory"] as? [[Double]] ?? []
        #expect(trajectory.count <= 101 && trajectory.count >= 50)
        #expect(trajectory.first?.first == 1)
        #expect(trajectory.last?.first == 250)
        let plain = try wiggle(["run", path])
        #expect(plain.stdout.contains("minimize: 250 steps (adam, lr 0.1)"))
        #expect(plain.stdout.contains("a = "))
        #expect(plain.stderr == "")
    }
}

@Suite struct PipeTests {
    /// `wiggle run f.wgl | head -1` exits quietly: no error storm on a closed pipe.
    @Test func closedPipeIsQuiet() throws {
        let path = try temporaryProgram("for i in 0..200000 { print(i) }\n")
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("wiggle-pipe-\(UUID().uuidString)").path
        let outcome = try runShell("'\(wiggleBinary.path)' run '\(path)' 2>'\(errors)' | head -1")
        #expect(outcome.stdout == "0\n")
        let stderr = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "missing"
        #expect(stderr == "")
    }
}

/// Runs a shell command line and returns its output.
func runShell(_ command: String) throws -> ProcessOutcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let stdout = Pipe()
    process.standardOutput = stdout
    try process.run()
    let data = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutcome(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: "")
}
