#!/usr/bin/env bash
# Tray figures for docs/benchmarks.md ("Tray"): launch-to-tray-icon time, idle RSS and idle CPU of the daemon with its
# tray, on a throw-away desktop (Xvfb + trayer + a D-Bus session with dunst). Nothing here is a test.
#
#   bench/tray.sh                         # builds the shaded jar, 5 launches, 60 s idle sample
#   BENCH_SKIP_BUILD=1 bench/tray.sh --runs 3 --idle 30 --jvm-opts "-XX:+UseSerialGC -Xss512k -XX:TieredStopAtLevel=1"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=5 IDLE=60 JVM_OPTS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --idle) IDLE="$2"; shift 2 ;;
    --jvm-opts) JVM_OPTS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for t in Xvfb trayer xdotool dbus-run-session dunst; do command -v "$t" >/dev/null || { echo "missing: $t" >&2; exit 1; }; done
[ -n "${BENCH_SKIP_BUILD:-}" ] || mvn -q -o -DskipTests clean package 2>/dev/null || mvn -q -DskipTests clean package
JAR="$PWD/target/codex-relay.jar"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do
    pkill -TERM -P "${PIDS[$i]}" 2>/dev/null || true   # children of a process we started (by parent pid)
    kill "${PIDS[$i]}" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# A free display number.
N=150; while [ -e "/tmp/.X11-unix/X$N" ] || [ -e "/tmp/.X$N-lock" ]; do N=$((N+1)); done
export DISPLAY=":$N" NO_AT_BRIDGE=1
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$N" ] && break; sleep 0.1; done
trayer --edge top --align right --widthtype pixel --width 200 --height 32 --transparent false --tint 0x333333 >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 100); do xdotool search --name '^panel$' >/dev/null 2>&1 && break; sleep 0.1; done
dbus-run-session -- sh -c "printf '%s' \"\$DBUS_SESSION_BUS_ADDRESS\" > '$WORK/bus'; exec sleep 100000" & PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/bus" ] && break; sleep 0.1; done
export DBUS_SESSION_BUS_ADDRESS="$(cat "$WORK/bus")"
dunst >/dev/null 2>&1 & PIDS+=($!)

export CODEX_RELAY_HOME="$WORK/relay" CODEX_HOME="$WORK/codex" HOME="$WORK/home"
mkdir -p "$CODEX_RELAY_HOME" "$CODEX_HOME" "$HOME"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[server]\nport = %s\n[upstream]\ndefault_api_base_url = "http://127.0.0.1:9/v1"\n' "$PORT" > "$CODEX_RELAY_HOME/config.toml"
java -jar "$JAR" accounts add-key --name Key-1 --key sk-bench-0000000000000001 >/dev/null
java -jar "$JAR" accounts add-key --name Key-2 --key sk-bench-0000000000000002 >/dev/null

now_ms() { date +%s%3N; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

launch_times=() ready_times=()
for run in $(seq "$RUNS"); do
  t0=$(now_ms)
  # shellcheck disable=SC2086
  java $JVM_OPTS -jar "$JAR" >"$WORK/daemon-$run.log" 2>&1 & pid=$!
  until xdotool search --onlyvisible --name '^codex-relay$' >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "daemon died:"; cat "$WORK/daemon-$run.log"; exit 1; }
    sleep 0.02
  done
  t1=$(now_ms)
  launch_times+=($((t1 - t0)))
  for _ in $(seq 100); do grep -q "UI ready" "$WORK/daemon-$run.log" && break; sleep 0.05; done
  ready_times+=("$(sed -n 's/.*shown \([0-9]*\) ms after the process started.*/\1/p' "$WORK/daemon-$run.log" | head -n1)")
  if [ "$run" -lt "$RUNS" ]; then
    kill "$pid"; wait "$pid" 2>/dev/null || true
  fi
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "launch -> tray icon visible (ms, $RUNS runs): ${launch_times[*]}  median $(median "${launch_times[@]}")"
echo "process start -> UI ready, as the daemon logs it (ms): ${ready_times[*]}  median $(median "${ready_times[@]}")"

sleep 5
echo "RSS just started: $(rss_mb "$pid") MB"
sleep 25   # let start-up work (JIT, first GC, first quota poll) settle before sampling idle CPU
c0=$(cpu_ticks "$pid"); sleep "$IDLE"; c1=$(cpu_ticks "$pid")
echo "RSS after ${IDLE} s idle: $(rss_mb "$pid") MB"
awk -v d=$((c1 - c0)) -v t="$TICK" -v s="$IDLE" 'BEGIN {printf "CPU while idle: %d ticks in %d s = %.3f %% of one core\n", d, s, 100*d/t/s}'
# Open the settings window the way a second launch does, then measure again.
java -jar "$JAR" >/dev/null 2>&1 || true
sleep 5
window_rss() {  # the window's own process (the tray starts each window in a process of its own), if any
  local w; w=$(pgrep -P "$pid" java | head -n1) || true
  [ -n "$w" ] && echo "; its window process $(rss_mb "$w") MB" || echo "; no window process (window in the daemon)"
}
echo "RSS with the settings window open: $(rss_mb "$pid") MB$(window_rss)"
# Every window from the tray menu (Settings, Sessions, Request log), each opened by its menu mnemonic and closed
# with Esc, then 30 s idle: what stays resident once the windows are gone (issue 9's "tray idle" figure).
icon=$(xdotool search --onlyvisible --name '^codex-relay$' | tail -n1)
close_window() {  # $1: window title regex; a click gives it the keyboard focus (there is no window manager)
  local w; w=$(xdotool search --onlyvisible --name "$1" 2>/dev/null | tail -n1) || true
  [ -n "$w" ] || { echo "  (window '$1' did not open)"; return; }
  eval "$(xdotool getwindowgeometry --shell "$w")"
  xdotool mousemove $((X + WIDTH - 40)) $((Y + 14)) click 1; sleep 0.5; xdotool key Escape; sleep 1
  xdotool search --onlyvisible --name "$1" >/dev/null 2>&1 && echo "  (window '$1' still open after Esc)" || true
}
close_window 'settings'
for pair in "s:settings" "e:sessions" "l:request log"; do
  eval "$(xdotool getwindowgeometry --shell "$icon")"
  xdotool mousemove $((X + WIDTH / 2)) $((Y + HEIGHT / 2)) click 1; sleep 1.5
  xdotool key "${pair%%:*}"; sleep 4
  echo "RSS with the ${pair#*:} window open: $(rss_mb "$pid") MB$(window_rss)"
  close_window "${pair#*:}"
done
sleep 30
echo "RSS 30 s after every window was opened and closed: $(rss_mb "$pid") MB"
case "$JVM_OPTS" in *NativeMemoryTracking*)   # where it goes, by JVM category (committed)
  jcmd "$pid" VM.native_memory summary | grep -E '^(Total|-)' | sed -E 's/reserved=[0-9]+KB, //' ;; esac
kill "$pid"; wait "$pid" 2>/dev/null || true

# The same daemon headless (serve), for what the tray itself adds.
# shellcheck disable=SC2086
java $JVM_OPTS -jar "$JAR" serve >"$WORK/serve.log" 2>&1 & spid=$!
sleep 30
s0=$(cpu_ticks "$spid"); sleep "$IDLE"; s1=$(cpu_ticks "$spid")
echo "headless serve, same options: RSS $(rss_mb "$spid") MB after $((30 + IDLE)) s; CPU $((s1 - s0)) ticks in ${IDLE} s"
kill "$spid"; wait "$spid" 2>/dev/null || true
