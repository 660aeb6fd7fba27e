// KernelCommand.swift — `wiggle kernel`: the Jupyter kernel, and writing or
// removing its kernelspec where `jupyter kernelspec list` finds it.

import ArgumentParser
import Foundation
import WiggleLang
#if Kernel
import WiggleKernel
#endif

/// `wiggle kernel [start] -f CONNECTION_FILE`, `wiggle kernel install`, `wiggle kernel uninstall`.
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Run Wiggle as a Jupyter kernel, or install its kernelspec.",
        subcommands: [KernelStart.self, KernelInstall.self, KernelUninstall.self],
        defaultSubcommand: KernelStart.self
    )
}

/// Where a kernelspec goes: `--user` (the default) or `--prefix P`.
struct KernelLocation: ParsableArguments {
    @Flag(name: .long, help: "Install for this user (the default): ~/.local/share/jupyter/kernels.")
    var user = false

    @Option(name: .long, help: "Install under PREFIX/share/jupyter/kernels (a virtual environment's prefix, say).")
    var prefix: String?

    func validate() throws {
        if user && prefix != nil { throw ValidationError("give --user or --prefix, not both") }
    }

    /// Wiggle's kernelspec folder.
    var specFolder: URL { kernelsFolder.appendingPathComponent("wiggle") }

    /// The folder holding kernelspecs.
    var kernelsFolder: URL {
        if let prefix {
            return URL(fileURLWithPath: prefix).appendingPathComponent("share/jupyter/kernels")
        }
        let environment = ProcessInfo.processInfo.environment
        if let data = environment["JUPYTER_DATA_DIR"], !data.isEmpty {
            return URL(fileURLWithPath: data).appendingPathComponent("kernels")
        }
        let base = environment["XDG_DATA_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share")
        return base.appendingPathComponent("jupyter/kernels")
    }
}

/// Runs the kernel for a connection file (what Jupyter starts).
struct KernelStart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Serve Jupyter's messaging protocol for the connection file Jupyter gives."
    )

    @Option(name: [.customShort("f"), .customLong("connection-file")], help: "The connection file Jupyter wrote.")
    var connectionFile: String

    @OptionGroup var options: RunOptions

    mutating func run() throws {
        #if Kernel
        do {
            let kernel = try Kernel(connection: try ConnectionInfo.load(path: connectionFile), settings: try options.settings())
            let status = kernel.run()
            // Leave without tearing the session down (see runScript).
            Foundation.exit(status)
        } catch {
            standardError("wiggle kernel: \(error)\n")
            throw ExitCode(70)
        }
        #else
        standardError("wiggle kernel: this wiggle was built without the Kernel trait (swift build --disable-default-traits); build it with the default traits, which need ZeroMQ (Debian: libzmq3-dev)\n")
        throw ExitCode(69)
        #endif
    }
}

/// Writes the kernelspec: kernel.json with this binary's absolute path, and a logo.
struct KernelInstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Write Wiggle's kernelspec where `jupyter kernelspec list` finds it."
    )

    @OptionGroup var location: KernelLocation

    mutating func run() throws {
        let folder = location.specFolder
        let executable = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0])
            .standardizedFileURL.resolvingSymlinksInPath().path
        let spec: [String: Any] = [
            "argv": [executable, "kernel", "-f", "{connection_file}"],
            "display_name": "Wiggle",
            "language": "wiggle",
            "interrupt_mode": "signal",
            "metadata": [String: Any](),
        ]
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let json = try JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try json.write(to: folder.appendingPathComponent("kernel.json"))
            try Data(KernelInstall.logo.utf8).write(to: folder.appendingPathComponent("logo-svg.svg"))
        } catch {
            standardError("wiggle kernel install: cannot write \(folder.path): \(error.localizedDescription)\n")
            throw ExitCode(73)
        }
        print("installed the wiggle kernelspec in \(folder.path)")
    }

    /// A wiggle: a sine wave of decreasing amplitude in a rounded square.
    static let logo = """
        <svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
          <rect x="2" y="2" width="60" height="60" rx="12" fill="#2b3a55"/>
          <path d="M8 32 C 14 8, 20 8, 24 32 S 32 50, 36 32 S 44 20, 48 32 S 54 38, 56 32"
                fill="none" stroke="#f4b942" stroke-width="5" stroke-linecap="round"/>
        </svg>

        """
}

/// Removes the kernelspec `install` wrote.
struct KernelUninstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove Wiggle's kernelspec."
    )

    @OptionGroup var location: KernelLocation

    mutating func run() throws {
        let folder = location.specFolder
        guard FileManager.default.fileExists(atPath: folder.path) else {
            standardError("wiggle kernel uninstall: no kernelspec in \(folder.path)\n")
            throw ExitCode(64)
        }
        do {
            try FileManager.default.removeItem(at: folder)
        } catch {
            standardError("wiggle kernel uninstall: cannot remove \(folder.path): \(error.localizedDescription)\n")
            throw ExitCode(73)
        }
        print("removed the wiggle kernelspec from \(folder.path)")
    }
}
