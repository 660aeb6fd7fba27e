#!/usr/bin/env bash
# Runs over many processes on one machine: the one-normal model (pathwise),
# the bernoulli score-function model and the 50-step recurrence, at 10^7 and
# 10^8 particles, on 1 rank × 2 threads, 1, 2 and 4 ranks × 1 thread
# (--oversubscribe past the cores), with the wall time (median of 3, mpirun's
# start included) and the largest peak memory of one rank. Every row must
# print the bits of the first; the script says so. Release build:
#     swift build -c release --product wiggle && bench/mpi.sh
set -euo pipefail
cd "$(dirname "$0")/.."
wiggle=${WIGGLE:-.build/release/wiggle}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model() {
    case "$1" in
        one-normal) printf 'param mu = 1\nx = normal(mu, 1)\ngrad(E[(x - 3)^2])\n' ;;
        score) printf 'param theta = 0.3\nb = bernoulli(sigmoid(theta))\ngrad(E[b])\n' ;;
        recurrence) printf 'param a = 0.9\nparam s = 0.5\nh = 0\nfor i in 0..50 { h = a * h + normal(0, s) }\ngrad(E[h^2])\n' ;;
    esac
}
printf '%-12s %-10s %-22s %10s %14s  %s\n' model particles layout seconds "MiB per rank" bits
for name in one-normal score recurrence; do
    for particles in 10000000 100000000; do
        [ "$name" = recurrence ] && [ "$particles" = 100000000 ] && continue
        { printf 'set(seed = 1, particles = %s)\n' "$particles"; model "$name"; } >"$work/$name.wgl"
        reference=""
        for layout in "1 2" "1 1" "2 1" "4 1"; do
            set -- $layout
            ranks=$1 threads=$2
            times=() peak=0
            for round in 1 2 3; do
                if [ "$ranks" = 1 ]; then
                    command=("$wiggle" --threads "$threads" run "$work/$name.wgl")
                else
                    command=(mpirun -n "$ranks" --oversubscribe /usr/bin/time -f "%M" -a -o "$work/peak" "$wiggle" --threads "$threads" run "$work/$name.wgl")
                fi
                : >"$work/peak"
                start=$(date +%s.%N)
                if [ "$ranks" = 1 ]; then
                    /usr/bin/time -f "%M" -o "$work/peak" "${command[@]}" >"$work/out"
                else
                    "${command[@]}" >"$work/out"
                fi
                end=$(date +%s.%N)
                times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")
                for kb in $(cat "$work/peak"); do [ "$kb" -gt "$peak" ] && peak=$kb; done
            done
            median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
            if [ -z "$reference" ]; then reference=$(cat "$work/out"); same="(reference)"
            elif [ "$(cat "$work/out")" = "$reference" ]; then same="identical"
            else same="DIFFER"; fi
            printf '%-12s %-10s %-22s %10.3f %14d  %s\n' "$name" "$particles" "$ranks rank(s) x $threads thread(s)" "$median" $((peak / 1024)) "$same"
        done
    done
done
