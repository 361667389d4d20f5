#!/usr/bin/env python3
"""Where a relay's CPU goes, by area, from a perf profile: user and kernel time per area.

  perf record -F 1999 -g -p RELAY_PID -o relay.data -- sleep 25      (relay started with
      -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer; let it exit for the map)
  perf script -i relay.data | bench/perf-areas.py

Each sample is charged to one area: by its thread (request-log writer, event bus, JIT, GC), else by the innermost
relay frame on its stack and the Jetty frames inside it (the relay sending upstream through Jetty's client, or
answering Codex through Jetty's server), else by the Jetty side on the stack. Kernel time is what the sample's own
frame says (a system call under any of these areas is charged to that area). docs/benchmarks.md, round 7.
"""
import collections
import re
import sys

HEADER = re.compile(r"^(.*?)\s+\d+(?:/\d+)?\s")   # "thread name  pid/tid  time: ..."
FRAME = re.compile(r"(.*) \((.*)\)$")              # "symbol (dso)"


def area(thread, symbols):
    """The area one sample is charged to (symbols: leaf first)."""
    if thread.startswith("request-log"):
        return "request log (SQLite)"
    if thread.startswith(("C2 ", "C1 ")):
        return "JIT compiler"
    if thread.startswith(("VM Thread", "GC", "VM Periodic", "Native Heap")):
        return "GC / VM"
    if thread.startswith("relay-events"):
        return "event bus"
    relay = [i for i, s in enumerate(symbols) if "io.codexrelay" in s]
    if relay:
        inner = symbols[:relay[0]]
        if any("org.eclipse.jetty.client" in s for s in inner):
            return "Jetty client: sending"
        if any("org.eclipse.jetty" in s for s in inner):
            return "Jetty server/io: answering Codex"
        return "relay code"
    if any("org.eclipse.jetty.client" in s for s in symbols):
        return "Jetty client: receiving"
    if any("org.eclipse.jetty.server" in s for s in symbols):
        return "Jetty server: parsing requests"
    if any("org.eclipse.jetty" in s for s in symbols):
        return "Jetty io (selectors)"
    return "other"


def main():
    counts = collections.Counter()
    total = 0
    thread, frames = "", []

    def sample_ended():
        nonlocal total, frames
        if frames:
            total += 1
            where = area(thread, [f[0] for f in frames])
            counts[(where, "kernel" if "[kernel" in frames[0][1] else "user")] += 1
        frames = []

    for line in sys.stdin:
        if not line.strip():
            sample_ended()
        elif not line.startswith(("\t", " ")):
            m = HEADER.match(line)
            thread = m.group(1) if m else line.split()[0]
        else:
            parts = line.strip().split(" ", 1)
            if len(parts) == 2:
                m = FRAME.match(parts[1])
                frames.append((m.group(1), m.group(2)) if m else (parts[1], ""))
    sample_ended()
    if total == 0:
        sys.exit("no samples on stdin (perf script output expected)")

    def pct(n):
        return "%.1f %%" % (100.0 * n / total)

    areas = sorted({a for a, _ in counts}, key=lambda a: -(counts[(a, "user")] + counts[(a, "kernel")]))
    print("| where | user | kernel | all |\n|---|---|---|---|")
    for a in areas:
        print("| %s | %s | %s | %s |" % (a, pct(counts[(a, "user")]), pct(counts[(a, "kernel")]),
                                         pct(counts[(a, "user")] + counts[(a, "kernel")])))
    user = sum(v for (a, k), v in counts.items() if k == "user")
    print("| all | %s | %s | 100 %% |" % (pct(user), pct(total - user)))
    print("\n%d samples" % total)


if __name__ == "__main__":
    main()
