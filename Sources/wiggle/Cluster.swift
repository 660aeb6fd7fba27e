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
        var smallest: UInt64 = 0, largest: UInt64 = 0
        _ = wiggle_mpi_min_max(hasher.value, &smallest, &largest)
        if smallest != largest {
            if rank == 0 {
                FileHandle.standardError.write(Data("wiggle: error: the \(size) MPI ranks do not run the same program the same way (a different file, settings, version or math path on some host); every rank must run one build on one program\n".utf8))
            }
            wiggle_mpi_finalize()
            Foundation.exit(64)
        }
        Cluster.current = Cluster(rank: rank, size: size, combine: { words in
            _ = wiggle_mpi_or(words.baseAddress, words.count)
        }, agree: { value in
            var smallest: UInt64 = 0, largest: UInt64 = 0
            _ = wiggle_mpi_min_max(value, &smallest, &largest)
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

    /// Leaves MPI with the largest exit code among the ranks, on every rank.
    static func exit(_ code: Int32) -> Never {
        #if MPI
        if started {
            let agreed = wiggle_mpi_max_int(code)
            wiggle_mpi_finalize()
            Foundation.exit(agreed)
        }
        #endif
        Foundation.exit(code)
    }
}
