import Foundation
import Testing

/// `wiggle run --plots DIR` and the kernelspec commands (the kernel itself
/// is tested with a real Jupyter client by scripts/test-kernel.sh).
@Suite struct PlotsAndKernelCommandTests {
    @Test func plotsWritesOneNumberedSVGPerChart() throws {
        let program = try temporaryProgram("""
            set(seed = 1, particles = 500)
            param m = 2
            hist(normal(0, 1))
            E[normal(m, 1)]
            minimize(E[(normal(m, 1) - 1)^2], steps = 20, lr = 0.1)
            """)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wiggle-plots-\(UUID().uuidString)")
        let outcome = try wiggle(["run", program, "--plots", folder.path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files == ["plot-001.svg", "plot-002.svg"])
        let first = try String(contentsOf: folder.appendingPathComponent("plot-001.svg"), encoding: .utf8)
        let second = try String(contentsOf: folder.appendingPathComponent("plot-002.svg"), encoding: .utf8)
        #expect(first.hasPrefix("<svg ") && first.contains("class=\"bars\""))
        #expect(second.hasPrefix("<svg ") && second.contains("class=\"loss\""))
    }

    @Test func plotsFolderThatCannotBeMade() throws {
        let program = try temporaryProgram("hist([1, 2])")
        let outcome = try wiggle(["run", program, "--plots", "/proc/no/such/folder"])
        #expect(outcome.status == 73)
        #expect(outcome.stderr.hasPrefix("wiggle: cannot make the folder '/proc/no/such/folder'"))
    }

    @Test func kernelspecInstallAndUninstall() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("wiggle-spec-\(UUID().uuidString)")
        let installed = try wiggle(["kernel", "install", "--prefix", prefix.path])
        #expect(installed.status == 0, "\(installed.stderr)")
        let folder = prefix.appendingPathComponent("share/jupyter/kernels/wiggle")
        let spec = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("kernel.json"))) as? [String: Any]
        let argv = spec?["argv"] as? [String] ?? []
        #expect(argv.count == 4 && argv[0].hasPrefix("/") && argv[0].hasSuffix("/wiggle"))
        #expect(Array(argv.dropFirst()) == ["kernel", "-f", "{connection_file}"])
        #expect(spec?["language"] as? String == "wiggle" && spec?["interrupt_mode"] as? String == "signal")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("logo-svg.svg").path))
        #expect(try wiggle(["kernel", "uninstall", "--prefix", prefix.path]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        let again = try wiggle(["kernel", "uninstall", "--prefix", prefix.path])
        #expect(again.status == 64 && again.stderr.contains("no kernelspec in"))
        #expect(try wiggle(["kernel", "install", "--user", "--prefix", prefix.path]).status == 64)
    }

    @Test func aKernelWithoutAConnectionFileSaysWhy() throws {
        let outcome = try wiggle(["kernel", "-f", "/no/such/connection.json"])
        #expect(outcome.status == 70)
        #expect(outcome.stderr.contains("cannot read the connection file '/no/such/connection.json'"))
        let garbage = try temporaryProgram("{\"ip\": 1}", name: "connection.json")
        let bad = try wiggle(["kernel", "-f", garbage])
        #expect(bad.status == 70 && bad.stderr.contains("is not a Jupyter connection file"))
    }
}
