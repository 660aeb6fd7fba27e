#!/usr/bin/env bash
# One estimate over many processes: each program under tests/mpi/ run by
# `mpirun -n R` for R = 1..4 (on this machine's loopback, --oversubscribe
# where R exceeds the cores) must print exactly what one plain process prints
# — its standard output, standard error and exit code — and ranks that run
# different programs are refused. Needs the debug build (`swift build` or
# `swift test` first) and Open MPI's mpirun (scripts/install-deps).
set -euo pipefail
cd "$(dirname "$0")/.."
wiggle=.build/debug/wiggle
[ -x "$wiggle" ] || swift build --product wiggle
command -v mpirun >/dev/null || { echo "test-mpi: mpirun is missing: run scripts/install-deps" >&2; exit 1; }
# Containers often run CI as root, which Open MPI refuses unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One machine: shared memory only, and no probing for fast networks (UCX),
# which took most of a rank's 0.3 s start.
export OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 OMPI_MCA_btl_vader_single_copy_mechanism=none
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for program in tests/mpi/*.wgl; do
    name=$(basename "$program" .wgl)
    set +e
    "$wiggle" run "$program" >"$work/$name.out" 2>"$work/$name.err"
    echo $? >"$work/$name.code"
    set -e
    for ranks in 1 2 3 4; do
        set +e
        mpirun -n "$ranks" --oversubscribe "$wiggle" run "$program" >"$work/$name.$ranks.out" 2>"$work/$name.$ranks.raw"
        echo $? >"$work/$name.$ranks.code"
        set -e
        # mpirun adds its own notice, between lines of dashes, when a rank exits with an error.
        awk '/^-----/ { inside = !inside; next } !inside' "$work/$name.$ranks.raw" >"$work/$name.$ranks.err"
        if cmp -s "$work/$name.out" "$work/$name.$ranks.out" && cmp -s "$work/$name.err" "$work/$name.$ranks.err" \
            && cmp -s "$work/$name.code" "$work/$name.$ranks.code"; then
            echo "ok   $name on $ranks ranks: the bits of one process (exit $(cat "$work/$name.code"))"
        else
            echo "FAIL $name on $ranks ranks differs from one process:"
            diff "$work/$name.out" "$work/$name.$ranks.out" | head -5 || true
            diff "$work/$name.err" "$work/$name.$ranks.err" | head -5 || true
            echo "  exit $(cat "$work/$name.code") vs $(cat "$work/$name.$ranks.code")"
            failed=1
        fi
    done
done
# Two ranks running two different programs: refused, on every rank, with exit 64.
set +e
mpirun -n 1 "$wiggle" run tests/mpi/one_normal.wgl : -n 1 "$wiggle" run tests/mpi/score.wgl >"$work/mixed.out" 2>"$work/mixed.err"
code=$?
set -e
if [ "$code" = 64 ] && grep -q "do not run the same program" "$work/mixed.err"; then
    echo "ok   ranks running different programs are refused (exit 64)"
else
    echo "FAIL ranks running different programs: exit $code"; cat "$work/mixed.err"; failed=1
fi
# A rank that dies mid-run (killed after a second) ends the job: mpirun
# stops the others, which never wait forever in the exchange.
printf 'set(seed = 1, particles = 20000000)\nh = 0\nfor i in 0..50 { h = 0.9 * h + normal(0, 0.5) }\nE[h^2]\n' >"$work/long.wgl"
set +e
timeout 120 mpirun -n 2 bash -c 'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then exec timeout -s KILL 1 "$0" run "$1"; else exec "$0" run "$1"; fi' \
    "$wiggle" "$work/long.wgl" >"$work/died.out" 2>&1
code=$?
set -e
if [ "$code" != 0 ] && [ "$code" != 124 ]; then
    echo "ok   a rank killed mid-run ends the job (exit $code), no rank hangs"
else
    echo "FAIL a rank killed mid-run: exit $code (124: the job hung)"; failed=1
fi
# A rank that hangs (stopped a second into the run): the other gives up
# waiting at the exchange after WIGGLE_MPI_TIMEOUT seconds, says why, and
# stops the job (MPI_Abort) — it never waits forever.
set +e
WIGGLE_MPI_TIMEOUT=3 timeout 120 mpirun -n 2 -x WIGGLE_MPI_TIMEOUT bash -c \
    'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then "$0" run "$1" & pid=$!; trap "kill -KILL $pid" EXIT TERM; sleep 1; kill -STOP $pid; wait $pid; else exec "$0" run "$1"; fi' \
    "$wiggle" "$work/long.wgl" >"$work/hung.out" 2>"$work/hung.err"
code=$?
set -e
pkill -KILL -f "$work/long.wgl" 2>/dev/null || true
if [ "$code" != 0 ] && [ "$code" != 124 ] && grep -q "MPI rank 0 of 2 waited 3 s for the other ranks" "$work/hung.err"; then
    echo "ok   a rank that hangs: the other gives up after WIGGLE_MPI_TIMEOUT, says why and stops the job (exit $code)"
else
    echo "FAIL a rank that hangs: exit $code (124: the job hung)"; cat "$work/hung.err"; failed=1
fi
[ "$failed" = 0 ] && echo "mpi: all checks passed"
exit "$failed"
