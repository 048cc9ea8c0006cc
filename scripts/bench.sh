#!/usr/bin/env bash
# `make bench`: builds lanyard and the benchmark tools in release mode, then runs Benchmarks/bench.py, which
# starts every server it measures (lanyard up, nginx, moto) on loopback, in a network namespace it creates,
# or in pods, and writes docs/benchmarks.md. Whatever happens, the trap below stops every process the run
# started (by the process-group ids it recorded) and deletes the namespaces it created.
#
# Environment: BENCH_SECONDS (10), BENCH_SOAK_SECONDS (1500), BENCH_PODS (100), BENCH_LIST_SIZES
# (10000,100000,1000000), BENCH_LIST_MAX_KEYS (1000000), BENCH_MOTO_LIST_MAX_KEYS (10000),
# BENCH_POPULATE_SECONDS (900), BENCH_MAX_REQUESTS (300000), BENCH_OUTPUT (docs/benchmarks.md),
# BENCH_SECTIONS (all of metadata,sts,oss,policy,memory,credentials).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "bench: needs root (pods and network namespaces)" >&2
    exit 1
fi
scripts/bench-deps.sh

work=$(mktemp -d /tmp/lanyard-bench.XXXXXX)
cleanup() {
    status=$?
    if [ -f "$work/pids" ]; then
        while read -r pid; do kill -KILL -- "-$pid" 2>/dev/null || true; done < "$work/pids"
    fi
    if [ -f "$work/netns" ]; then
        while read -r ns; do ip netns del "$ns" 2>/dev/null || true; done < "$work/netns"
    fi
    if [ "${BENCH_KEEP_WORK:-0}" = 1 ]; then echo "bench: work directory kept: $work" >&2; else rm -rf "$work"; fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The generator must build; a part of Lanyard that does not build yet only empties its rows.
echo "bench: building lanyard and the benchmark tools (release)"
bin=$(swift build -c release --show-bin-path)
swift build -c release --product lanyard-bench
lanyard=""
if swift build -c release --product lanyard >"$work/build-lanyard.log" 2>&1; then
    lanyard=$bin/lanyard
else
    echo "bench: lanyard does not build; its rows will say so:" >&2
    grep -m5 "error:" "$work/build-lanyard.log" >&2 || true
fi
policy=""
swift build -c release --product lanyard-bench-policy && policy=$bin/lanyard-bench-policy
credentials=""
swift build -c release --product lanyard-bench-credentials && credentials=$bin/lanyard-bench-credentials

BENCH_WORK=$work BENCH_LANYARD=$lanyard BENCH_GENERATOR=$bin/lanyard-bench BENCH_POLICY=$policy \
    BENCH_CREDENTIALS=$credentials \
    .venv-bench/bin/python Benchmarks/bench.py
