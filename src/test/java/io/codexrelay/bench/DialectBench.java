package io.codexrelay.bench;

import io.codexrelay.testing.FakeUpstream;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpMethod;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Time to first byte and CPU per request of each client dialect through the relay (Responses as Codex sends it,
 * Chat Completions, Anthropic Messages) over the same fake upstream, side by side with claude-code-router
 * ({@code @musistudio/claude-code-router}, which turns Anthropic requests into Chat Completions for an OpenAI-style
 * upstream: here the fake's Chat Completions endpoint), in one run with interleaved rounds.
 *
 * <p>"Added" TTFB is the path's TTFB minus the TTFB of the upstream leg it uses, measured straight against the fake in
 * the same round: the relay's upstream leg is always Responses (whatever the client speaks), claude-code-router's is
 * Chat Completions. CPU per request comes from {@code /proc/PID/stat} of the relay's JVM and of ccr's node process
 * (and its children) over the measured load. Both answer a stream with two text deltas (the fake Chat endpoint's
 * answer has two; the relay's fake Responses stream is given two). ccr runs from {@code --ccr DIR} (installed outside
 * the repo, e.g. {@code /work/tools/ccr}) with {@code HOME} set to a temp dir so it never touches the user's
 * {@code ~/.claude-code-router}; without it, the relay's paths are measured alone. Run with {@code bench/dialects.sh}.
 */
public final class DialectBench {
    private static final String KEY = "sk-bench-0000000000000000";
    private static final String CCR_KEY = "ccr-bench-key-0000";

    private static final String RESPONSES_BODY = "{\"model\":\"gpt-5-codex\",\"stream\":true,\"store\":false,"
            + "\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"benchmark\"}]}]}";
    private static final String CHAT_BODY = "{\"model\":\"gpt-5-codex\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"benchmark\"}]}";
    private static final String ANTHROPIC_BODY = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"benchmark\"}]}]}";

    /** One path a request can take: where it goes, how it authenticates, what it sends, which event ends it. */
    record Route(String name, String url, Map<String, String> headers, String body, String lastEvent) {}

    /** One finished stream; times in nanoseconds. */
    record Sample(int status, boolean completed, String error, long ttfb) {
        boolean ok() { return status == 200 && completed && error == null; }
    }

    private final HttpClient client;

    private DialectBench(HttpClient client) { this.client = client; }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(RelayBench.arg(args, "--jar", "target/codex-relay.jar"));
        String jvmOpts = RelayBench.arg(args, "--jvm-opts", VersusNginx.launcherOptions());
        int perPath = Integer.parseInt(RelayBench.arg(args, "--requests", "1000"));
        int rounds = Integer.parseInt(RelayBench.arg(args, "--rounds", "4"));
        String ccrDir = RelayBench.arg(args, "--ccr", "");
        Path out = Path.of(RelayBench.arg(args, "--out", "target/bench/dialects.md"));
        int[] levels = Arrays.stream(RelayBench.arg(args, "--concurrency", "1,16").split(",")).mapToInt(Integer::parseInt).toArray();
        if (!Files.isRegularFile(jar)) throw new IllegalStateException(jar + " not found: run `mvn -q -DskipTests clean package` first");

        HttpClient client = RelayBench.loadClient(512, 4096);
        DialectBench bench = new DialectBench(client);
        StringBuilder r = new StringBuilder();
        try (FakeUpstream fake = new FakeUpstream();
             RelayBench.RelayProcess relay = RelayBench.RelayProcess.start(jar, jvmOpts, fake.apiBaseUrl(), KEY, 64,
                     Path.of("target/bench/dialects-relay.log"));
             Ccr ccr = ccrDir.isBlank() ? null : Ccr.start(Path.of(ccrDir), fake.chatBaseUrl() + "/chat/completions", KEY)) {
            fake.setDefault(FakeUpstream.slowSuccess("dialects", 2, 0));
            String relayBase = "http://127.0.0.1:" + relay.port();
            Map<String, String> anthropicHeaders = Map.of("anthropic-version", "2023-06-01");
            var directResponses = new Route("direct Responses", fake.apiBaseUrl() + "/responses",
                    Map.of("authorization", "Bearer " + KEY), RESPONSES_BODY, "response.completed");
            var directChat = new Route("direct Chat", fake.chatBaseUrl() + "/chat/completions",
                    Map.of("authorization", "Bearer " + KEY), CHAT_BODY, "[DONE]");
            var relayResponses = new Route("relay Responses (Codex)", relayBase + "/v1/responses",
                    Map.of("x-relay-key", relay.clientKey()), RESPONSES_BODY, "response.completed");
            var relayChat = new Route("relay Chat Completions", relayBase + "/v1/chat/completions",
                    Map.of("authorization", "Bearer " + relay.clientKey()), CHAT_BODY, "[DONE]");
            var relayAnthropic = new Route("relay Anthropic Messages", relayBase + "/v1/messages",
                    merge(anthropicHeaders, Map.of("x-api-key", relay.clientKey())), ANTHROPIC_BODY, "message_stop");
            Route ccrAnthropic = ccr == null ? null : new Route("ccr Anthropic Messages", "http://127.0.0.1:" + ccr.port + "/v1/messages",
                    merge(anthropicHeaders, Map.of("x-api-key", CCR_KEY)), ANTHROPIC_BODY, "message_stop");

            List<Route> paths = new ArrayList<>(List.of(directResponses, directChat, relayResponses, relayChat, relayAnthropic));
            if (ccrAnthropic != null) paths.add(ccrAnthropic);
            Map<Route, Route> upstreamLeg = new LinkedHashMap<>();
            upstreamLeg.put(relayResponses, directResponses);
            upstreamLeg.put(relayChat, directResponses);
            upstreamLeg.put(relayAnthropic, directResponses);
            if (ccrAnthropic != null) upstreamLeg.put(ccrAnthropic, directChat);

            r.append("### Run of ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append("\n\n");
            r.append(RelayBench.Machine.describe());
            r.append("- load average at start: ").append(loadAverage()).append('\n');
            r.append("- relay JVM options: `").append(jvmOpts.isBlank() ? "(none: JVM defaults)" : jvmOpts).append("`\n");
            r.append("- claude-code-router: ").append(ccr == null ? "not run (no --ccr DIR)" : ccr.version + ", node " + ccr.nodeVersion
                    + ", `LOG: false`, one provider at the fake's Chat Completions endpoint").append('\n');
            r.append("- ").append(perPath).append(" requests per path and concurrency, in ").append(rounds)
                    .append(" interleaved rounds; every answer is a stream with two text deltas\n\n");

            step("warm-up");
            for (int round = 0; round < 3; round++) {
                for (Route p : paths) {
                    List<Sample> s = bench.batch(p, 16, 500);
                    long bad = s.stream().filter(x -> !x.ok()).count();
                    if (bad == s.size()) throw new IllegalStateException(p.name() + ": every warm-up request failed, e.g. " + s.get(0));
                }
            }
            Thread.sleep(2000);

            r.append("| streams | path | requests | errors | TTFB p50 ms | TTFB p99 ms | added p50 ms | added p99 ms | CPU per request ms |\n");
            r.append("|---|---|---|---|---|---|---|---|---|\n");
            for (int c : levels) {
                step("concurrency " + c);
                Map<Route, List<Sample>> samples = new LinkedHashMap<>();
                Map<Route, Long> cpu = new LinkedHashMap<>();
                int per = Math.max(c, perPath / rounds);
                for (int round = 0; round < rounds; round++) { // interleaved, so drift in the machine's load hits all alike
                    for (Route p : paths) {
                        boolean viaCcr = p == ccrAnthropic;
                        long c0 = viaCcr ? ccr.cpuMillis() : relay.cpuMillis();
                        samples.computeIfAbsent(p, k -> new ArrayList<>()).addAll(bench.batch(p, c, per));
                        long used = (viaCcr ? ccr.cpuMillis() : relay.cpuMillis()) - c0;
                        cpu.merge(p, used, Long::sum);
                    }
                }
                for (Route p : paths) {
                    List<Sample> s = samples.get(p);
                    long[] t = ttfbs(s);
                    Route leg = upstreamLeg.get(p);
                    long errors = s.stream().filter(x -> !x.ok()).count();
                    r.append("| ").append(c).append(" | ").append(p.name()).append(" | ").append(s.size()).append(" | ").append(errors)
                            .append(" | ").append(ms(pct(t, 50))).append(" | ").append(ms(pct(t, 99))).append(" | ");
                    if (leg == null) {
                        r.append("– | – | – |\n");
                    } else {
                        long[] base = ttfbs(samples.get(leg));
                        r.append(ms(pct(t, 50) - pct(base, 50))).append(" | ").append(ms(pct(t, 99) - pct(base, 99))).append(" | ")
                                .append(f3((double) cpu.get(p) / s.size())).append(" |\n");
                    }
                    if (errors > 0) {
                        s.stream().filter(x -> !x.ok()).findFirst().ifPresent(x -> System.err.println("[dialects] " + p.name() + " failed: " + x));
                    }
                }
            }
            r.append("\n- relay RSS at the end: ").append(relay.rssKb() / 1024).append(" MB");
            if (ccr != null) r.append("; ccr RSS at the end: ").append(ccr.rssKb() / 1024).append(" MB");
            r.append("\n- load average at the end: ").append(loadAverage()).append("\n\n");
        } finally {
            client.stop();
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, r);
        System.out.println(r);
        System.out.println("(written to " + out + ")");
    }

    /** {@code total} requests on {@code p}, at most {@code concurrency} at a time. */
    List<Sample> batch(Route p, int concurrency, int total) throws Exception {
        ConcurrentLinkedQueue<Sample> out = new ConcurrentLinkedQueue<>();
        AtomicLong next = new AtomicLong();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            workers.add(done);
            chain(p, next, total, out, done);
        }
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(15, TimeUnit.MINUTES);
        return new ArrayList<>(out);
    }

    private void chain(Route p, AtomicLong next, int total, ConcurrentLinkedQueue<Sample> out, CompletableFuture<Void> done) {
        if (next.getAndIncrement() >= total) {
            done.complete(null);
            return;
        }
        stream(p).whenComplete((s, ex) -> {
            out.add(s != null ? s : new Sample(0, false, String.valueOf(ex), 0));
            chain(p, next, total, out, done);
        });
    }

    /** One streaming request, read to the end; complete when the dialect's last event arrived. */
    private CompletableFuture<Sample> stream(Route p) {
        CompletableFuture<Sample> f = new CompletableFuture<>();
        byte[] body = p.body().getBytes(StandardCharsets.UTF_8);
        Request req = client.newRequest(URI.create(p.url())).method(HttpMethod.POST).timeout(2, TimeUnit.MINUTES)
                .headers(h -> {
                    h.put("accept", "text/event-stream");
                    p.headers().forEach(h::put);
                })
                .body(new BytesRequestContent("application/json", body));
        long t0 = System.nanoTime();
        req.send(new Response.Listener() {
            long first = -1;
            final StringBuilder seen = new StringBuilder();

            @Override
            public void onContent(Response response, ByteBuffer content) {
                if (first < 0) first = System.nanoTime() - t0;
                seen.append(StandardCharsets.UTF_8.decode(content));
            }

            @Override
            public void onComplete(Result result) {
                int status = result.getResponse() == null ? 0 : result.getResponse().getStatus();
                String err = result.isFailed() ? String.valueOf(result.getFailure())
                        : status != 200 ? seen.substring(0, Math.min(300, seen.length())) : null;
                f.complete(new Sample(status, seen.indexOf(p.lastEvent()) >= 0, err, first));
            }
        });
        return f;
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new LinkedHashMap<>(a);
        m.putAll(b);
        return m;
    }

    private static long[] ttfbs(List<Sample> s) {
        return s.stream().filter(Sample::ok).mapToLong(Sample::ttfb).sorted().toArray();
    }

    private static long pct(long[] sorted, double p) { return RelayBench.pct(sorted, p); }

    private static String ms(long nanos) { return String.format(Locale.ROOT, "%.3f", nanos / 1e6); }

    private static String f3(double v) { return String.format(Locale.ROOT, "%.3f", v); }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void step(String what) { System.err.println("[dialects] " + what + " ..."); }

    /** claude-code-router ({@code ccr start}) from an install outside the repo, with a temp HOME holding its config. */
    static final class Ccr implements AutoCloseable {
        final Process process;
        final int port;
        final Path home;
        final String version;
        final String nodeVersion;

        private Ccr(Process process, int port, Path home, String version, String nodeVersion) {
            this.process = process;
            this.port = port;
            this.home = home;
            this.version = version;
            this.nodeVersion = nodeVersion;
        }

        static Ccr start(Path installDir, String chatCompletionsUrl, String upstreamKey) throws Exception {
            Path pkg = installDir.resolve("node_modules/@musistudio/claude-code-router");
            Path cli = pkg.resolve("dist/cli.js");
            if (!Files.isRegularFile(cli)) {
                throw new IllegalStateException(cli + " not found: install it with "
                        + "`npm install --prefix " + installDir + " @musistudio/claude-code-router@2.0.0` or drop --ccr");
            }
            String version = "@musistudio/claude-code-router " + new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(pkg.resolve("package.json").toFile()).path("version").asText();
            Path home = Files.createTempDirectory("codex-relay-bench-ccr-");
            int port;
            try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
            Files.createDirectories(home.resolve(".claude-code-router"));
            // LOG false: ccr's default is debug logging to files, which no one would bench a gateway with.
            Files.writeString(home.resolve(".claude-code-router/config.json"), """
                    {"PORT": %d, "HOST": "127.0.0.1", "LOG": false, "NON_INTERACTIVE_MODE": true, "APIKEY": "%s",
                     "API_TIMEOUT_MS": 600000,
                     "Providers": [{"name": "fake", "api_base_url": "%s", "api_key": "%s", "models": ["gpt-5-codex"]}],
                     "Router": {"default": "fake,gpt-5-codex"}}
                    """.formatted(port, CCR_KEY, chatCompletionsUrl, upstreamKey));
            Process v = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            String nodeVersion = new String(v.getInputStream().readAllBytes()).trim();
            v.waitFor();
            ProcessBuilder pb = new ProcessBuilder("node", cli.toString(), "start").redirectErrorStream(true)
                    .redirectOutput(home.resolve("ccr.out").toFile());
            pb.environment().put("HOME", home.toString());
            Process p = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    break;
                } catch (IOException e) {
                    if (!p.isAlive() || System.nanoTime() > deadline) {
                        p.destroyForcibly();
                        throw new IllegalStateException("claude-code-router did not start: " + Files.readString(home.resolve("ccr.out")));
                    }
                    Thread.sleep(100);
                }
            }
            return new Ccr(p, port, home, version, nodeVersion);
        }

        private List<Long> pids() {
            List<Long> pids = new ArrayList<>();
            pids.add(process.pid());
            process.descendants().forEach(h -> pids.add(h.pid()));
            return pids;
        }

        /** utime + stime of node and anything it started, in ms (100 clock ticks per second). */
        long cpuMillis() {
            long sum = 0;
            for (long pid : pids()) {
                try {
                    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                } catch (IOException | RuntimeException e) {
                    // gone
                }
            }
            return sum * 10;
        }

        long rssKb() {
            long sum = 0;
            for (long pid : pids()) {
                try {
                    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                        if (line.startsWith("VmRSS:")) sum += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                } catch (IOException | RuntimeException e) {
                    // gone
                }
            }
            return sum;
        }

        @Override
        public void close() throws Exception {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            try (var files = Files.walk(home)) {
                files.sorted(Collections.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
