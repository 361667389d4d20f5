#!/usr/bin/env bash
# How often an idle headless relay wakes up (the user's battery): starts `serve` from the jar in a throw-away home
# with one API-key account, waits, then counts context switches per thread over a window.
# Usage: bench/idle-wakeups.sh [--jvm-opts "..."] [--settle 20] [--seconds 30]
# The relay gets the launcher's JVM options (installer/codex-relay) unless --jvm-opts is given.
# BENCH_SKIP_BUILD=1 reuses target/codex-relay.jar.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

opts="$(sed -n 's/^LEAN_JVM_OPTS="\(.*\)"$/\1/p' installer/codex-relay)"
settle=20
seconds=30
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jvm-opts) opts="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "idle-wakeups.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "${BENCH_SKIP_BUILD:-0}" != "1" ]; then
  mvn -o -q -B -DskipTests clean package
fi
jar=target/codex-relay.jar
home="$(mktemp -d /tmp/codex-relay-idle-XXXXXX)"
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$home"' EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
printf '[server]\nport = %s\n\n[log]\nlevel = "warn"\n' "$port" > "$home/config.toml"
CODEX_RELAY_HOME="$home" HOME="$home" IDLE_KEY=sk-idle-0000000000000000 \
  java -jar "$jar" accounts add-key --name idle --key-env IDLE_KEY --base-url http://127.0.0.1:9/v1 >/dev/null
# shellcheck disable=SC2086
CODEX_RELAY_HOME="$home" HOME="$home" java $opts -jar "$jar" serve >"$home/serve.log" 2>&1 &
pid=$!
sleep "$settle"

snapshot() { # tid name switches
  for t in /proc/"$pid"/task/*; do
    local name sw
    name="$(cat "$t/comm" 2>/dev/null)" || continue
    sw="$(awk '/voluntary_ctxt_switches/ {s += $2} END {print s}' "$t/status" 2>/dev/null)" || continue
    printf '%s\t%s\t%s\n' "${t##*/}" "$name" "$sw"
  done
}
ticks() { awk '{print $14 + $15}' /proc/"$pid"/stat; }

before="$(snapshot)"; t0="$(ticks)"
sleep "$seconds"
after="$(snapshot)"; t1="$(ticks)"

echo "relay JVM options: $opts"
echo "RSS after ${settle}+${seconds} s idle: $(awk '/VmRSS/ {print int($2/1024)}' /proc/"$pid"/status) MB"
echo "CPU over the ${seconds} s window: $(( (t1 - t0) * 10 )) ms"
echo
echo "| thread (numbers dropped) | wake-ups per second |"
echo "|---|---|"
join -t $'\t' -a 2 -e 0 -o '2.2,1.3,2.3' <(echo "$before" | sort) <(echo "$after" | sort) \
  | awk -F '\t' -v s="$seconds" '{ n = $1; sub(/[-#0-9]+$/, "", n); w[n] += $3 - $2; total += $3 - $2 }
      END { for (n in w) if (w[n] > 0) printf "| %s | %.2f |\n", n, w[n] / s; printf "| **all threads** | **%.2f** |\n", total / s }' \
  | sort -t '|' -k3 -rn
