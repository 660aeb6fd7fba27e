// Open MPI's C API (Debian: libopenmpi-dev), for running one estimate over
// many processes (`mpirun -n R wiggle run ...`). Its handles are macros Swift
// cannot import, so the few calls Wiggle makes are wrapped here.
#if __has_include(<mpi.h>)
#include <mpi.h>
#include <stdint.h>
#else
#error "Open MPI's headers (mpi.h) are missing: install libopenmpi-dev and openmpi-bin (Debian/Ubuntu: sudo apt-get install libopenmpi-dev openmpi-bin) or run scripts/install-deps, or build without MPI: swift build --disable-default-traits --traits Readline,Kernel,VectorMath"
#endif

/// Starts MPI (threads other than the main one make no MPI calls). 0 on success.
static inline int wiggle_mpi_init(void) {
    int started = 0;
    MPI_Initialized(&started);
    if (started) return 0;
    int provided = 0;
    return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
}

static inline int wiggle_mpi_rank(void) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

static inline int wiggle_mpi_size(void) {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

/// Every word becomes the bitwise OR of that word over all ranks.
static inline int wiggle_mpi_or(uint64_t *words, long count) {
    if (count <= 0) return 0;
    return MPI_Allreduce(MPI_IN_PLACE, words, (int)count, MPI_UINT64_T, MPI_BOR, MPI_COMM_WORLD);
}

/// The smallest and the largest of each rank's `value`.
static inline int wiggle_mpi_min_max(uint64_t value, uint64_t *smallest, uint64_t *largest) {
    int a = MPI_Allreduce(&value, smallest, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    int b = MPI_Allreduce(&value, largest, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    return a != MPI_SUCCESS ? a : b;
}

/// The largest of each rank's exit code, so every rank exits with it.
static inline int wiggle_mpi_max_int(int value) {
    int largest = value;
    MPI_Allreduce(&value, &largest, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return largest;
}

static inline void wiggle_mpi_finalize(void) { MPI_Finalize(); }

static inline void wiggle_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
