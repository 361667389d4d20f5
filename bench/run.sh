#!/usr/bin/env bash
# Benchmark: the relay (separate JVM from the shaded jar) vs. direct, on loopback against the fake upstream.
# Usage: bench/run.sh [--streams 1000] [--jvm-opts "-Xmx256m ..."] [--out target/bench/benchmarks.md] [--after-seconds 60]
# BENCH_SKIP_BUILD=1 reuses the jar and classes from the last build.
# Results are printed and written to target/bench/; docs/benchmarks.md holds the published numbers.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/java-main.sh" io.codexrelay.bench.RelayBench "$@"
