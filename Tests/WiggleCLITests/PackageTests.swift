import Foundation
import Testing

/// The package builds the same product on every machine: the manifest
/// declares traits instead of probing the host, a missing system library
/// stops the build naming its package, and the libraries carry no unsafe
/// flags (so WiggleGraph and WiggleLang can be depended on by version).
@Suite struct PackageTests {
    func read(_ path: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func theManifestNeverLooksAtTheHost() throws {
        let manifest = try read("Package.swift")
        for probe in ["FileManager", "fileExists", "ProcessInfo", "import Foundation"] {
            #expect(!manifest.contains(probe), "Package.swift uses \(probe)")
        }
        #expect(manifest.contains(".default(enabledTraits: [\"Readline\", \"Kernel\", \"VectorMath\", \"MPI\"])"))
    }

    @Test func onlyTheBenchmarksReferenceCarriesUnsafeFlags() throws {
        let manifest = try read("Package.swift")
        let lines = manifest.split(separator: "\n").filter { $0.contains("unsafeFlags") }
        #expect(lines.count == 1)
        #expect(lines.allSatisfy { $0.contains("\"CReference\"") })
    }

    @Test func aMissingHeaderNamesItsPackage() throws {
        #expect(try read("Sources/CZeroMQ/shim.h").contains("#error \"ZeroMQ's headers (zmq.h) are missing: install libzmq3-dev"))
        #expect(try read("Sources/CReadline/shim.h").contains("install libreadline-dev"))
        #expect(try read("Sources/CSupport/readline_shim.c").contains("install libreadline-dev"))
        #expect(try read("Sources/CVectorKernels/vector_kernels.c").contains("install libsleef-dev"))
        #expect(try read("Sources/CMPI/shim.h").contains("install libopenmpi-dev and openmpi-bin"))
    }
}
