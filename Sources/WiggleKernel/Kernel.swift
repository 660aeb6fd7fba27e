// Kernel.swift — `wiggle kernel`: a Jupyter kernel speaking the messaging
// protocol 5.3 over the five channels. Shell and control requests are read
// on the main thread, one at a time; the heartbeat echoes on a thread of its
// own; iopub carries status, streams, displays and errors. One Session per
// kernel keeps names and parameters from cell to cell. An interrupt is a
// SIGINT (the kernelspec's interrupt_mode), which stops a running cell at
// its next safe point and keeps the session.

#if Kernel  // the Jupyter kernel needs ZeroMQ (the Kernel trait, on by default)
import CSupport
import CZeroMQ
import Foundation
import WiggleGraph
import WiggleLang
import WiggleSyntax

/// A running kernel.
public final class Kernel: @unchecked Sendable {
    // @unchecked: touched by the main thread, and by the session's thread
    // only while the main thread waits for it (Session.run).
    let codec: MessageCodec
    let context: SocketContext
    let shell: Socket
    let control: Socket
    let stdin: Socket
    let iopub: Socket
    let heartbeat: Socket
    let settings: Settings
    var session: Session
    var executionCount = 0
    var running = true
    /// Where the kernel says what it rejected (standard error, which Jupyter logs).
    let log: (String) -> Void

    /// A kernel listening where `connection` says.
    public init(connection: ConnectionInfo, settings: Settings = Settings(),
                log: @escaping (String) -> Void = { FileHandle.standardError.write(Data("wiggle kernel: \($0)\n".utf8)) }) throws {
        codec = MessageCodec(key: connection.key)
        context = try SocketContext()
        shell = try Socket(context, type: ZMQ_ROUTER, endpoint: connection.endpoint(connection.shellPort))
        control = try Socket(context, type: ZMQ_ROUTER, endpoint: connection.endpoint(connection.controlPort))
        stdin = try Socket(context, type: ZMQ_ROUTER, endpoint: connection.endpoint(connection.stdinPort))
        iopub = try Socket(context, type: ZMQ_PUB, endpoint: connection.endpoint(connection.iopubPort))
        heartbeat = try Socket(context, type: ZMQ_REP, endpoint: connection.endpoint(connection.hbPort))
        var settings = settings
        // A notebook cell run again declares its parameters again.
        settings.parametersCanBeRedeclared = true
        self.settings = settings
        session = Session(settings: settings)
        self.log = log
    }

    /// Serves requests until a shutdown request; returns the exit status.
    public func run() -> Int32 {
        wiggle_install_sigint(0)
        startHeartbeat(heartbeat)
        publish("status", ["execution_state": "starting"], parent: nil)
        while running {
            let ready = poll([control, shell], milliseconds: 1000)
            // A Ctrl-C while nothing runs has nothing to stop.
            if ready.isEmpty { wiggle_clear_sigint() }
            // Control first: a shutdown must not wait behind queued cells.
            for index in ready where running {
                let socket = index == 0 ? control : shell
                guard let frames = try? socket.receive(wait: false) else { continue }
                switch codec.decode(frames) {
                case .success(let message): handle(message, on: socket)
                case .failure(let problem): log("rejected \(problem.description)")
                }
            }
        }
        return 0
    }

    // MARK: Requests

    func handle(_ request: Message, on socket: Socket) {
        publish("status", ["execution_state": "busy"], parent: request)
        defer { publish("status", ["execution_state": "idle"], parent: request) }
        switch request.type {
        case "kernel_info_request":
            reply(request, on: socket, "kernel_info_reply", Kernel.info)
        case "execute_request":
            execute(request, on: socket)
        case "is_complete_request":
            reply(request, on: socket, "is_complete_reply", isComplete(request.content["code"] as? String ?? ""))
        case "complete_request":
            reply(request, on: socket, "complete_reply", complete(request.content))
        case "inspect_request":
            reply(request, on: socket, "inspect_reply", inspect(request.content))
        case "history_request":
            reply(request, on: socket, "history_reply", ["status": "ok", "history": [Any]()])
        case "comm_info_request":
            reply(request, on: socket, "comm_info_reply", ["status": "ok", "comms": JSON()])
        case "interrupt_request":
            // Interrupts come as SIGINT (interrupt_mode "signal"); a request
            // while nothing runs has nothing to stop.
            reply(request, on: socket, "interrupt_reply", ["status": "ok"])
        case "shutdown_request":
            let restart = request.content["restart"] as? Bool ?? false
            reply(request, on: socket, "shutdown_reply", ["status": "ok", "restart": restart])
            running = false
        default:
            log("ignored a \(request.type.isEmpty ? "message without a type" : request.type)")
        }
    }

    /// What `kernel_info_request` answers.
    static var info: JSON { [
        "status": "ok",
        "protocol_version": "5.3",
        "implementation": "wiggle",
        "implementation_version": kernelVersion,
        "language_info": [
            "name": "wiggle",
            "version": kernelVersion,
            "mimetype": "text/x-wiggle",
            "file_extension": ".wgl",
            "pygments_lexer": "text",
            "codemirror_mode": "text",
        ] as JSON,
        "banner": "Wiggle \(kernelVersion): gradients of expectations through random sampling",
        "help_links": [Any](),
    ] }

    /// The version kernel_info reports.
    public static let kernelVersion = "0.1.0"

    func isComplete(_ code: String) -> JSON {
        let parsed = Parser.parse(SourceFile(name: "cell", text: code))
        if parsed.isIncomplete { return ["status": "incomplete", "indent": "  "] }
        return ["status": parsed.hasErrors ? "invalid" : "complete"]
    }

    /// The identifier that ends at (or runs through) a cursor, and where it starts.
    static func word(in code: String, at cursor: Int) -> (word: String, start: Int, end: Int) {
        let characters = Array(code.unicodeScalars)
        let position = max(0, min(cursor, characters.count))
        func isPart(_ c: Unicode.Scalar) -> Bool { c == "_" || CharacterSet.alphanumerics.contains(c) }
        var start = position, end = position
        while start > 0 && isPart(characters[start - 1]) { start -= 1 }
        while end < characters.count && isPart(characters[end]) { end += 1 }
        return (String(String.UnicodeScalarView(characters[start..<end])), start, end)
    }

    func complete(_ content: JSON) -> JSON {
        let code = content["code"] as? String ?? ""
        let cursor = content["cursor_pos"] as? Int ?? code.unicodeScalars.count
        let found = Kernel.word(in: code, at: cursor)
        let prefix = String(found.word.unicodeScalars.prefix(max(0, cursor - found.start)))
        var candidates = Set(Token.keywordSpellings)
        candidates.formUnion(session.names)
        let matches = prefix.isEmpty ? [] : candidates.filter { $0.hasPrefix(prefix) }.sorted()
        return ["status": "ok", "matches": matches, "cursor_start": found.start, "cursor_end": cursor, "metadata": JSON()]
    }

    func inspect(_ content: JSON) -> JSON {
        let code = content["code"] as? String ?? ""
        let cursor = content["cursor_pos"] as? Int ?? code.unicodeScalars.count
        var name = Kernel.word(in: code, at: cursor).word
        // On `E[`, or just after a call's name and its parenthesis.
        if name.isEmpty, cursor > 0 {
            name = Kernel.word(in: code, at: cursor - 1).word
        }
        guard let entry = Help.entry(for: name) else {
            return ["status": "ok", "found": false, "data": JSON(), "metadata": JSON()]
        }
        return ["status": "ok", "found": true, "data": ["text/plain": "\(entry.signature)\n\n\(entry.summary)"] as JSON,
                "metadata": JSON()]
    }

    // MARK: Sending

    func reply(_ request: Message, on socket: Socket, _ type: String, _ content: JSON) {
        socket.send(codec.encode(codec.message(type, content: content, parent: request)))
    }

    /// Publishes on iopub (topic: the message type).
    func publish(_ type: String, _ content: JSON, parent: Message?, metadata: JSON = [:]) {
        var message = codec.message(type, content: content, parent: parent, identities: [Array(type.utf8)], metadata: metadata)
        message.parentHeader = parent?.header ?? [:]
        iopub.send(codec.encode(message))
    }
}
#endif
