import CSupport
import Foundation
import Testing

/// Drives `wiggle` on a pseudo-terminal, as a person at a keyboard would.
final class Terminal {
    let pid: pid_t
    let master: Int32
    private(set) var screen = ""

    init(environment: [String: String]) throws {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = [strdup(wiggleBinary.path), nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var master: Int32 = -1
        pid = pid_t(wiggle_spawn_on_pty(wiggleBinary.path, argv, envp, &master))
        self.master = master
        guard pid > 0, master >= 0 else { throw CocoaError(.executableLoad) }
    }

    /// Reads what the program writes until `text` has appeared after `start`
    /// (or the timeout passes); returns whether it appeared.
    @discardableResult
    func waitFor(_ text: String, after start: String.Index? = nil, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let from = start ?? screen.startIndex
            if screen[from...].contains(text) { return true }
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, 100) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(master, &buffer, buffer.count)
                if count <= 0 { break }
                screen += String(decoding: buffer[0..<count], as: UTF8.self)
            }
        }
        return screen[(start ?? screen.startIndex)...].contains(text)
    }

    /// Types text (a key at a time is not needed: the terminal buffers it).
    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count) }
    }

    /// Where the screen ends now, to wait for output that comes after it.
    var mark: String.Index { screen.endIndex }

    /// Waits for the program to exit; its status, or nil if it did not.
    func exitStatus(timeout: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            _ = waitFor("\u{0}", timeout: 0.1)
            if waitpid(pid, &status, WNOHANG) == pid { return (status >> 8) & 0xFF }
        }
        kill(pid, SIGKILL)
        return nil
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(master)
    }
}

@Suite(.serialized) struct REPLTests {
    func historyFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("wiggle-history-\(UUID().uuidString)").path
    }

    @Test func aSessionAtTheTerminal() throws {
        let history = historyFile()
        let terminal = try Terminal(environment: ["WIGGLE_HISTORY": history, "TERM": "dumb"])
        #expect(terminal.waitFor("wiggle> "))

        // A function typed over three lines: the parser asks for more.
        var mark = terminal.mark
        terminal.type("fn double(a) {\n")
        #expect(terminal.waitFor("   ...> ", after: mark))
        terminal.type("  return a * 2\n")
        terminal.type("}\n")
        #expect(terminal.waitFor("wiggle> ", after: mark))

        // An error keeps everything defined before it.
        mark = terminal.mark
        terminal.type("y = nope\n")
        #expect(terminal.waitFor("<repl>:4:5: error: unknown name 'nope'", after: mark))
        mark = terminal.mark
        terminal.type("double(21)\n")
        #expect(terminal.waitFor("42", after: mark))

        // Ctrl-C during a long optimisation returns to the prompt, parameters kept.
        terminal.type("param m = 0\n")
        terminal.type("x = normal(m, 1)\n")
        mark = terminal.mark
        terminal.type("minimize(E[(x - 3)^2], steps = 10000000, lr = 0.001)\n")
        Thread.sleep(forTimeInterval: 1.5)
        terminal.type("\u{03}")
        #expect(terminal.waitFor("stopped by Ctrl-C at step", after: mark))
        #expect(terminal.waitFor("wiggle> ", after: mark))
        #expect(!terminal.screen[mark...].contains("error"), "one line, not also an error: \(terminal.screen[mark...])")
        mark = terminal.mark
        terminal.type(":params\n")
        #expect(terminal.waitFor("m = ", after: mark))
        #expect(terminal.waitFor("wiggle> ", after: mark))

        // Ctrl-C at the prompt clears the line.
        terminal.type("this is not wiggle")
        Thread.sleep(forTimeInterval: 0.3)
        terminal.type("\u{03}")
        Thread.sleep(forTimeInterval: 0.3)
        mark = terminal.mark
        terminal.type("double(2) + 1\n")
        #expect(terminal.waitFor("5\r\nwiggle> ", after: mark))

        // Ctrl-D on an empty line leaves cleanly.
        terminal.type("\u{04}")
        #expect(terminal.exitStatus() == 0, "\(terminal.screen)")

        // History: one entry per complete statement, multi-line ones whole.
        let saved = try String(contentsOfFile: history, encoding: .utf8)
        #expect(saved.contains("fn double(a) {\n  return a * 2\n}\n"))
        #expect(saved.contains("double(21)\n"))
        #expect(saved.contains(":params\n"))
        #expect(!saved.contains("this is not wiggle"))
    }

    @Test func historyCarriesAcrossSessions() throws {
        let history = historyFile()
        do {
            let first = try Terminal(environment: ["WIGGLE_HISTORY": history, "TERM": "dumb"])
            #expect(first.waitFor("wiggle> "))
            first.type("6 * 7\n")
            #expect(first.waitFor("42\r\nwiggle> "))
            first.type("\u{04}")
            #expect(first.exitStatus() == 0)
        }
        let second = try Terminal(environment: ["WIGGLE_HISTORY": history, "TERM": "dumb"])
        #expect(second.waitFor("wiggle> "))
        let mark = second.mark
        // C-p recalls the previous entry of the last session.
        second.type("\u{10}\n")
        #expect(second.waitFor("42\r\nwiggle> ", after: mark), "\(second.screen)")
        second.type("\u{04}")
        #expect(second.exitStatus() == 0)
    }

    @Test func commands() throws {
        let terminal = try Terminal(environment: ["WIGGLE_HISTORY": historyFile(), "TERM": "dumb"])
        #expect(terminal.waitFor("wiggle> "))
        var mark = terminal.mark
        terminal.type(":help\n")
        #expect(terminal.waitFor(":explain EXPR", after: mark))
        let file = try temporaryProgram("loaded = 40\nfn add2(v) = v + 2\n")
        mark = terminal.mark
        terminal.type(":load \(file)\n")
        terminal.type("add2(loaded)\n")
        #expect(terminal.waitFor("42", after: mark))
        mark = terminal.mark
        terminal.type(":set seed 3\n:set particles 500\nx = normal(0, 1)\n:explain x^2\n")
        #expect(terminal.waitFor("x = normal[pathwise] 0 1", after: mark))
        mark = terminal.mark
        terminal.type(":set\n")
        #expect(terminal.waitFor("seed = 3, particles = 500, threads = ", after: mark))
        mark = terminal.mark
        terminal.type(":set sampling antithetc\n:set sampling antithetic\n:set\n")
        #expect(terminal.waitFor("did you mean \"antithetic\"?", after: mark))
        #expect(terminal.waitFor("loop_limit = 1000, sampling = \"antithetic\"", after: mark))
        terminal.type(":set sampling iid\n")
        mark = terminal.mark
        terminal.type(":reset\nloaded\n")
        #expect(terminal.waitFor("settings kept: seed = 3, particles = 500", after: mark))
        #expect(terminal.waitFor("unknown name 'loaded'", after: mark))
        // Tab completes a file name after :load.
        let completed = try temporaryProgram("from_completion = 6 * 7\n", name: "completion_target.wgl")
        mark = terminal.mark
        terminal.type(":load \(completed.dropLast("target.wgl".count))\t\n")
        terminal.type("from_completion\n")
        #expect(terminal.waitFor("42", after: mark), "\(terminal.screen[mark...])")
        // `else` may start the line after the `}` of an if.
        mark = terminal.mark
        terminal.type("n = 5\nif n > 3 {\n  k = 1\n}\n")
        #expect(terminal.waitFor("   ...> ", after: mark))
        terminal.type("else {\n  k = 2\n}\nk * 10\n")
        #expect(terminal.waitFor("10\r\n", after: mark))
        mark = terminal.mark
        terminal.type("if n < 3 { k = 7 }\nk + 1\n")
        #expect(terminal.waitFor("2\r\n", after: mark))

        // Tab completes names and builtins.
        mark = terminal.mark
        terminal.type("su\t([1, 2, 39])\n")
        #expect(terminal.waitFor("42", after: mark))
        // A parameter declared again takes its new value and bounds; :params shows them.
        mark = terminal.mark
        terminal.type("param s = 0.5, lower = 0\nparam s = 0.25, lower = 0, upper = 1\n:params\n")
        #expect(terminal.waitFor("s = 0.25   in (0, 1)", after: mark), "\(terminal.screen[mark...])")
        mark = terminal.mark
        terminal.type(":frobnicate\n")
        #expect(terminal.waitFor("unknown command :frobnicate", after: mark))
        terminal.type(":quit\n")
        #expect(terminal.exitStatus() == 0)
    }

    @Test func pipedInputRunsAsAScript() throws {
        let outcome = try wiggle([], input: "fn f(a) {\n  return a + 1\n}\nf(41)\nprint(\"done\")\n")
        #expect(outcome.status == 0)
        #expect(outcome.stdout == "42\ndone\n")
        #expect(!outcome.stdout.contains("wiggle>"), "no prompt on a pipe")
        let failing = try wiggle([], input: "x = 1\ny = x + nope\nx\n")
        #expect(failing.status == 70)
        #expect(failing.stderr.hasPrefix("<stdin>:2:9: error: unknown name 'nope'"))
    }
}
