// Socket.swift — the few ZeroMQ calls the kernel makes, through the C
// library: a context, ROUTER/PUB/REP sockets bound to the connection file's
// ports, multipart messages in and out, and polling.

#if Kernel  // the Jupyter kernel needs ZeroMQ (the Kernel trait, on by default)
import CZeroMQ
import Foundation

/// A ZeroMQ failure, with the library's own words.
public struct SocketError: Error, CustomStringConvertible {
    public var description: String

    init(_ what: String) {
        description = "\(what): \(String(cString: zmq_strerror(zmq_errno())))"
    }
}

/// One ZeroMQ context for the kernel's sockets.
final class SocketContext: @unchecked Sendable {
    // @unchecked: ZeroMQ contexts are thread-safe.
    let handle: UnsafeMutableRawPointer

    init() throws {
        guard let handle = zmq_ctx_new() else { throw SocketError("zmq_ctx_new") }
        self.handle = handle
    }

    deinit { zmq_ctx_term(handle) }
}

/// One ZeroMQ socket. Used by one thread at a time (ZeroMQ sockets may move
/// between threads with a memory barrier, which the kernel's hand-offs give).
final class Socket: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// A socket of `type` (`ZMQ_ROUTER`, `ZMQ_PUB`, `ZMQ_REP`) bound to `endpoint`.
    init(_ context: SocketContext, type: Int32, endpoint: String) throws {
        guard let handle = zmq_socket(context.handle, type) else { throw SocketError("zmq_socket") }
        self.handle = handle
        // Do not hold the process open for undelivered messages at exit.
        var linger: Int32 = 0
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        guard zmq_bind(handle, endpoint) == 0 else {
            let error = SocketError("cannot bind \(endpoint)")
            zmq_close(handle)
            throw error
        }
    }

    deinit { zmq_close(handle) }

    /// The parts of the next message, or nil when the call was interrupted
    /// by a signal before one arrived.
    func receive(wait: Bool = true) throws -> [[UInt8]]? {
        var parts: [[UInt8]] = []
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            if zmq_msg_recv(&message, handle, wait ? 0 : ZMQ_DONTWAIT) < 0 {
                if zmq_errno() == EINTR || zmq_errno() == EAGAIN, parts.isEmpty { return nil }
                if zmq_errno() == EINTR { continue }
                throw SocketError("zmq_msg_recv")
            }
            let size = zmq_msg_size(&message)
            if let data = zmq_msg_data(&message), size > 0 {
                parts.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                parts.append([])
            }
            if zmq_msg_more(&message) == 0 { return parts }
        }
    }

    /// Sends the parts as one message.
    func send(_ parts: [[UInt8]]) {
        for (index, part) in parts.enumerated() {
            let flags = index == parts.count - 1 ? 0 : ZMQ_SNDMORE
            part.withUnsafeBytes { bytes in
                while zmq_send(handle, bytes.baseAddress, bytes.count, flags) < 0 && zmq_errno() == EINTR {}
            }
        }
    }
}

/// Waits up to `milliseconds` for any of `sockets` to have a message; the
/// indices of those that do (empty on a timeout or a signal).
func poll(_ sockets: [Socket], milliseconds: Int) -> [Int] {
    var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
    let count = zmq_poll(&items, Int32(items.count), milliseconds)
    guard count > 0 else { return [] }
    return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
}

/// Echoes every heartbeat back from a thread of its own (ZeroMQ's proxy
/// between a REP socket and itself), so a long computation never looks dead.
func startHeartbeat(_ socket: Socket) {
    let thread = Thread {
        zmq_proxy(socket.handle, socket.handle, nil)
    }
    thread.name = "wiggle-heartbeat"
    thread.start()
}
#endif
