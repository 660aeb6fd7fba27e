// Open MPI's C API (Debian: libopenmpi-dev), for running one estimate over
// many processes (`mpirun -n R wiggle run ...`). Its handles are macros Swift
// cannot import, so the few calls Wiggle makes are wrapped here.
#if __has_include(<mpi.h>)
#include <mpi.h>
#include <stdint.h>
#include <time.h>
#else
#error "Open MPI's headers (mpi.h) are missing: install libopenmpi-dev and openmpi-bin (Debian/Ubuntu: sudo apt-get install libopenmpi-dev openmpi-bin) or run scripts/install-deps, or build without MPI: swift build --disable-default-traits --traits Readline,Kernel,VectorMath"
#endif

/// Starts MPI. Calls come from one thread at a time, but not always the
/// one that started it (a session runs programs on a thread of its own with
/// a large stack): MPI_THREAD_SERIALIZED. 0 on success.
static inline int wiggle_mpi_init(void) {
    int started = 0;
    MPI_Initialized(&started);
    if (started) return 0;
    int provided = 0;
    return MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
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

/// What the collectives below return besides MPI's own codes: the other
/// ranks did not all arrive within the deadline (one died or hangs).
#define WIGGLE_MPI_TIMED_OUT (-1)

/// MPI_Allreduce in place over MPI_COMM_WORLD, given up after `seconds`:
/// started non-blocking and tested until done, pausing up to 100 µs
/// between tests (a rank waiting has nothing else to do; the pause bounds
/// what a collective's end may wait). 0 when done, WIGGLE_MPI_TIMED_OUT
/// when the deadline passed first, else MPI's error code.
static inline int wiggle_mpi_reduce_within(void *buffer, int count, MPI_Datatype type, MPI_Op op, double seconds) {
    MPI_Request request;
    int error = MPI_Iallreduce(MPI_IN_PLACE, buffer, count, type, op, MPI_COMM_WORLD, &request);
    if (error != MPI_SUCCESS) return error;
    double start = MPI_Wtime();
    long pause = 1000;
    for (;;) {
        int done = 0;
        error = MPI_Test(&request, &done, MPI_STATUS_IGNORE);
        if (error != MPI_SUCCESS) return error;
        if (done) return 0;
        if (MPI_Wtime() - start > seconds) return WIGGLE_MPI_TIMED_OUT;
        struct timespec wait = {0, pause};
        nanosleep(&wait, NULL);
        if (pause < 100000) pause *= 2;
    }
}

/// Every word becomes the bitwise OR of that word over all ranks.
static inline int wiggle_mpi_or(uint64_t *words, long count, double seconds) {
    if (count <= 0) return 0;
    return wiggle_mpi_reduce_within(words, (int)count, MPI_UINT64_T, MPI_BOR, seconds);
}

/// The smallest and the largest of each rank's `value`, in one reduction
/// (the largest of v is the complement of the smallest complement).
static inline int wiggle_mpi_min_max(uint64_t value, uint64_t *smallest, uint64_t *largest, double seconds) {
    uint64_t both[2] = {value, ~value};
    int error = wiggle_mpi_reduce_within(both, 2, MPI_UINT64_T, MPI_MIN, seconds);
    *smallest = both[0];
    *largest = ~both[1];
    return error;
}

/// The largest of each rank's exit code, so every rank exits with it.
static inline int wiggle_mpi_max_int(int value, int *largest, double seconds) {
    *largest = value;
    return wiggle_mpi_reduce_within(largest, 1, MPI_INT, MPI_MAX, seconds);
}

static inline void wiggle_mpi_finalize(void) { MPI_Finalize(); }

static inline void wiggle_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
