#!/usr/bin/env bash
# Time to first byte and CPU per request of each client dialect through the relay (Responses, Chat Completions,
# Anthropic Messages) over the same fake upstream, side by side with claude-code-router (Anthropic -> Chat
# Completions) when --ccr points at an install of it outside the repo:
#   npm install --prefix /work/tools/ccr --save-exact @musistudio/claude-code-router@2.0.0
# Usage: bench/dialects.sh [--ccr /work/tools/ccr] [--jvm-opts "..."] [--requests 1000] [--rounds 4]
#                          [--concurrency 1,16] [--out target/bench/dialects.md]
# The relay gets the launcher's JVM options (installer/codex-relay) unless --jvm-opts is given.
# BENCH_SKIP_BUILD=1 reuses the jar and classes from the last build.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/java-main.sh" io.codexrelay.bench.DialectBench "$@"
