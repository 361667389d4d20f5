#!/usr/bin/env bash
# Benchmark: Codex's Responses over WebSocket through the relay (separate JVM from the shaded jar) vs. direct to the
# fake upstream: per-event delay, time to first event (1 and 64 sockets), RSS of 1000 idle sockets, bytes upstream
# per turn over a 50-turn session (anchored WebSocket vs. full HTTP).
# Usage: bench/sockets.sh [--requests 40] [--idle 1000] [--jvm-opts "..."] [--out target/bench/sockets.md]
# BENCH_SKIP_BUILD=1 reuses the jar and classes from the last build.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/java-main.sh" io.codexrelay.bench.SocketBench "$@"
