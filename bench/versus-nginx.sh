#!/usr/bin/env bash
# The relay next to nginx over the same fake upstream and load: CPU per streaming request (and the ratio), added
# TTFB p50/p99 at 1, 16 and 64 streams, RSS. Needs nginx (apt-get install -y nginx-light); runs it unprivileged.
# Usage: bench/versus-nginx.sh [--jvm-opts "..."] [--deltas 5] [--requests 2000] [--rounds 4] [--concurrency 1,16,64]
#                              [--jfr target/bench/relay.jfr] [--syscalls] [--out target/bench/versus-nginx.md]
#                              [--jar JAR] [--versus-jar OTHER.jar] [--versus-jvm-opts "..."] [--warm-up-rounds 4]
#                              [--codex-like KB] [--gap-ms 0] [--log-rows 0]
# --versus-jar runs a second relay from another jar (say, main before a change) in the same run, interleaved;
# --versus-jvm-opts gives it other JVM options (alone: the same jar with other options).
# --gap-ms spaces the deltas as a model writing does (each event then arrives and leaves alone).
# --log-rows N starts each relay with N rows in its request log, as a relay that has served N requests (a full log: 200000).
# --codex-like sends what Codex sends: its headers and a body of about KB (history, tools, prompt_cache_key).
# --syscalls counts system calls and context switches per request for both (needs perf: apt-get install -y linux-perf).
# The relay gets the launcher's JVM options (installer/codex-relay) unless --jvm-opts is given; in the options, $LEAN
# stands for the launcher's desktop options and $SHARED for its CODEX_RELAY_PROFILE=shared ones (with its environment).
# BENCH_SKIP_BUILD=1 reuses the jar and classes from the last build.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/java-main.sh" io.codexrelay.bench.VersusNginx "$@"
