#!/usr/bin/env bash
# Benchmark: Codex's Responses over WebSocket through the relay (separate JVM from the shaded jar) vs. direct to the
# fake upstream: per-event delay, time to first event (1 and 64 sockets), RSS of 1000 idle sockets, bytes upstream
# per turn over a 50-turn session (anchored WebSocket vs. full HTTP).
# Usage: bench/sockets.sh [--requests 40] [--idle 1000] [--jvm-opts "..."] [--out target/bench/sockets.md]
# BENCH_SKIP_BUILD=1 reuses the jar and classes from the last build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${BENCH_SKIP_BUILD:-0}" != "1" ]; then
  mvn -q -B -DskipTests clean package
fi
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
exec java -Xss512k -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" io.codexrelay.bench.SocketBench "$@"
