// Cluster.swift — `mpirun -n R wiggle run model.wgl` (or `srun`): every
// rank runs the whole program; the engine splits each run's groups of
// particles between the ranks and gathers them back (WiggleGraph's
// Cluster), so every rank holds every result, bit for bit what one process
// prints. Rank 0 alone writes output, plots and diagnostics; all ranks exit
// with the largest exit code among them. MPI starts only when a launcher
// started this process (its environment says so): without one, nothing changes.

#if MPI
import CMPI
#endif
import Foundation
import WiggleGraph
import WiggleSyntax

enum ClusterRun {
    /// True when built with MPI (the MPI trait).
    static var isBuilt: Bool {
        #if MPI
        return true
        #else
        return false
        #endif
    }

    /// True when mpirun, mpiexec or srun started this process.
    static var launched: Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"].contains { environment[$0] != nil }
    }

    /// Under a launcher with more than one rank: starts MPI, checks that
    /// every rank runs the same program the same way (a hash of the
    /// program, the settings, the version and the math path), installs the
    /// engine's cluster and silences the ranks other than 0. Returns this
    /// rank (nil for one process); exits, on every rank, on a mismatch.
    static func join(program: [UInt8], settings: String) -> Int? {
        #if MPI
        guard launched, wiggle_mpi_init() == 0 else { return nil }
        started = true
        let rank = Int(wiggle_mpi_rank()), size = Int(wiggle_mpi_size())
        guard size > 1 else { return rank }
        var hasher = FNV1a()
        hasher.add(program)
        hasher.add(Array("\(settings)|\(Wiggle.version)|\(VectorMath.isAvailable)".utf8))
        // Any rank may have to say why the job stops (a rank that waited
        // too long): keep this rank's standard error before silencing it.
        savedError = dup(STDERR_FILENO)
        lastCollective = ProcessInfo.processInfo.systemUptime
        place = (rank, size)
        if let text = ProcessInfo.processInfo.environment["WIGGLE_MPI_TIMEOUT"], let seconds = Double(text),
           seconds > 0, seconds.isFinite {
            timeout = seconds
        }
        var smallest: UInt64 = 0, largest: UInt64 = 0
        collective("the check that every rank runs the same program") {
            wiggle_mpi_min_max(hasher.value, &smallest, &largest, $0)
        }
        if smallest != largest {
            if rank == 0 {
                FileHandle.standardError.write(Data("wiggle: error: the \(size) MPI ranks do not run the same program the same way (a different file, settings, version or math path on some host); every rank must run one build on one program\n".utf8))
            }
            wiggle_mpi_finalize()
            Foundation.exit(64)
        }
        Cluster.current = Cluster(rank: rank, size: size, combine: { words in
            collective("the exchange of a run's partial sums") {
                wiggle_mpi_or(words.baseAddress, words.count, $0)
            }
        }, agree: { value in
            var smallest: UInt64 = 0, largest: UInt64 = 0
            collective("the check that every rank computed the same run") {
                wiggle_mpi_min_max(value, &smallest, &largest, $0)
            }
            return smallest == largest
        })
        if rank != 0 {
            // Only rank 0 writes: the others' output goes nowhere.
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 {
                dup2(null, STDOUT_FILENO)
                dup2(null, STDERR_FILENO)
                close(null)
            }
        }
        return rank
        #else
        return nil
        #endif
    }

    /// True once MPI has started (it must be finalised before leaving).
    nonisolated(unsafe) static var started = false
    /// This rank's own standard error (rank 0's stays; the others' is
    /// silenced, but a rank that gives up waiting must say why), and when
    /// its last collective operation ended (seconds of uptime).
    nonisolated(unsafe) static var savedError: Int32 = -1
    nonisolated(unsafe) static var lastCollective = 0.0
    /// This rank and how many there are, and WIGGLE_MPI_TIMEOUT, read once.
    nonisolated(unsafe) static var place = (rank: 0, size: 1)
    nonisolated(unsafe) static var timeout: Double?

    /// How long a rank waits at a collective operation for the others:
    /// WIGGLE_MPI_TIMEOUT seconds when set, else ten times the work this
    /// rank did since the last one (the others do the same work), and at
    /// least a minute.
    static func deadline() -> Double {
        timeout ?? Swift.max(60, 10 * (ProcessInfo.processInfo.systemUptime - lastCollective))
    }

    #if MPI
    /// Runs a collective operation with a deadline. When the others do not
    /// all arrive in time (one died or hangs) or MPI fails, this rank says
    /// so on its own standard error and stops every rank (MPI_Abort, exit
    /// 70): no rank ever waits forever.
    static func collective(_ what: String, _ operation: (Double) -> Int32) {
        let seconds = deadline()
        let code = operation(seconds)
        lastCollective = ProcessInfo.processInfo.systemUptime
        guard code != 0 else { return }
        let why = code == WIGGLE_MPI_TIMED_OUT
            ? "waited \(Int(seconds)) s for the other ranks at \(what): one died or hangs (WIGGLE_MPI_TIMEOUT sets the wait)"
            : "MPI failed at \(what) (error \(code))"
        let message = "wiggle: error: MPI rank \(place.rank) of \(place.size) \(why); stopping every rank\n"
        let fd = savedError >= 0 ? savedError : STDERR_FILENO
        _ = message.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        wiggle_mpi_abort(70)
        Foundation.exit(70)
    }
    #endif

    /// Leaves MPI with the largest exit code among the ranks, on every rank.
    static func exit(_ code: Int32) -> Never {
        #if MPI
        if started {
            var agreed = code
            collective("the exit") {
                wiggle_mpi_max_int(code, &agreed, $0)
            }
            wiggle_mpi_finalize()
            Foundation.exit(agreed)
        }
        #endif
        Foundation.exit(code)
    }
}
