#!/usr/bin/env bash
# Fuzz/run.sh SECONDS [JOBS] — builds the libFuzzer driver (ASan + fuzzer
# sanitizers, release) and fuzzes Wiggle for SECONDS, seeded with examples/ and
# Tests/corpus/. New inputs go to Fuzz/corpus/, crashes to Fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
jobs="${2:-1}"
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --product FuzzDriver
mkdir -p corpus artifacts seeds
cp ../examples/*.wgl ../Tests/corpus/*.wgl seeds/
# The backtracer trips a false ASan report and hangs on replay; turn it off.
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 \
    .build/release/FuzzDriver corpus seeds -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -max_len=4096 -jobs="$jobs" -workers="$jobs" -artifact_prefix=artifacts/ -print_final_stats=1
