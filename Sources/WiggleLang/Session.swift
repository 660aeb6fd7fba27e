// Session.swift — the one entry point: run(source:) for files, REPL lines and tests.

import Foundation
import WiggleGraph
import WiggleSyntax

/// A Wiggle session: bindings, functions, parameters and settings that live
/// across runs (one per file, or one per REPL input).
///
/// Like jlox's `run(source)`, every way in — `wiggle run`, the REPL, tests —
/// goes through ``run(_:output:)``: lex, parse, stop on syntax errors, run.
public final class Session {
    /// How a run ended.
    public enum Status: Sendable, Equatable {
        case success
        /// The input did not parse (exit 65).
        case syntaxError
        /// The input ended too early; a REPL reads another line.
        case incomplete
        /// Running failed (exit 70).
        case runtimeError
        /// Ctrl-C stopped it (exit 130).
        case interrupted

        /// The process exit code for this status.
        public var exitCode: Int32 {
            switch self {
            case .success: return 0
            case .syntaxError, .incomplete: return 65
            case .runtimeError: return 70
            case .interrupted: return 130
            }
        }
    }

    /// The outcome of a run: its status and its diagnostics.
    public struct RunResult {
        /// How the run ended.
        public var status: Status
        /// Every error the run reported, in order.
        public var diagnostics: [Diagnostic]
        /// The estimator warnings of the run's gradients, optimisations and
        /// explanations, each once (their results show them too).
        public var warnings: [Diagnostic] = []
    }

    /// The stack given to the thread that parses and runs programs; deep but
    /// bounded recursion (nesting limits, the call-depth limit) fits in it.
    public static let stackSize = 1 << 30

    let interpreter: Interpreter

    /// Creates a session with the given settings.
    public init(settings: Settings = Settings()) {
        interpreter = Interpreter(settings: settings, file: SourceFile(name: "<none>", text: ""))
    }

    /// The current settings (changed by `set(...)` as programs run).
    public var settings: Settings {
        get { interpreter.settings }
        set { interpreter.settings = newValue }
    }

    /// Asked at safe points (statements, loop iterations, calls, optimiser
    /// steps, groups of particles) whether to stop: Ctrl-C.
    public var shouldStop: (@Sendable () -> Bool)? {
        get { interpreter.shouldStop }
        set { interpreter.shouldStop = newValue }
    }

    /// The names a program can use now: bindings, parameters and builtins
    /// (for tab completion).
    public var names: [String] {
        var names = Set(interpreter.globals.values.keys)
        names.formUnion(interpreter.parameters.names)
        names.formUnion(Builtin.allCases.map(\.rawValue))
        names.formUnion(DistributionRegistry.all.map(\.name))
        names.formUnion(DensityFunctions.names)
        return names.sorted()
    }

    /// The parameters and their current values, in declaration order
    /// (a vector's elements one by one).
    public var parameterValues: [(name: String, value: Double)] {
        parameterDetails.map { ($0.name, $0.value) }
    }

    /// Each declared parameter's elements with their values and bounds, in
    /// the order of declaration (`:params`).
    public var parameterDetails: [(name: String, value: Double, bounds: ParameterBounds)] {
        interpreter.parameters.entries.flatMap { entry in
            entry.indices.map { index in
                let parameter = interpreter.graph.parameters[index]
                return (parameter.name, parameter.value, parameter.bounds)
            }
        }
    }

    /// The number of nodes traced so far (running a traced graph adds none).
    public var graphSize: Int { interpreter.graph.count }

    /// Whether loops of random length stop being traced once two iterations
    /// have one shape (true), or are unrolled to their limit (false: for
    /// tests and benchmarks that compare the two, which give the same bits).
    public var repeatsLoops: Bool {
        get { interpreter.repeatsLoops }
        set { interpreter.repeatsLoops = newValue }
    }

    /// Whether gradients through loops that would keep a tape are carried
    /// forward where they can (true), or always swept back (false: for
    /// tests and benchmarks that compare the two).
    public var forwardGradients: Bool {
        get { interpreter.forwardGradients }
        set { interpreter.forwardGradients = newValue }
    }

    /// The traced graph and the node a top-level name holds, for tools that
    /// run the engine on a program's graph themselves (benchmarks); nil when
    /// the name holds no traced value.
    public func traced(_ name: String) -> (graph: Graph, node: NodeID)? {
        guard case .node(let id)? = interpreter.globals.values[name] else { return nil }
        return (interpreter.graph, id)
    }

    /// Parses and runs a source file, reporting displays and prints to `output`
    /// as they happen (so a later error does not swallow earlier results).
    public func run(_ source: SourceFile, output: @escaping (Output) -> Void) -> RunResult {
        let interpreter = self.interpreter
        let box = UncheckedBox((source, output, interpreter))
        return Session.onLargeStack {
            let (source, output, interpreter) = box.value
            // Keep 256 MiB of the stack in reserve (an expression 10,000 levels tall fits in it) below the deepest call allowed.
            var top: UInt8 = 0
            let address = withUnsafeMutablePointer(to: &top) { UInt(bitPattern: $0) }
            interpreter.stackLimit = address - UInt(Session.stackSize) + (256 << 20)
            let parsed = Parser.parse(source, estimators: Session.estimatorNames)
            guard !parsed.hasErrors else {
                return RunResult(status: Session.status(of: parsed), diagnostics: parsed.diagnostics)
            }
            interpreter.output = { [unowned interpreter] item in
                interpreter.outputCount += 1
                output(item)
            }
            interpreter.reportedWarnings = []
            // Each run traces with a tracer of its own: an error inside a
            // loop, a call or a traced branch leaves nothing for the next.
            interpreter.tracer = Tracer(interpreter: interpreter)
            // Settings from the command line: randomised QMC's share of the particles, said once.
            if let rounding = interpreter.settings.quasiRounding, rounding != interpreter.quasiNotice {
                interpreter.quasiNotice = rounding
                output(.notice(rounding))
            }
            defer {
                interpreter.output = { _ in }
                interpreter.graph.currentLoop = nil
            }
            var result: RunResult
            do {
                try interpreter.run(parsed.program)
                result = RunResult(status: .success, diagnostics: [])
            } catch let error as RuntimeError {
                result = RunResult(status: .runtimeError, diagnostics: [error.diagnostic])
            } catch let interruption as Interruption {
                let diagnostic = Diagnostic(.runtime, "interrupted by Ctrl-C", in: interruption.file, at: interruption.range)
                result = RunResult(status: .interrupted, diagnostics: [diagnostic])
            } catch {
                let diagnostic = Diagnostic(.runtime, "internal error: \(error)", in: source, at: .at(0))
                result = RunResult(status: .runtimeError, diagnostics: [diagnostic])
            }
            result.warnings = interpreter.reportedWarnings
            return result
        }
    }

    /// Runs source text (a convenience for tests and the REPL).
    public func run(_ text: String, name: String = "<input>", output: @escaping (Output) -> Void) -> RunResult {
        run(SourceFile(name: name, text: text), output: output)
    }

    /// The estimator table's names, for the parser: an unknown `@name` is a
    /// syntax error (in code never run too), with a "did you mean".
    static var estimatorNames: EstimatorNames {
        EstimatorNames(known: Set(Estimator.allCases.map(\.rawValue)), listed: EstimatorRegistry.builtins.map(\.name))
    }

    static func status(of parsed: ParseResult) -> Status {
        if !parsed.hasErrors { return .success }
        return parsed.isIncomplete ? .incomplete : .syntaxError
    }

    /// Frees a session's values on a thread with a large stack: a program can
    /// build chains of values (closures holding closures) whose release recurses.
    /// The caller must not use the session afterwards.
    public static func dispose(_ session: Session) {
        let box = UncheckedBox<[String: Value]?>(session.interpreter.globals.values)
        session.interpreter.globals.values = [:]
        onLargeStack {
            box.value = nil
        }
    }

    /// Runs `body` on a thread with a large stack and waits for it.
    static func onLargeStack<T>(_ body: @escaping () -> T) -> T {
        let result = UncheckedBox<T?>(nil)
        let work = UncheckedBox(body)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result.value = work.value()
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        guard let value = result.value else {
            // The thread always stores a value before signalling.
            return work.value()
        }
        return value
    }
}

/// Carries a non-Sendable value to the interpreter thread. Safe because the
/// caller blocks until that thread is done with it.
final class UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
