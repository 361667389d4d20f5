package io.codexrelay.bench;

import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.FakeUpstream.Transport;
import io.codexrelay.testing.FakeUpstreamSocket;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Responses over WebSocket through the relay vs. straight to the fake (docs/benchmarks.md, "WebSocket"): per-event
 * forwarding delay and time to first event at 1 and 64 concurrent sockets, RSS per idle socket (1000 sockets), and the
 * bytes sent upstream per turn over a 50-turn session, anchored over WebSocket vs. full requests over HTTP. The relay
 * runs as users run it ({@code java -jar codex-relay.jar serve}) in its own JVM, with one API-key account spoken to
 * over WebSocket ({@code websocket.api_key_upstream = true}); the fake and the clients run here.
 * Run with {@code bench/sockets.sh}.
 */
public final class SocketBench {
    private static final String KEY = "sk-bench-ws-000000000000000000";
    private static final String INPUT = "[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hi\"}]}]";

    public static void main(String[] args) throws Exception {
        String jvmOpts = RelayBench.arg(args, "--jvm-opts", "-XX:+UseSerialGC -Xms16m -Xmx128m -Xss512k -XX:TieredStopAtLevel=1");
        int requests = Integer.parseInt(RelayBench.arg(args, "--requests", "40"));
        int idle = Integer.parseInt(RelayBench.arg(args, "--idle", "1000"));
        Path out = Path.of(RelayBench.arg(args, "--out", "target/bench/sockets.md"));
        StringBuilder r = new StringBuilder("### WebSocket run of " + Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "\n\n");
        r.append(RelayBench.Machine.describe()).append("- relay JVM options: `").append(jvmOpts).append("`\n\n");
        try (FakeUpstream fake = new FakeUpstream();
             RelayBench.RelayProcess relay = RelayBench.RelayProcess.start(Path.of("target/codex-relay.jar"), jvmOpts,
                     fake.apiBaseUrl(), KEY, 200, Path.of("target/bench/sockets-relay.log"),
                     "\n[websocket]\napi_key_upstream = true\n")) {
            fake.socket().setRateLimitsEvents(true);
            WebSocketClient client = new WebSocketClient();
            client.setMaxTextMessageSize(64L << 20);
            client.start();
            String direct = "ws://127.0.0.1:" + fake.port() + "/v1/responses";
            String relayed = "ws://127.0.0.1:" + relay.port() + "/v1/responses";

            // Warm-up: both paths, so the JIT has seen the code.
            for (int i = 0; i < 3; i++) {
                run(client, fake, direct, null, 4, requests);
                run(client, fake, relayed, relay.clientKey(), 4, requests);
            }
            r.append("#### Per-event delay and time to first event (20 deltas 5 ms apart per request; ").append(requests)
                    .append(" requests per socket)\n\n| sockets | path | event p50 | event p99 | first event p50 | first event p99 |\n|---|---|---|---|---|---|\n");
            for (int sockets : new int[] {1, 64}) {
                Stats d = new Stats(), rl = new Stats();
                for (int round = 0; round < 3; round++) { // interleaved
                    d.add(run(client, fake, direct, null, sockets, requests));
                    rl.add(run(client, fake, relayed, relay.clientKey(), sockets, requests));
                }
                r.append(d.row(sockets, "direct")).append(rl.row(sockets, "relay"));
                r.append("| ").append(sockets).append(" | **added** | ").append(ms(rl.ev(0.5) - d.ev(0.5))).append(" | ")
                        .append(ms(rl.ev(0.99) - d.ev(0.99))).append(" | ").append(ms(rl.first(0.5) - d.first(0.5))).append(" | ")
                        .append(ms(rl.first(0.99) - d.first(0.99))).append(" |\n");
            }

            // Memory per idle socket: open sockets, each with one prewarm (so it holds its upstream socket too).
            System.gc();
            Thread.sleep(2000);
            long before = relay.rssKb();
            List<Session> open = new ArrayList<>();
            List<CompletableFuture<Void>> warmed = new ArrayList<>();
            for (int i = 0; i < idle; i++) {
                Codex c = new Codex(1);
                ClientUpgradeRequest up = new ClientUpgradeRequest();
                up.setHeader("x-relay-key", relay.clientKey());
                open.add(client.connect(c, URI.create(relayed), up).get(30, TimeUnit.SECONDS));
                c.session.sendText("{\"type\":\"response.create\",\"model\":\"gpt-5.6-sol\",\"generate\":false,\"input\":[]}", Callback.NOOP);
                warmed.add(c.done);
            }
            CompletableFuture.allOf(warmed.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            Thread.sleep(3000);
            long after = relay.rssKb();
            r.append("\n#### ").append(idle).append(" idle sockets (each opened, prewarmed, so holding its upstream socket too)\n\n")
                    .append("| relay RSS before | with ").append(idle).append(" idle sockets | extra | per socket |\n|---|---|---|---|\n")
                    .append("| ").append(before / 1024).append(" MB | ").append(after / 1024).append(" MB | ")
                    .append((after - before) / 1024).append(" MB | ").append(String.format("%.1f kB", (after - before) / (double) idle)).append(" |\n");
            for (Session s : open) s.disconnect();

            // Bytes upstream per turn over a 50-turn session.
            r.append("\n").append(session(client, fake, relay, relayed));
            client.stop();
        }
        String text = r.toString();
        System.out.println(text);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, text);
    }

    /** One socket's client: frames received, per-event delays and the time to the first event. */
    public static final class Codex implements Session.Listener.AutoDemanding {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final List<Long> eventDelays = new ArrayList<>();
        final List<Long> firstEvent = new ArrayList<>();
        private final int requests;
        private int completed;
        private long sentAt;
        private boolean first;
        volatile Session session;
        /** When set: completed with the id of the next {@code response.completed}. */
        volatile CompletableFuture<String> completedId;

        Codex(int requests) { this.requests = requests; }

        void sendNext() {
            sentAt = System.nanoTime();
            first = true;
            session.sendText("{\"type\":\"response.create\",\"model\":\"gpt-5.6-sol\",\"stream\":true,\"store\":false,\"input\":" + INPUT + "}",
                    Callback.NOOP);
        }

        @Override public void onWebSocketOpen(Session s) { session = s; }

        @Override
        public void onWebSocketText(String text) {
            long now = System.nanoTime();
            if (first) {
                firstEvent.add(now - sentAt);
                first = false;
            }
            if (text.contains("output_text.delta")) {
                long sent = FakeUpstream.sentNanos(text);
                if (sent > 0) eventDelays.add(now - sent);
            }
            CompletableFuture<String> cid = completedId;
            if (cid != null && (text.contains("\"response.completed\"") || text.contains("\"type\":\"error\""))) {
                cid.complete(text.replaceAll(".*\"response\":\\{\"id\":\"([^\"]+)\".*", "$1"));
                return;
            }
            if (text.contains("\"response.completed\"") || text.contains("\"type\":\"error\"")) {
                if (++completed >= requests) done.complete(null);
                else if (requests > 1) sendNext();
            }
        }

        @Override public void onWebSocketClose(int code, String reason) { done.complete(null); }
    }

    private static Stats run(WebSocketClient client, FakeUpstream fake, String url, String key, int sockets, int requests) throws Exception {
        for (int i = 0; i < sockets * requests; i++) fake.socket().enqueue(KEY, FakeUpstreamSocket.stampedSuccess("x", 20, 5));
        List<Codex> cs = new ArrayList<>();
        for (int i = 0; i < sockets; i++) {
            Codex c = new Codex(requests);
            ClientUpgradeRequest up = new ClientUpgradeRequest();
            if (key != null) up.setHeader("x-relay-key", key);
            else up.setHeader("authorization", "Bearer " + KEY);
            client.connect(c, URI.create(url), up).get(30, TimeUnit.SECONDS);
            cs.add(c);
        }
        for (Codex c : cs) c.sendNext();
        for (Codex c : cs) c.done.get(300, TimeUnit.SECONDS);
        Stats s = new Stats();
        for (Codex c : cs) {
            s.events.addAll(c.eventDelays);
            s.firsts.addAll(c.firstEvent);
            c.session.close();
        }
        return s;
    }

    /** 50 turns of a growing conversation: anchored over the relay's socket vs. the full history over HTTP. */
    private static String session(WebSocketClient client, FakeUpstream fake, RelayBench.RelayProcess relay, String relayed) throws Exception {
        String instructions = "x".repeat(12_000); // about the size of Codex's own instructions
        String tools = "[{\"type\":\"function\",\"name\":\"shell\",\"description\":\"" + "d".repeat(6_000) + "\",\"parameters\":{}}]";
        fake.reset();
        fake.socket().setDefaultText("y".repeat(1_500));
        fake.setDefault(FakeUpstream.success("y".repeat(1_500)));
        int turns = 50;
        // WebSocket through the relay: each turn sends only its new user message, anchored on the previous answer.
        Codex c = new Codex(1);
        ClientUpgradeRequest up = new ClientUpgradeRequest();
        up.setHeader("x-relay-key", relay.clientKey());
        client.connect(c, URI.create(relayed), up).get(30, TimeUnit.SECONDS);
        String previous = null;
        List<String> history = new ArrayList<>();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        for (int t = 0; t < turns; t++) {
            String user = "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + "q".repeat(300) + t + "\"}]}";
            String body = "{\"type\":\"response.create\",\"model\":\"gpt-5.6-sol\",\"instructions\":\"" + instructions + "\",\"tools\":" + tools
                    + ",\"stream\":true,\"store\":false" + (previous == null ? "" : ",\"previous_response_id\":\"" + previous + "\"")
                    + ",\"input\":[" + user + "]}";
            previous = sendAndWaitId(c, body);
            // HTTP: the full history, straight to the fake (what Codex sends on HTTP, relayed byte for byte).
            history.add(user);
            String httpBody = "{\"model\":\"gpt-5.6-sol\",\"instructions\":\"" + instructions + "\",\"tools\":" + tools
                    + ",\"stream\":true,\"store\":false,\"input\":[" + String.join(",", history) + "]}";
            http.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.port() + "/v1/responses"))
                    .header("content-type", "application/json").header("x-relay-key", relay.clientKey())
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(httpBody)).build(), java.net.http.HttpResponse.BodyHandlers.discarding());
            history.add("{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"" + "y".repeat(1_500) + "\"}]}");
        }
        c.session.close();
        long[] ws = fake.responsesRequests(Transport.WEBSOCKET).stream().mapToLong(q -> q.body().length).toArray();
        long[] ht = fake.responsesRequests(Transport.HTTP).stream().mapToLong(q -> q.body().length).toArray();
        StringBuilder b = new StringBuilder("#### Bytes sent upstream per turn, 50-turn session (12 kB instructions, 6 kB tools, "
                + "300 B user message and 1.5 kB answer per turn)\n\n| turn | WebSocket, anchored | HTTP, full history |\n|---|---|---|\n");
        for (int t : new int[] {1, 2, 10, 25, 50}) {
            b.append("| ").append(t).append(" | ").append(kb(ws[t - 1])).append(" | ").append(kb(ht[t - 1])).append(" |\n");
        }
        b.append("| **all 50** | ").append(kb(Arrays.stream(ws).sum())).append(" | ").append(kb(Arrays.stream(ht).sum())).append(" |\n");
        return b.toString();
    }

    /** Sends one request on {@code c}'s socket and waits for its {@code response.completed}; returns the response id. */
    private static String sendAndWaitId(Codex c, String body) throws Exception {
        CompletableFuture<String> id = new CompletableFuture<>();
        c.completedId = id;
        c.session.sendText(body, Callback.NOOP);
        return id.get(60, TimeUnit.SECONDS);
    }

    private static String kb(long bytes) { return String.format("%.1f kB", bytes / 1000.0); }

    static final class Stats {
        final List<Long> events = new ArrayList<>();
        final List<Long> firsts = new ArrayList<>();

        void add(Stats o) {
            events.addAll(o.events);
            firsts.addAll(o.firsts);
        }

        long ev(double p) { return pct(events, p); }
        long first(double p) { return pct(firsts, p); }

        String row(int sockets, String path) {
            return "| " + sockets + " | " + path + " | " + ms(ev(0.5)) + " | " + ms(ev(0.99)) + " | " + ms(first(0.5)) + " | " + ms(first(0.99)) + " |\n";
        }

        private static long pct(List<Long> xs, double p) {
            if (xs.isEmpty()) return 0;
            long[] a = xs.stream().mapToLong(Long::longValue).sorted().toArray();
            return a[Math.min(a.length - 1, (int) Math.floor(p * a.length))];
        }
    }

    private static String ms(long nanos) { return String.format("%.3f ms", nanos / 1e6); }
}
