#!/usr/bin/env bash
# What the Java benchmarks share: build the jar and test classes (unless BENCH_SKIP_BUILD=1), then run a bench class
# from src/test/java with the test classpath and enough file descriptors (1000 streams: the load generator and the
# fake hold a few thousand sockets). Usage: bench/java-main.sh io.codexrelay.bench.CLASS [ARGS...]
# (bench/run.sh, versus-nginx.sh, jit-modes.sh, sockets.sh and dialects.sh are this with their class.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
main="$1"
shift

# Offline first (fast, and this machine's usual case); online when something is missing from the local repository.
mvn_q() { mvn -o -q -B "$@" 2>/dev/null || mvn -q -B "$@"; }

if [ "${BENCH_SKIP_BUILD:-0}" != "1" ]; then
  mvn_q -DskipTests clean package
fi
mvn_q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
exec java -Xss512k -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" "$main" "$@"
