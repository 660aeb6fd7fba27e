// Wiggle.swift — the `wiggle` command: run, check, and the REPL.

import ArgumentParser
import CSupport
import Foundation
import WiggleGraph
import WiggleLang
import WiggleSyntax

/// The `wiggle` command line.
@main
struct Wiggle: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "wiggle",
        abstract: "A small probabilistic language that differentiates expectations through random sampling.",
        discussion: """
            With no subcommand, wiggle starts a REPL on a terminal, or runs the
            program on standard input when it is a pipe or a file.

            Exit codes: 0 success, 64 usage error, 65 syntax error, 70 runtime error.
            """,
        version: versionText,
        subcommands: [RunCommand.self, CheckCommand.self, KernelCommand.self]
    )

    /// `wiggle --version`: the version, then what this build has — one
    /// `name: yes|no (...)` line per capability, the vector math's
    /// processor path included.
    static var versionText: String {
        var lines = ["wiggle \(version)"]
        #if Readline
        lines.append("readline: yes (GNU readline)")
        #else
        lines.append("readline: no (built without the Readline trait; a plain line reader)")
        #endif
        #if Kernel
        lines.append("kernel: yes (Jupyter, over ZeroMQ)")
        #else
        lines.append("kernel: no (built without the Kernel trait)")
        #endif
        if VectorMath.isAvailable {
            lines.append("vector math: yes (AVX2 + FMA kernels, SLEEF; in use on this processor)")
        } else if VectorMath.isBuilt {
            lines.append("vector math: built, but this processor lacks AVX2 or FMA (scalar C library functions in use)")
        } else {
            lines.append("vector math: no (built without the VectorMath trait, or not x86-64; scalar C library functions)")
        }
        if ClusterRun.isBuilt {
            lines.append("MPI: yes (Open MPI; `mpirun -n R wiggle run F` gives one process's bits)")
        } else {
            lines.append("MPI: no (built without the MPI trait)")
        }
        return lines.joined(separator: "\n")
    }

    @OptionGroup var options: RunOptions

    mutating func run() throws {
        let session = Session(settings: try options.settings())
        if isatty(STDIN_FILENO) != 0 && !options.json {
            session.settings.parametersCanBeRedeclared = true
            REPL(session: session).run()
            StandardOutput.shared.flush()
            Foundation.exit(0)
        }
        let bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        try runScript(SourceFile(name: "<stdin>", bytes: bytes), in: session, json: options.json)
    }
}

/// Runs a whole program as a script: results to standard output, diagnostics
/// to standard error, Ctrl-C at the next safe point; exits with the status.
func runScript(_ source: SourceFile, in session: Session, json: Bool, plots: URL? = nil) throws {
    // Under mpirun or srun, every rank runs the program; rank 0 writes.
    let rank = ClusterRun.join(program: source.bytes, settings: "\(session.settings)|\(json)")
    interruptible(session)
    let printer = OutputPrinter(json: json)
    printer.plots = (rank ?? 0) == 0 ? plots : nil
    let result = session.run(source, output: printer.emit)
    printer.report(result.diagnostics)
    // Leave without tearing the session down: a program can build long
    // chains of values whose release would recurse on this thread's small stack.
    StandardOutput.shared.flush()
    ClusterRun.exit(result.status.exitCode)
}

/// Options shared by `wiggle`, `wiggle run`.
struct RunOptions: ParsableArguments {
    @Flag(name: .long, help: "Write results as JSON Lines, one object per displayed result.")
    var json = false

    @Option(name: .long, help: "The seed every random stream derives from.")
    var seed: UInt64?

    @Option(name: .long, help: "Particles per estimate (default 10000).")
    var particles: Int?

    @Option(name: .long, help: "Worker threads for the particle engine (default: all cores; results do not depend on it).")
    var threads: Int?

    @Option(name: .customLong("loop-limit"), help: "Iterations a loop of random length may run (default 1000).")
    var loopLimit: Int?

    @Option(name: .long, help: "How particles' numbers are drawn: iid (the default), antithetic (pairs u, 1 − u) or rqmc (scrambled Sobol' points in replicates).")
    var sampling: String?

    @Option(name: .customLong("max-depth"), help: "Calls that may be in progress at once (default 2000).")
    var maxDepth: Int?

    @Option(name: .customLong("max-nodes"), help: "Nodes the traced graph may hold (default 5000000).")
    var maxNodes: Int?

    @Option(name: .customLong("max-memory"), help: "MiB one engine thread's buffers may take (default 1024).")
    var maxMemory: Int?

    func validate() throws {
        if let particles, particles < 1 || particles > Settings.maxParticles {
            throw ValidationError("--particles must be between 1 and \(Settings.maxParticles)")
        }
        if let threads, threads < 1 || threads > 1024 { throw ValidationError("--threads must be between 1 and 1024") }
        if let loopLimit, loopLimit < 1 || loopLimit > Settings.maxLoopLimit {
            throw ValidationError("--loop-limit must be between 1 and \(Settings.maxLoopLimit)")
        }
        // Deeper recursion needs a deeper stack than the interpreter thread has.
        if let maxDepth, maxDepth < 1 || maxDepth > 20_000 { throw ValidationError("--max-depth must be between 1 and 20000") }
        if let maxNodes, maxNodes < 1 || maxNodes > 200_000_000 {
            throw ValidationError("--max-nodes must be between 1 and 200000000")
        }
        if let maxMemory, maxMemory < 1 || maxMemory > 1 << 20 { throw ValidationError("--max-memory must be between 1 and 1048576 (MiB)") }
        if let sampling, case .failure(let error) = Sampling.named(sampling) { throw ValidationError("--sampling: \(error.message)") }
    }

    /// The session settings these options ask for.
    func settings() throws -> Settings {
        var settings = Settings()
        if let seed { settings.seed = seed; settings.fixedByCommandLine.insert("seed") }
        if let particles { settings.particles = particles; settings.fixedByCommandLine.insert("particles") }
        if let threads { settings.threads = threads; settings.fixedByCommandLine.insert("threads") }
        if let loopLimit { settings.loopLimit = loopLimit; settings.fixedByCommandLine.insert("loop_limit") }
        if let sampling, case .success(let chosen) = Sampling.named(sampling) {
            settings.sampling = chosen
            settings.fixedByCommandLine.insert("sampling")
        }
        if let maxDepth { settings.maxCallDepth = maxDepth }
        if let maxNodes { settings.maxGraphNodes = maxNodes }
        if let maxMemory { settings.maxMemoryMB = maxMemory }
        return settings
    }
}

/// `wiggle run FILE`.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Wiggle program, showing the value of every top-level expression."
    )

    @ArgumentParser.Argument(help: "The program to run (a .wgl file).")
    var file: String

    @OptionGroup var options: RunOptions

    @Option(name: .long, help: "Write each chart (hist, minimize's loss curve) as a numbered SVG file in this folder.")
    var plots: String?

    mutating func run() throws {
        let source = try readSource(file)
        var folder: URL?
        if let plots {
            folder = URL(fileURLWithPath: plots)
            do {
                try FileManager.default.createDirectory(at: URL(fileURLWithPath: plots), withIntermediateDirectories: true)
            } catch {
                standardError("wiggle: cannot make the folder '\(plots)': \(error.localizedDescription)\n")
                throw ExitCode(73)
            }
        }
        let session = Session(settings: try options.settings())
        // WIGGLE_UNROLL_LOOPS=1 unrolls loops of random length to their limit
        // (for comparing with the repeating form, which gives the same bits).
        if ProcessInfo.processInfo.environment["WIGGLE_UNROLL_LOOPS"] == "1" { session.repeatsLoops = false }
        // WIGGLE_REVERSE_GRADIENTS=1 sweeps every gradient back, never carrying it forward.
        if ProcessInfo.processInfo.environment["WIGGLE_REVERSE_GRADIENTS"] == "1" { session.forwardGradients = false }
        try runScript(source, in: session, json: options.json, plots: folder)
    }
}

/// `wiggle check FILE`.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Parse and trace a Wiggle program, reporting its errors without estimating anything.",
        discussion: """
            Tracing runs the program with 32 particles per estimate and one step per
            optimisation, and shows nothing: it finds syntax errors (exit 65) and the
            errors of tracing, such as unknown names or a while loop on a random
            condition (exit 70), in a fraction of the time of a run.
            """
    )

    @ArgumentParser.Argument(help: "The program to check (a .wgl file).")
    var file: String

    // The same options as run (so `--json` is not taken by the parent
    // command's, and a seed or limit given to run can be checked with).
    @OptionGroup var options: RunOptions

    mutating func run() throws {
        let json = options.json
        let source = try readSource(file)
        var settings = try options.settings()
        settings.checkWithFewParticles = true
        let session = Session(settings: settings)
        interruptible(session)
        let result = session.run(source) { _ in }
        let printer = OutputPrinter(json: json)
        // Warnings first (they come from statements before any error), then
        // errors; warnings alone leave the exit status 0.
        printer.report(result.warnings + result.diagnostics)
        StandardOutput.shared.flush()
        Foundation.exit(result.status.exitCode)
    }
}

/// The largest program file read.
let maxSourceBytes = 64 << 20

/// Reads a program file, or fails with a usage error (exit 64) saying why.
func readSource(_ path: String) throws -> SourceFile {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        standardError("wiggle: cannot read '\(path)': no such file\n")
        throw ExitCode(64)
    }
    guard !isDirectory.boolValue else {
        standardError("wiggle: cannot read '\(path)': it is a directory\n")
        throw ExitCode(64)
    }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    guard attributes?[.type] as? FileAttributeType == .typeRegular else {
        standardError("wiggle: cannot read '\(path)': not a regular file\n")
        throw ExitCode(64)
    }
    if let size = attributes?[.size] as? Int, size > maxSourceBytes {
        standardError("wiggle: cannot read '\(path)': larger than \(maxSourceBytes >> 20) MiB\n")
        throw ExitCode(64)
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        standardError("wiggle: cannot read '\(path)': permission denied or unreadable\n")
        throw ExitCode(64)
    }
    return SourceFile(name: path, bytes: Array(data))
}

/// Lets Ctrl-C stop the session at its next safe point (a second Ctrl-C exits at once).
func interruptible(_ session: Session) {
    wiggle_install_sigint(1)
    session.shouldStop = { wiggle_sigint_pending() != 0 }
}

/// Writes text to standard error, unbuffered.
func standardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
