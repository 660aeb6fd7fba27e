// Message.swift — Jupyter's wire format (messaging protocol 5.3): the
// connection file, and messages as ZeroMQ multipart frames
//   [identities…, "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers…]
// signed with HMAC-SHA256 over the four JSON frames.

import Crypto
import Foundation

/// What `jupyter` writes for a kernel it starts: where to listen and the key.
public struct ConnectionInfo: Decodable, Sendable {
    public var transport: String
    public var ip: String
    public var shellPort: Int
    public var iopubPort: Int
    public var stdinPort: Int
    public var controlPort: Int
    public var hbPort: Int
    public var key: String
    public var signatureScheme: String

    enum CodingKeys: String, CodingKey {
        case transport, ip, key
        case shellPort = "shell_port", iopubPort = "iopub_port", stdinPort = "stdin_port"
        case controlPort = "control_port", hbPort = "hb_port", signatureScheme = "signature_scheme"
    }

    /// `tcp://127.0.0.1:5555`.
    func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "\(transport)://\(ip):\(port)"
    }

    /// Reads and checks a connection file.
    public static func load(path: String) throws -> ConnectionInfo {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KernelError("cannot read the connection file '\(path)'")
        }
        let info: ConnectionInfo
        do {
            info = try JSONDecoder().decode(ConnectionInfo.self, from: data)
        } catch {
            throw KernelError("'\(path)' is not a Jupyter connection file: \(error)")
        }
        guard info.signatureScheme == "hmac-sha256" || info.key.isEmpty else {
            throw KernelError("unsupported signature scheme '\(info.signatureScheme)' (only hmac-sha256)")
        }
        return info
    }
}

/// A problem starting or running the kernel, in words.
public struct KernelError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A JSON object as Foundation reads and writes it.
typealias JSON = [String: Any]

/// One message of the protocol.
struct Message {
    /// The ZeroMQ routing identities it came with (a reply goes back to them).
    var identities: [[UInt8]]
    var header: JSON
    var parentHeader: JSON
    var metadata: JSON
    var content: JSON
    var buffers: [[UInt8]] = []

    var type: String { header["msg_type"] as? String ?? "" }
}

/// The frame between the identities and the signature.
let delimiter = Array("<IDS|MSG>".utf8)

/// Signs and checks messages, and turns them into frames and back.
struct MessageCodec {
    let key: SymmetricKey?
    /// This kernel's session id, in every header it writes.
    let session = UUID().uuidString.lowercased()

    init(key: String) {
        self.key = key.isEmpty ? nil : SymmetricKey(data: Array(key.utf8))
    }

    /// The hex HMAC-SHA256 of the frames (empty without a key).
    func signature(_ frames: [[UInt8]]) -> [UInt8] {
        guard let key else { return [] }
        var hmac = HMAC<SHA256>(key: key)
        for frame in frames { hmac.update(data: frame) }
        return Array(Data(hmac.finalize()).map { String(format: "%02x", $0) }.joined().utf8)
    }

    /// Why frames are not a valid message, or the message.
    func decode(_ frames: [[UInt8]]) -> Result<Message, KernelError> {
        guard let split = frames.firstIndex(of: delimiter) else {
            return .failure(KernelError("a message without the <IDS|MSG> delimiter"))
        }
        let rest = Array(frames[(split + 1)...])
        guard rest.count >= 5 else {
            return .failure(KernelError("a message with \(rest.count) frames after the delimiter (at least 5 needed)"))
        }
        if key != nil {
            // Compared in constant time: a timing difference must not tell
            // an attacker how much of a forged signature was right.
            let expected = signature(Array(rest[1...4]))
            let given = rest[0]
            var difference = UInt8(given.count == expected.count ? 0 : 1)
            for (a, b) in zip(given, expected) { difference |= a ^ b }
            guard difference == 0 else { return .failure(KernelError("a message with a wrong signature")) }
        }
        var objects: [JSON] = []
        for (index, frame) in rest[1...4].enumerated() {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(frame))) as? JSON else {
                let name = ["header", "parent_header", "metadata", "content"][index]
                return .failure(KernelError("a message whose \(name) is not a JSON object"))
            }
            objects.append(object)
        }
        guard objects[0]["msg_type"] is String, objects[0]["msg_id"] is String else {
            return .failure(KernelError("a message whose header has no msg_type or msg_id"))
        }
        return .success(Message(identities: Array(frames[..<split]), header: objects[0], parentHeader: objects[1],
                                metadata: objects[2], content: objects[3], buffers: Array(rest.dropFirst(5))))
    }

    /// A new message of `type` answering `parent` (its header becomes the parent header).
    func message(_ type: String, content: JSON, parent: Message?, identities: [[UInt8]]? = nil,
                 metadata: JSON = [:]) -> Message {
        let header: JSON = [
            "msg_id": UUID().uuidString.lowercased(),
            "session": session,
            "username": (parent?.header["username"] as? String) ?? "wiggle",
            "date": Self.timestamp(),
            "msg_type": type,
            "version": "5.3",
        ]
        return Message(identities: identities ?? parent?.identities ?? [], header: header,
                       parentHeader: parent?.header ?? [:], metadata: metadata, content: content)
    }

    /// The frames of a message, signed.
    func encode(_ message: Message) -> [[UInt8]] {
        let frames = [message.header, message.parentHeader, message.metadata, message.content].map { object in
            Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
        }
        return message.identities + [delimiter, signature(frames)] + frames + message.buffers
    }

    /// ISO 8601 with microseconds, UTC, as Jupyter writes its dates.
    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
