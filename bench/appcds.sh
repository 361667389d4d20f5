#!/usr/bin/env bash
# Start-up of the daemon with and without a dynamic AppCDS archive (JDK 17: -XX:ArchiveClassesAtExit once, then
# -XX:SharedArchiveFile): time from exec to the first 200 from /healthz, and RSS 5 s later, N starts each, alternating.
# Usage: bench/appcds.sh [JAR] [N]   (JAR defaults to target/codex-relay.jar, N to 5). Needs curl.
# The JVM options are the launcher's (LEAN_JVM_OPTS of installer/codex-relay). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jar="$(readlink -f "${1:-target/codex-relay.jar}")"
n="${2:-5}"
opts="$(sed -n 's/^LEAN_JVM_OPTS="\(.*\)"/\1/p' installer/codex-relay)"
work="$(mktemp -d /tmp/codex-relay-appcds-XXXXXX)"
trap 'rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

# start HOME EXTRA_OPTS... : prints "ms_to_healthz rss_kb" and stops the daemon with SIGTERM
start() {
  local home="$1"; shift
  local port; port="$(free_port)"
  mkdir -p "$home"
  printf '[server]\nport = %s\n\n[log]\nlevel = "warn"\n' "$port" > "$home/config.toml"
  local t0; t0="$(now_ms)"
  # shellcheck disable=SC2086
  CODEX_RELAY_HOME="$home" java $opts "$@" -jar "$jar" serve >"$home/out.log" 2>&1 &
  local pid=$!
  until curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" 2>/dev/null | grep -q 200; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "the daemon died: $(cat "$home/out.log")" >&2; exit 1; fi
    sleep 0.02
  done
  local t1; t1="$(now_ms)"
  for _ in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$port/v1/models" || true; done
  sleep 5
  local rss; rss="$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  echo "$((t1 - t0)) $rss"
}

archive="$work/relay.jsa"
t0="$(now_ms)"
start "$work/train" "-XX:ArchiveClassesAtExit=$archive" >/dev/null
echo "archive: $(du -k "$archive" | cut -f1) kB, training start + dump $(( $(now_ms) - t0 )) ms (JVM options: $opts)" >&2

echo "| start | without archive: ms to /healthz | RSS MB | with archive: ms to /healthz | RSS MB |"
echo "|---|---|---|---|---|"
for i in $(seq 1 "$n"); do
  read -r a ra < <(start "$work/plain-$i")
  read -r b rb < <(start "$work/cds-$i" "-XX:SharedArchiveFile=$archive")
  echo "| $i | $a | $((ra / 1024)) | $b | $((rb / 1024)) |"
done
echo
echo "- archive size: $(du -k "$archive" | cut -f1) kB; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
