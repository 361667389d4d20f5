package io.codexrelay.bench;

import io.codexrelay.config.RelayConfig;
import io.codexrelay.store.Database;
import io.codexrelay.store.RequestLog;
import io.codexrelay.store.RequestRecord;
import io.codexrelay.testing.FakeUpstream;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load generator: the relay (a separate JVM started from the shaded jar, as users run it) against the in-process
 * {@link FakeUpstream}, compared with the same requests sent to the fake directly, all on loopback.
 *
 * <p>Measures time to first byte (p50/p99) at 1 and 64 concurrent streams, per-event forwarding delay, 1000
 * concurrent streams (errors, incomplete streams) and the relay's resident memory (VmRSS of its process) idle and
 * under 1000 streams. Run with {@code bench/run.sh}; the report is printed and written to {@code target/bench/}.
 */
public final class RelayBench {
    private static final String KEY = "sk-bench-0000000000000000";
    private static final byte[] BODY = ("{\"model\":\"gpt-5-codex\",\"stream\":true,\"store\":false,"
            + "\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"benchmark\"}]}]}")
            .getBytes(StandardCharsets.UTF_8);

    /** One finished stream. Times in nanoseconds; {@code eventDelays} only for stamped streams. */
    record Sample(int status, boolean completed, String error, long ttfb, long total, long[] eventDelays, long createdDelay) {
        boolean ok() { return status == 200 && completed && error == null; }
    }

    /** Where requests go: straight to the fake, or through the relay. */
    /** Where a batch goes, with what headers and body (the small default body unless one is given). */
    record Target(String name, String url, Map<String, String> headers, byte[] body) {
        Target(String name, String url, Map<String, String> headers) { this(name, url, headers, BODY); }

        Target with(Map<String, String> moreHeaders, byte[] otherBody) {
            Map<String, String> h = new java.util.LinkedHashMap<>(headers);
            h.putAll(moreHeaders);
            return new Target(name, url, h, otherBody);
        }
    }

    private final HttpClient client;
    private final FakeUpstream fake;
    private final Target direct;
    private final Target relay;

    RelayBench(HttpClient client, FakeUpstream fake, Target direct, Target relay) {
        this.client = client;
        this.fake = fake;
        this.direct = direct;
        this.relay = relay;
    }

    /** --after-seconds N: keep sampling the relay's RSS every 5 s for N s after the load (does the memory come back?). */
    private static int afterSeconds;

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(arg(args, "--jar", "target/codex-relay.jar"));
        String jvmOpts = arg(args, "--jvm-opts", "");
        int streams = Integer.parseInt(arg(args, "--streams", "1000"));
        Path out = Path.of(arg(args, "--out", "target/bench/benchmarks.md"));
        int runs = Integer.parseInt(arg(args, "--runs", "3"));
        boolean concurrentOnly = Arrays.asList(args).contains("--concurrent-only");
        Path keepLog = Path.of(arg(args, "--relay-log", "target/bench/bench-relay.log"));
        afterSeconds = Integer.parseInt(arg(args, "--after-seconds", "0"));
        if (!Files.isRegularFile(jar)) throw new IllegalStateException(jar + " not found: run `mvn -q -DskipTests clean package` first");

        HttpClient client = loadClient(streams * 2 + 64, streams * 4 + 1024);
        StringBuilder report = new StringBuilder();
        try (FakeUpstream fake = new FakeUpstream(); RelayProcess proc = RelayProcess.start(jar, jvmOpts, fake.apiBaseUrl(), KEY, streams, keepLog)) {
            Target direct = new Target("direct", fake.apiBaseUrl() + "/responses", Map.of("authorization", "Bearer " + KEY));
            Target relay = new Target("relay", "http://127.0.0.1:" + proc.port() + "/v1/responses", Map.of("x-relay-key", proc.clientKey()));
            new RelayBench(client, fake, direct, relay).run(proc, jvmOpts, streams, runs, concurrentOnly, report);
        } finally {
            client.stop();
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report);
        System.out.println(report);
        System.out.println("(written to " + out + ")");
    }

    void run(RelayProcess proc, String jvmOpts, int streams, int runs, boolean concurrentOnly, StringBuilder r) throws Exception {
        r.append("## Run of ").append(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)).append("\n\n");
        r.append(Machine.describe()).append("- relay JVM options: `").append(jvmOpts.isBlank() ? "(none: JVM defaults)" : jvmOpts).append("`\n\n");

        long rssStart = proc.rssKb();
        long rssIdle = rssStart;
        if (!concurrentOnly) {
        step("warm-up");
        fake.setDefault(FakeUpstream.success("warm"));
        for (int round = 0; round < 6; round++) {
            batch(direct, 16, 500);
            batch(relay, 16, 500);
        }
        Thread.sleep(3000);
        rssIdle = proc.rssKb();

        r.append("### Time to first byte (request sent -> first body byte), small complete stream\n\n");
        r.append("| concurrent streams | path | requests | errors | p50 ms | p90 ms | p99 ms | added p50 ms | added p99 ms | relay CPU per request ms |\n");
        r.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (int c : new int[] {1, 64}) {
            int per = c == 1 ? 2000 : 60;
            step("TTFB at " + c);
            List<Sample> d = new ArrayList<>(), rl = new ArrayList<>();
            long relayCpu = 0;
            for (int round = 0; round < 4; round++) { // interleave so drift hits both paths alike
                d.addAll(batch(direct, c, c * per / 4));
                long cpu0 = proc.cpuMillis();
                rl.addAll(batch(relay, c, c * per / 4));
                relayCpu += proc.cpuMillis() - cpu0;
            }
            long[] dt = ttfbs(d), rt = ttfbs(rl);
            row(r, c, direct.name(), d, dt, null, -1);
            row(r, c, relay.name(), rl, rt, dt, (double) relayCpu / rl.size());
        }

        r.append("\n### Per-event forwarding delay (event written by the fake -> event read by the client)\n\n");
        r.append("Stamped streams: 20 text deltas 20 ms apart. The delay through the relay minus the delay of the direct path is what the relay adds. ")
                .append("`response.created` is left out of the percentiles: the relay may hold it until the next event arrives (it decides on failover before ")
                .append("committing the stream), so it waits about one gap (20 ms); its p50 is the last column.\n\n");
        r.append("| concurrent streams | path | events | p50 ms | p99 ms | max ms | response.created p50 ms |\n|---|---|---|---|---|---|---|\n");
        fake.setDefault(FakeUpstream.stampedSuccess("stamped", 20, 20));
        for (int c : new int[] {1, 64}) {
            step("event delay at " + c);
            for (Target t : List.of(direct, relay)) {
                List<Sample> s = batch(t, c, c == 1 ? 20 : 128);
                long[] delays = s.stream().filter(Sample::ok).flatMapToLong(x -> Arrays.stream(x.eventDelays())).sorted().toArray();
                r.append("| ").append(c).append(" | ").append(t.name()).append(" | ").append(delays.length).append(" | ")
                        .append(ms(pct(delays, 50))).append(" | ").append(ms(pct(delays, 99))).append(" | ")
                        .append(ms(delays.length == 0 ? 0 : delays[delays.length - 1])).append(" | ")
                        .append(ms(pct(s.stream().filter(Sample::ok).mapToLong(Sample::createdDelay).filter(x -> x >= 0).sorted().toArray(), 50)))
                        .append(" |\n");
            }
        }

        }

        r.append("\n### ").append(streams).append(" concurrent streams through the relay\n\n");
        r.append("Each stream: 20 deltas 100 ms apart (about 2.3 s), all started at once; the relay's VmRSS sampled every 50 ms.\n\n");
        r.append("| run | streams | ok | errors / incomplete | peak in flight at the fake | wall s | relay peak RSS MB | relay peak threads |\n|---|---|---|---|---|---|---|---|\n");
        fake.setDefault(FakeUpstream.slowSuccess("many", 20, 100));
        long peakRss = 0;
        for (int run = 1; run <= runs; run++) {
            step(streams + " streams, run " + run);
            fake.reset();
            fake.setDefault(FakeUpstream.slowSuccess("many", 20, 100));
            AtomicLong peak = new AtomicLong(proc.rssKb());
            AtomicLong peakThreads = new AtomicLong(proc.threads());
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peak.accumulateAndGet(proc.rssKb(), Math::max);
                    peakThreads.accumulateAndGet(proc.threads(), Math::max);
                    try { Thread.sleep(50); } catch (InterruptedException e) { return; }
                }
            }, "rss-sampler");
            sampler.setDaemon(true);
            sampler.start();
            // With -XX:NativeMemoryTracking the last run also takes an NMT summary mid-load (1.5 s in, streams at their peak).
            boolean nmt = jvmOpts.contains("NativeMemoryTracking") && run == runs;
            CompletableFuture<Map<String, Long>> nmtAtPeak = nmt
                    ? CompletableFuture.supplyAsync(() -> { sleepQuietly(1500); return nativeMemory(proc.pid()); })
                    : CompletableFuture.completedFuture(Map.of());
            if (nmt) nmtAtPeakResult = nmtAtPeak;
            long t0 = System.nanoTime();
            List<Sample> s = batch(relay, streams, streams);
            long wall = System.nanoTime() - t0;
            sampler.interrupt();
            sampler.join();
            peakRss = Math.max(peakRss, peak.get());
            long ok = s.stream().filter(Sample::ok).count();
            r.append("| ").append(run).append(" | ").append(streams).append(" | ").append(ok).append(" | ").append(s.size() - ok)
                    .append(errorSummary(s)).append(" | ").append(fake.peakInFlight(KEY)).append(" | ")
                    .append(String.format(Locale.ROOT, "%.1f", wall / 1e9)).append(" | ").append(peak.get() / 1024).append(" | ")
                    .append(peakThreads.get()).append(" |\n");
            System.err.println("[bench] run " + run + ": " + ok + "/" + s.size() + " ok" + errorSummary(s) + "; relay in flight after: " + proc.status());
        }
        Thread.sleep(5000);
        long rssAfter = proc.rssKb();

        r.append("\n### Relay memory (VmRSS of the relay process)\n\n| when | RSS MB |\n|---|---|\n");
        r.append("| just started (").append(proc.threadsAtStart()).append(" threads) | ").append(rssStart / 1024).append(" |\n");
        r.append("| idle after warm-up | ").append(rssIdle / 1024).append(" |\n");
        r.append("| peak during ").append(streams).append(" concurrent streams | ").append(peakRss / 1024).append(" |\n");
        r.append("| idle 5 s after the load | ").append(rssAfter / 1024).append(" |\n\n");
        if (afterSeconds > 0) {
            r.append("### Relay RSS after the load (sampled every 5 s)\n\n| s after the last stream | RSS MB |\n|---|---|\n");
            r.append("| 5 | ").append(rssAfter / 1024).append(" |\n");
            for (int t = 10; t <= afterSeconds; t += 5) {
                Thread.sleep(5000);
                r.append("| ").append(t).append(" | ").append(proc.rssKb() / 1024).append(" |\n");
            }
            r.append('\n');
        }
        if (nmtAtPeakResult != null) {
            Map<String, Long> peakNmt = nmtAtPeakResult.get();
            Map<String, Long> afterNmt = nativeMemory(proc.pid());
            r.append("### Native Memory Tracking, committed MB (`jcmd PID VM.native_memory summary`)\n\n")
                    .append("| category | at peak (1.5 s into the last run) | ").append(afterSeconds > 0 ? afterSeconds : 5).append(" s after |\n|---|---|---|\n");
            for (String category : peakNmt.keySet()) {
                r.append("| ").append(category).append(" | ").append(mb(peakNmt.get(category))).append(" | ")
                        .append(mb(afterNmt.getOrDefault(category, 0L))).append(" |\n");
            }
            r.append('\n');
        }
    }

    private static CompletableFuture<Map<String, Long>> nmtAtPeakResult;

    private static String mb(long kb) {
        return String.format(Locale.ROOT, "%.1f", kb / 1024.0);
    }

    private static void sleepQuietly(long millis) {
        try { Thread.sleep(millis); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }

    /** Committed kB per NMT category ("Total" first) from `jcmd PID VM.native_memory summary`; empty when jcmd fails. */
    static Map<String, Long> nativeMemory(long pid) {
        Map<String, Long> committed = new java.util.LinkedHashMap<>();
        java.util.regex.Pattern total = java.util.regex.Pattern.compile("^Total: reserved=\\d+KB, committed=(\\d+)KB");
        java.util.regex.Pattern category = java.util.regex.Pattern.compile("^-\\s+(.+?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)");
        try {
            String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            Process p = new ProcessBuilder(jcmd, Long.toString(pid), "VM.native_memory", "summary").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            for (String line : out.split("\n")) {
                var t = total.matcher(line.trim());
                if (t.find()) committed.put("Total", Long.parseLong(t.group(1)));
                var c = category.matcher(line.trim());
                if (c.find()) committed.put(c.group(1).trim(), Long.parseLong(c.group(2)));
            }
        } catch (IOException e) {
            System.err.println("[bench] jcmd failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return committed;
    }

    private static void step(String what) {
        System.err.println("[bench] " + what + " ...");
    }

    private static void row(StringBuilder r, int c, String path, List<Sample> s, long[] t, long[] baseline, double cpuPerRequest) {
        long errors = s.stream().filter(x -> !x.ok()).count();
        r.append("| ").append(c).append(" | ").append(path).append(" | ").append(s.size()).append(" | ").append(errors).append(errorSummary(s))
                .append(" | ").append(ms(pct(t, 50))).append(" | ").append(ms(pct(t, 90))).append(" | ").append(ms(pct(t, 99))).append(" | ");
        if (baseline == null) r.append("– | – | – |\n");
        else r.append(ms(pct(t, 50) - pct(baseline, 50))).append(" | ").append(ms(pct(t, 99) - pct(baseline, 99))).append(" | ")
                .append(String.format(Locale.ROOT, "%.3f", cpuPerRequest)).append(" |\n");
    }

    private static String errorSummary(List<Sample> s) {
        var first = s.stream().filter(x -> !x.ok()).findFirst();
        return first.map(x -> " (first: " + (x.error() != null ? x.error() : "HTTP " + x.status() + (x.completed() ? "" : ", no response.completed")) + ")")
                .orElse("");
    }

    private static long[] ttfbs(List<Sample> s) {
        return s.stream().filter(Sample::ok).mapToLong(Sample::ttfb).sorted().toArray();
    }

    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    /** The benchmarks' load generator: a started Jetty client on its own pool ("bench-client" threads). */
    static HttpClient loadClient(int connectionsPerDestination, int queuedPerDestination) throws Exception {
        QueuedThreadPool clientThreads = new QueuedThreadPool(64, 8);
        clientThreads.setName("bench-client");
        HttpClient client = new HttpClient();
        client.setExecutor(clientThreads);
        client.setMaxConnectionsPerDestination(connectionsPerDestination);
        client.setMaxRequestsQueuedPerDestination(queuedPerDestination);
        client.setIdleTimeout(120_000);
        client.setConnectTimeout(10_000);
        client.start();
        return client;
    }

    /** {@code total} requests to {@code t}, at most {@code concurrency} at a time; returns every sample. */
    List<Sample> batch(Target t, int concurrency, int total) throws Exception {
        fake.forgetReceived(); // no bench reads them; kept, they grow without end
        ConcurrentLinkedQueue<Sample> out = new ConcurrentLinkedQueue<>();
        AtomicLong next = new AtomicLong();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            workers.add(done);
            chain(t, next, total, out, done);
        }
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(15, TimeUnit.MINUTES);
        return new ArrayList<>(out);
    }

    private void chain(Target t, AtomicLong next, int total, ConcurrentLinkedQueue<Sample> out, CompletableFuture<Void> done) {
        if (next.getAndIncrement() >= total) {
            done.complete(null);
            return;
        }
        stream(t).whenComplete((s, ex) -> {
            out.add(s != null ? s : new Sample(0, false, String.valueOf(ex), 0, 0, new long[0], -1));
            chain(t, next, total, out, done);
        });
    }

    /** Sends one streaming request; completes when the response has been read to the end. */
    CompletableFuture<Sample> stream(Target t) {
        CompletableFuture<Sample> f = new CompletableFuture<>();
        Request req = client.newRequest(URI.create(t.url())).method(HttpMethod.POST).timeout(10, TimeUnit.MINUTES)
                .headers(h -> {
                    h.put("content-type", "application/json");
                    h.put("accept", "text/event-stream");
                    t.headers().forEach(h::put);
                })
                .body(new BytesRequestContent("application/json", t.body()));
        long t0 = System.nanoTime();
        req.send(new Response.Listener() {
            long first = -1;
            final StringBuilder pending = new StringBuilder();
            final List<Long> delays = new ArrayList<>();
            boolean completed;
            long createdDelay = -1;

            @Override
            public void onContent(Response response, ByteBuffer content) {
                long now = System.nanoTime();
                if (first < 0) first = now - t0;
                pending.append(StandardCharsets.UTF_8.decode(content));
                int end;
                while ((end = pending.indexOf("\n\n")) >= 0) {
                    String event = pending.substring(0, end);
                    pending.delete(0, end + 2);
                    long sent = FakeUpstream.sentNanos(event);
                    // response.created may be held until the next event (failover decision): measured apart.
                    if (sent > 0 && event.contains("\"type\":\"response.created\"")) createdDelay = now - sent;
                    else if (sent > 0) delays.add(now - sent);
                    if (event.contains("\"response.completed\"")) completed = true;
                }
            }

            @Override
            public void onComplete(Result result) {
                long total = System.nanoTime() - t0;
                int status = result.getResponse() == null ? 0 : result.getResponse().getStatus();
                String err = result.isFailed() ? String.valueOf(result.getFailure()) : null;
                if (err == null && status != 200) err = "HTTP " + status + ": " + pending.substring(0, Math.min(400, pending.length()));
                f.complete(new Sample(status, completed, err, first, total, delays.stream().mapToLong(Long::longValue).toArray(), createdDelay));
            }
        });
        return f;
    }

    /** The value after {@code name} in a bench's arguments, or {@code def}: what every bench main reads its options with. */
    static String arg(String[] args, String name, String def) {
        for (int i = 0; i < args.length - 1; i++) if (args[i].equals(name)) return args[i + 1];
        return def;
    }

    /** The relay as users run it: {@code java -jar codex-relay.jar serve}, in its own process with a temp home. */
    static final class RelayProcess implements AutoCloseable {
        private final Process process;
        private final int port;
        private final String clientKey;
        private final Path home;
        private final long threadsAtStart;

        private RelayProcess(Process process, int port, String clientKey, Path home) {
            this.process = process;
            this.port = port;
            this.clientKey = clientKey;
            this.home = home;
            this.threadsAtStart = threads();
        }

        long threadsAtStart() { return threadsAtStart; }

        private Path keepLog;
        private long startMillis;

        static RelayProcess start(Path jar, String jvmOpts, String upstreamBase, String key, int streams, Path keepLog) throws Exception {
            return start(jar, jvmOpts, upstreamBase, key, streams, keepLog, "");
        }

        /** {@code extraConfig}: more TOML appended to the relay's config (e.g. a {@code [websocket]} table). */
        static RelayProcess start(Path jar, String jvmOpts, String upstreamBase, String key, int streams, Path keepLog,
                                  String extraConfig) throws Exception {
            Path home = Files.createTempDirectory("codex-relay-bench-");
            int port;
            try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
            Files.writeString(home.resolve("config.toml"), "[server]\nport = " + port + "\n\n[upstream]\ndefault_api_base_url = \""
                    + upstreamBase + "\"\n\n[pool]\napi_key_max_concurrent = " + (streams * 2) + "\n\n[log]\nlevel = \"warn\"\n" + extraConfig);
            Path log = home.resolve("bench-relay.log");
            List<String> add = new ArrayList<>(List.of(javaBin(), "-jar", jar.toString(), "accounts", "add-key", "--name", "bench",
                    "--key-env", "BENCH_KEY", "--base-url", upstreamBase, "--max-concurrent", Integer.toString(streams * 2)));
            ProcessBuilder pb = new ProcessBuilder(add).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("CODEX_RELAY_HOME", home.toString());
            pb.environment().put("BENCH_KEY", key);
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("accounts add-key failed: " + Files.readString(log));
            }
            if (logRowsBeforeStart > 0) fillRequestLog(home.resolve("relay.db"), logRowsBeforeStart);
            List<String> cmd = new ArrayList<>();
            cmd.add(javaBin());
            Map<String, String> env = new java.util.HashMap<>();
            for (String o : jvmOpts.isBlank() ? new String[0] : jvmOpts.trim().split("\\s+")) {
                // NAME=value (an upper-case name) is the environment the launcher would set, e.g. MALLOC_ARENA_MAX=2
                if (o.matches("[A-Z][A-Z0-9_]*=.*")) env.put(o.substring(0, o.indexOf('=')), o.substring(o.indexOf('=') + 1));
                else cmd.add(o);
            }
            cmd.addAll(List.of("-jar", jar.toString(), "serve"));
            ProcessBuilder serve = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            serve.environment().put("CODEX_RELAY_HOME", home.toString());
            serve.environment().putAll(env);
            long launched = System.nanoTime();
            Process relay = serve.start();
            java.net.http.HttpClient probe = java.net.http.HttpClient.newHttpClient();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                try {
                    var resp = probe.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                            java.net.http.HttpResponse.BodyHandlers.discarding());
                    if (resp.statusCode() == 200) break;
                } catch (IOException e) {
                    // not up yet
                }
                if (!relay.isAlive() || System.nanoTime() > deadline) {
                    relay.destroyForcibly();
                    throw new IllegalStateException("the relay did not start: " + Files.readString(log));
                }
                Thread.sleep(20);
            }
            long startedMillis = (System.nanoTime() - launched) / 1_000_000;
            String clientKey = Files.readString(home.resolve("client.key")).trim();
            RelayProcess rp = new RelayProcess(relay, port, clientKey, home);
            rp.keepLog = keepLog;
            rp.startMillis = startedMillis;
            return rp;
        }

        /**
         * Rows put in the request log of every relay started after this is set, before it starts: a relay that has
         * served a while has a full log (200 000 rows by default), a fresh one an empty one.
         */
        static int logRowsBeforeStart;

        /** Writes {@code rows} request-log rows into a relay's database, through the relay's own {@link RequestLog}. */
        static void fillRequestLog(Path db, int rows) throws Exception {
            Instant t0 = Instant.now().minusMillis(rows * 100L);
            try (Database database = new Database(db);
                 RequestLog log = new RequestLog(database, RelayConfig.defaults().log(), java.time.Clock.systemUTC())) {
                for (int i = 0; i < rows; i++) {
                    log.append(new RequestRecord(0, t0.plusMillis(i * 100L), "bench", "gpt-5.5", "/v1/responses", 200, 300L,
                            9000L, 52000L, 48000L, 800L, 200L, List.of("bench:200"), null,
                            "019a" + Integer.toHexString(i / 20) + "-bench-session", null, "codex"));
                    if (i % 20_000 == 19_999) log.flush(); // the writer's queue is bounded
                }
                log.flush();
            }
        }

        private static String javaBin() {
            return Path.of(System.getProperty("java.home"), "bin", "java").toString();
        }

        int port() { return port; }

        /** From launching the JVM to the first 200 from {@code /healthz} (polled every 20 ms). */
        long startMillis() { return startMillis; }

        long pid() { return process.pid(); }

        /** The relay's {@code /_relay/admin/status} as JSON (in-flight counts), or why it could not be read. */
        String status() {
            try {
                String admin = Files.readString(home.resolve("admin.json"));
                String token = new com.fasterxml.jackson.databind.ObjectMapper().readTree(admin).path("token").asText();
                var resp = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/_relay/admin/status")).header("authorization", "Bearer " + token).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                return resp.statusCode() + " " + resp.body();
            } catch (Exception e) {
                return "(status not readable: " + e + ")";
            }
        }
        String clientKey() { return clientKey; }

        /** User + system CPU time the relay process has used, in ms (Linux, assumes 100 clock ticks per second), else -1. */
        long cpuMillis() {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        /** VmRSS of the relay process in kB (Linux), else -1. */
        long rssKb() { return statusField("VmRSS:"); }

        /** Number of threads of the relay process (Linux), else -1. */
        long threads() { return statusField("Threads:"); }

        private long statusField(String name) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                    if (line.startsWith(name)) return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            } catch (IOException | NumberFormatException e) {
                // not Linux, or the process is gone
            }
            return -1;
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(40, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            if (keepLog != null) { // the relay's own log, kept for a post-mortem (the temp home goes)
                Files.createDirectories(keepLog.toAbsolutePath().getParent());
                Files.copy(home.resolve("bench-relay.log"), keepLog, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                try (var logs = Files.list(home.resolve("logs"))) {
                    for (Path l : (Iterable<Path>) logs::iterator) {
                        Files.copy(l, keepLog.resolveSibling("relay-" + l.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException ignored) {
                    // no logs directory
                }
            }
            try (var files = Files.walk(home)) {
                files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The machine, for the report. */
    static final class Machine {
        static String describe() {
            StringBuilder sb = new StringBuilder();
            String cpu = "unknown CPU";
            try {
                cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                        .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
            } catch (IOException ignored) {
            }
            String mem = "";
            try {
                mem = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                        .findFirst().map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024 / 1024 + " GB RAM").orElse("");
            } catch (IOException ignored) {
            }
            sb.append("- machine: ").append(cpu).append(", ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
                    .append(mem).append(", ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append('\n');
            sb.append("- Java: ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version")).append('\n');
            sb.append("- everything on loopback on this one machine: load generator and fake upstream in one JVM, the relay in another\n");
            return sb.toString();
        }
    }
}
