#!/usr/bin/env bash
# Benchmark: the relay (separate JVM from the shaded jar) vs. direct, on loopback against the fake upstream.
# Usage: bench/run.sh [--streams 1000] [--jvm-opts "-Xmx256m ..."] [--out target/bench/benchmarks.md] [--after-seconds 60]
# BENCH_SKIP_BUILD=1 reuses the jar and classes from the last build.
# Results are printed and written to target/bench/; docs/benchmarks.md holds the published numbers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${BENCH_SKIP_BUILD:-0}" != "1" ]; then
  mvn -q -B -DskipTests clean package
fi
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null
# 1000 streams: the load generator and the fake hold a few thousand sockets and threads.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
exec java -Xss512k -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" io.codexrelay.bench.RelayBench "$@"
