#!/usr/bin/env python3
"""Aggregates `jfr print --stack-depth 64 --events jdk.ExecutionSample` output: samples by thread group, by the
package of the top frame, and by the first relay (io.codexrelay) frame on the stack. Usage: bench/jfr-top.py FILE"""
import collections, re, sys

text = open(sys.argv[1]).read()
samples = text.split('jdk.ExecutionSample {')[1:]
threads, top_pkg, relay_frame, category = (collections.Counter() for _ in range(4))

def pkg(frame, depth=4):
    return '.'.join(frame.split('(')[0].split('.')[:depth])

# Work that does not call back into the request path: a sample counts here if the frame is anywhere on the stack.
LEAF_FEATURES = [
    ('request-log insert (SQLite)', 'io.codexrelay.store.RequestLog'),
    ('usage history (SQLite)', 'io.codexrelay.pool.UsageHistory'),
    ('SseTap (event scanning)', 'io.codexrelay.proxy.SseTap'),
    ('thread key / model (JsonPeek)', 'io.codexrelay.proxy.JsonPeek'),
    ('quota headers (parse + pool view)', 'io.codexrelay.pool.Quota'),
    ('quota headers (parse + pool view)', 'io.codexrelay.proxy.PooledUsage'),
    ('event bus', 'io.codexrelay.events.EventBus'),
    ('logging', 'ch.qos.logback'),
    ('JFR itself', 'jdk.jfr'),
]
# The rest: the frame nearest the top that matches decides (Jetty code called by the relay counts as Jetty).
NEAREST = [
    ('upstream request building (headers, body)', 'io.codexrelay.proxy.UpstreamClient'),
    ('Jetty client (upstream side)', 'org.eclipse.jetty.client'),
    ('Jetty server (Codex side)', 'org.eclipse.jetty.server'),
    ('Jetty I/O, HTTP parsing/generation', 'org.eclipse.jetty'),
    ('body reading', 'io.codexrelay.proxy.RequestBody'),
    ('relay request path (Turn, attempt, gate, pool)', 'io.codexrelay'),
]

def classify(frames):
    for name, needle in LEAF_FEATURES:
        if any(f.startswith(needle) for f in frames):
            return name
    for frame in frames:
        for name, needle in NEAREST:
            if frame.startswith(needle):
                return name
    return 'other: ' + pkg(frames[0], 3) if frames else 'other'

for s in samples:
    t = re.search(r'sampledThread = "([^"]+)"', s)
    threads[re.sub(r'[-\d]+$', '', t.group(1)) if t else '?'] += 1
    frames = re.findall(r'^\s{4}([\w.$<>]+)\(', s, re.M)
    if not frames:
        continue
    top_pkg[pkg(frames[0])] += 1
    relay = [f for f in frames if f.startswith('io.codexrelay')]
    relay_frame[relay[0] if relay else '(no relay frame)'] += 1
    category[classify(frames)] += 1

n = len(samples)
for title, c in [('threads', threads), ('category (the frame nearest the top that matches a rule)', category),
                 ('top frame package', top_pkg), ('first relay frame', relay_frame)]:
    print(f'\n## {title} ({n} samples)')
    for k, v in c.most_common(25):
        print(f'{v:6d} {100.0 * v / n:5.1f}%  {k}')
