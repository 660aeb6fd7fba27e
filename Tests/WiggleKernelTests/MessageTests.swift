import Foundation
import Testing
import WiggleLang
@testable import WiggleKernel

/// The wire format: signing, and what a kernel must refuse without crashing.
@Suite struct MessageTests {
    let codec = MessageCodec(key: "secret-key")

    func request(_ type: String, _ content: JSON = [:]) -> [[UInt8]] {
        codec.encode(codec.message(type, content: content, parent: nil, identities: [Array("client".utf8)]))
    }

    @Test func aSignedMessageRoundTrips() throws {
        let frames = request("execute_request", ["code": "1 + 1"])
        guard case .success(let message) = codec.decode(frames) else {
            Issue.record("a message the codec wrote did not decode")
            return
        }
        #expect(message.type == "execute_request")
        #expect(message.content["code"] as? String == "1 + 1")
        #expect(message.identities == [Array("client".utf8)])
        #expect(message.header["version"] as? String == "5.3")
    }

    /// HMAC-SHA256 of the four frames, as hex: checked against a value
    /// computed independently (Python's hmac.new(key, msg, sha256)).
    @Test func theSignatureIsHMACSHA256InHex() {
        let signature = String(decoding: codec.signature([Array("{}".utf8), Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)]),
                               as: UTF8.self)
        #expect(signature == "ed938433830cf3f1301eacc1147257c443a07966cfb32eda112e8d7f6fe37dd6")
    }

    @Test func aWrongSignatureIsRejected() {
        var frames = request("execute_request", ["code": "1"])
        let index = frames.firstIndex(of: delimiter)! + 1
        frames[index] = Array(String(repeating: "0", count: 64).utf8)
        guard case .failure(let problem) = codec.decode(frames) else {
            Issue.record("a forged message was accepted")
            return
        }
        #expect(problem.description == "a message with a wrong signature")
        // A message signed with another key too.
        let other = MessageCodec(key: "another key")
        let forged = other.encode(other.message("execute_request", content: ["code": "1"], parent: nil))
        guard case .failure = codec.decode(forged) else {
            Issue.record("a message signed with another key was accepted")
            return
        }
    }

    @Test func malformedMessagesAreRejectedInWords() {
        func problem(_ frames: [[UInt8]]) -> String? {
            if case .failure(let problem) = codec.decode(frames) { return problem.description }
            return nil
        }
        #expect(problem([Array("junk".utf8)]) == "a message without the <IDS|MSG> delimiter")
        #expect(problem([delimiter, [], Array("{}".utf8)]) == "a message with 2 frames after the delimiter (at least 5 needed)")
        let unsigned = MessageCodec(key: "")
        let notJSON: [[UInt8]] = [delimiter, [], Array("{not json".utf8), Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)]
        if case .failure(let found) = unsigned.decode(notJSON) {
            #expect(found.description == "a message whose header is not a JSON object")
        } else {
            Issue.record("a header that is not JSON was accepted")
        }
        let noType: [[UInt8]] = [delimiter, [], Array("{}".utf8), Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)]
        if case .failure(let found) = unsigned.decode(noType) {
            #expect(found.description == "a message whose header has no msg_type or msg_id")
        } else {
            Issue.record("a header without a type was accepted")
        }
    }

    #if Kernel  // the Kernel type exists only with the Kernel trait (on by default)
    @Test func wordsAroundTheCursor() {
        #expect(Kernel.word(in: "x = nor", at: 7) == ("nor", 4, 7))
        #expect(Kernel.word(in: "grad(E[x])", at: 2) == ("grad", 0, 4))
        #expect(Kernel.word(in: "", at: 0) == ("", 0, 0))
        #expect(Kernel.word(in: "μ = 1", at: 1) == ("μ", 0, 1))
    }
    #endif

    @Test func richOutputOfAnEstimate() {
        var shown: [Value] = []
        _ = Session().run("E[0.5]") { output in
            if case .display(let value, _, _) = output { shown.append(value) }
        }
        guard let value = shown.first else {
            Issue.record("E[0.5] displayed nothing")
            return
        }
        let bundle = RichOutput.bundle(value, line: 1, source: DisplaySource(expr: "E[x]"))
        #expect(bundle["text/plain"] as? String == "0.5 ± 0")
        #expect(bundle["text/latex"] as? String == "\\(0.5 \\pm 0\\)")
        #expect((bundle["application/vnd.wiggle.result+json"] as? JSON)?["kind"] as? String == "expectation")
    }

    /// No bundle carries plain application/json: JupyterLab would show its
    /// JSON tree instead of the picture, table or formula beside it.
    @Test func noBundleCarriesPlainJSON() {
        var shown: [Value] = []
        let program = """
            set(seed = 1, particles = 500)
            param mu = 0.5
            x = normal(mu, 1)
            E[x]
            grad(E[(x - 3)^2])
            hist(x, bins = 5)
            minimize(E[(x - 3)^2], steps = 3, lr = 0.1)
            explain(x > 1)
            [1, 2]
            """
        _ = Session().run(program) { output in
            if case .display(let value, _, _) = output { shown.append(value) }
        }
        #expect(shown.count == 6)
        for value in shown {
            let bundle = RichOutput.bundle(value, line: 1, source: DisplaySource(expr: "e"))
            #expect(bundle["application/json"] == nil)
            #expect(bundle[RichOutput.resultType] != nil)
        }
        let kinds = shown.map { RichOutput.bundle($0, line: 1, source: DisplaySource(expr: "e")) }
        #expect(kinds[2]["image/svg+xml"] != nil)   // hist
        #expect(kinds[3]["image/svg+xml"] != nil)   // the loss curve
        #expect((kinds[4]["text/html"] as? String)?.contains("<table>") == true)   // explain
    }
}
