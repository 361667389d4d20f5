#!/usr/bin/env bash
# The relay's JIT choices over its life: for each mode (a set of JVM options), a fresh relay from the jar, measured
# from its first request on: ms to /healthz, RSS just started, TTFB p50 and CPU per request over consecutive
# stretches of requests (1, 9, 90, 900, 4000 one at a time, then 2 x 16000 at 16 streams, then 2000 one at a time),
# RSS idle 10 s after. Modes run one after another, rotated every start.
# Usage: bench/jit-modes.sh [--jar JAR] [--starts 2] [--out target/bench/jit-modes.md] [--stretches 1x1,1x9,...,16x16000]
#                           [--modes 'name=OPTS;;name=OPTS']  (default: the launcher's desktop and shared profiles)
# In OPTS, $LEAN stands for the launcher's options, $SHARED for what it runs with CODEX_RELAY_PROFILE=shared;
# a NAME=value word is put in the relay's environment.
# BENCH_SKIP_BUILD=1 reuses the jar and classes from the last build.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/java-main.sh" io.codexrelay.bench.JitModes "$@"
