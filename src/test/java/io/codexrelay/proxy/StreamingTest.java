package io.codexrelay.proxy;

import io.codexrelay.config.ClientKey;
import io.codexrelay.events.FinishedRequest;
import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** Streaming: events pass as they arrive, Codex leaving aborts the upstream, gates hold, stop is graceful. */
class StreamingTest {
    @TempDir Path dir;
    RelayHarness h;

    @BeforeEach
    void setUp() throws Exception {
        h = new RelayHarness(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    @Test
    void eventsReachCodexAsTheUpstreamSendsThemNotBuffered() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        assertThat(h.post(RelayHarness.body("warm-up")).statusCode()).isEqualTo(200); // cold-JVM class loading out of the way
        h.fake.setDefault(FakeUpstream.slowSuccess("streamed", 5, 200));

        HttpResponse<InputStream> r = h.http.send(h.codexPost("/v1/responses", RelayHarness.body("m")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        List<Long> arrivals = new ArrayList<>();
        List<String> types = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("data:")) {
                    arrivals.add(System.nanoTime());
                    types.add(RelayErrors.JSON.readTree(line.substring(5)).get("type").asText());
                }
            }
        }

        // created, item added, 5 deltas, item done, completed: sent 200 ms apart.
        assertThat(types).hasSize(9);
        assertThat(types.get(0)).isEqualTo("response.created");
        assertThat(types.get(8)).isEqualTo("response.completed");
        // response.created may be held until the next event; from then on each event arrives on its own,
        // about 200 ms after the one before (a buffering relay would deliver them together, ~0 ms apart).
        // The bound leaves room for scheduling jitter on a busy machine.
        for (int k = 2; k < arrivals.size(); k++) {
            long gapMs = (arrivals.get(k) - arrivals.get(k - 1)) / 1_000_000;
            assertThat(gapMs).as("gap before event %d (%s)", k, types.get(k)).isGreaterThanOrEqualTo(100);
        }
        long spanMs = (arrivals.get(arrivals.size() - 1) - arrivals.get(1)) / 1_000_000;
        assertThat(spanMs).as("time from the first output to the last event").isGreaterThanOrEqualTo(7 * 150);
    }

    @Test
    void codexGoingAwayAbortsTheUpstreamExchange() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        h.fake.setDefault(FakeUpstream.slowSuccess("long answer", 200, 100)); // would take 20 s

        String body = RelayHarness.body("m");
        try (Socket s = new Socket("127.0.0.1", h.relay.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n" + ClientKey.HEADER + ": " + h.key.value()
                    + "\r\ncontent-type: application/json\r\ncontent-length: " + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            int deltas = 0;
            String line;
            while (deltas < 3 && (line = in.readLine()) != null) {
                if (line.contains("response.output_text.delta") && line.startsWith("data:")) deltas++;
            }
            assertThat(deltas).isEqualTo(3);
            assertThat(h.fake.inFlight("tokA")).isEqualTo(1);
        }

        RelayHarness.await("upstream exchange aborted", Duration.ofSeconds(8), () -> h.fake.inFlight("tokA") == 0);
        RelayHarness.await("relay idle", Duration.ofSeconds(5), () -> h.relay.inFlight() == 0);
        FinishedRequest rec = h.awaitRecords(1).get(0);
        assertThat(rec.error()).contains("client closed");
        assertThat(rec.outputTokens()).isNull();
        assertThat(h.pool.runtime().get(0).inFlight()).isZero();
    }

    @Test
    void aCodexThatStopsReadingHoldsTheUpstreamBackInsteadOfFillingMemory() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        String delta = FakeUpstream.event("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"item_id\":"
                + "\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"" + "x".repeat(4096) + "\"}");
        List<String> events = new ArrayList<>();
        events.add(FakeUpstream.event("response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_big\"}}"));
        int deltas = 16_000; // about 64 MiB: far more than the socket buffers between the fake and the client hold
        for (int i = 0; i < deltas; i++) events.add(delta);
        events.add(FakeUpstream.event("response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"resp_big\","
                + "\"status\":\"completed\"}}"));
        h.fake.setDefault(new FakeUpstream.Sse(null, events, 0, false));

        String body = RelayHarness.body("m");
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(16 * 1024);
            s.connect(new java.net.InetSocketAddress("127.0.0.1", h.relay.port()));
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n" + ClientKey.HEADER + ": " + h.key.value()
                    + "\r\ncontent-type: application/json\r\ncontent-length: " + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            assertThat(in.read(buf)).isPositive(); // the answer has begun; now Codex stops reading for a while
            Thread.sleep(1500);
            assertThat(h.fake.inFlight("tokA")).as("the upstream is held back, not drained into the relay's memory").isEqualTo(1);

            long total = 0;
            String tail = "";
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                tail = (tail + new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                tail = tail.substring(Math.max(0, tail.length() - 400));
                if (tail.contains("response.completed") && tail.endsWith("\r\n0\r\n\r\n")) break;
            }
            assertThat(tail).contains("response.completed");
            assertThat(total).isGreaterThan((long) deltas * 4096);
        }
        FinishedRequest rec = h.awaitRecords(1).get(0);
        assertThat(rec.status()).isEqualTo(200);
        assertThat(rec.error()).isNull();
    }

    @Test
    void concurrencyGatesHoldUnderFiftyConcurrentRequests() throws Exception {
        h.withConfig(Map.of("pool.gate_wait_ms", 60_000L, "pool.chatgpt_max_concurrent", 2L));
        h.chatgpt("A", 1, null);
        h.startServer();
        h.fake.setDefault(FakeUpstream.slowSuccess("gated", 2, 15));

        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(h.http.sendAsync(h.codexPost("/v1/responses", RelayHarness.body("m"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (var f : all) {
            HttpResponse<String> r = f.get();
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("response.completed");
        }

        assertThat(h.fake.received("/responses")).hasSize(50);
        assertThat(h.fake.peakInFlight("tokA")).isEqualTo(2);
        assertThat(h.pool.runtime().get(0).inFlight()).isZero();
    }

    @Test
    void theNextTurnRightAfterAnAnswerFindsTheAccountsSlotFree() throws Exception {
        // Codex sends its next request the moment an answer ends: with one slot and no wait budget, that request
        // must never be refused as busy because the relay had not yet given the slot back.
        h.withConfig(Map.of("pool.gate_wait_ms", 0L, "pool.chatgpt_max_concurrent", 1L));
        h.chatgpt("A", 1, null);
        h.startServer();
        for (int i = 0; i < 40; i++) {
            HttpResponse<String> r = h.post(RelayHarness.body("m" + i));
            assertThat(r.statusCode()).as("turn %d: %s", i, r.body()).isEqualTo(200);
            assertThat(h.pool.runtime().get(0).inFlight()).as("slot after turn %d", i).isZero();
        }
        assertThat(h.fake.peakInFlight("tokA")).isEqualTo(1);
    }

    @Test
    void anAccountAtItsPerMinuteCapHandsTheNextRequestsToTheNextAccount() throws Exception {
        h.withConfig(Map.of("pool.requests_per_minute", 2L, "pool.gate_wait_ms", 0L));
        h.chatgpt("A", 1, null);
        h.apiKey("B", 2, h.fake.apiBaseUrl(), null);
        h.startServer();
        for (int i = 0; i < 4; i++) assertThat(h.post(RelayHarness.body("m" + i)).statusCode()).isEqualTo(200);
        assertThat(h.fake.received("/codex/responses")).as("A, capped at 2 a minute").hasSize(2);
        assertThat(h.fake.received("/v1/responses")).as("B took the next two").hasSize(2);
        HttpResponse<String> fifth = h.post(RelayHarness.body("m5"));
        assertThat(fifth.statusCode()).isEqualTo(503);
        assertThat(fifth.body()).contains("relay_busy").contains("requests_per_minute");
        assertThat(h.fake.received()).hasSize(4);
    }

    @Test
    void gatesSpillToTheNextAccountAndNeverExceedAnyLimit() throws Exception {
        h.withConfig(Map.of("pool.gate_wait_ms", 50L));
        h.chatgpt("A", 1, 2);
        h.apiKey("B", 2, h.fake.apiBaseUrl(), 3);
        h.startServer();
        h.fake.setDefault(FakeUpstream.slowSuccess("gated", 3, 50));

        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(h.http.sendAsync(h.codexPost("/v1/responses", RelayHarness.body("m")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        int busy = 0;
        for (var f : all) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) ok++;
            else {
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.body()).contains("relay_busy");
                busy++;
            }
        }
        assertThat(ok + busy).isEqualTo(50);
        assertThat(ok).isGreaterThanOrEqualTo(5);
        assertThat(h.fake.peakInFlight("tokA")).isLessThanOrEqualTo(2);
        assertThat(h.fake.peakInFlight("sk-B")).isLessThanOrEqualTo(3);
        assertThat(h.fake.received("/v1/responses")).isNotEmpty(); // B took the overflow
    }

    @Test
    void idleUpstreamStreamIsEndedCleanlyAfterTheIdleTimeout() throws Exception {
        h.withConfig(Map.of("upstream.idle_timeout_ms", 400L));
        h.chatgpt("A", 1, null);
        h.startServer();
        h.fake.setDefault(FakeUpstream.stallAfter(4, 1500));

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("response.output_text.delta").doesNotContain("response.completed");
        FinishedRequest rec = h.awaitRecords(1).get(0);
        assertThat(rec.error()).contains("stream cut").contains("timeout");
    }

    @Test
    void upstreamGoingQuietBeforeAnyOutputFailsOverAndSaysSoWhenNoneIsLeft() throws Exception {
        h.withConfig(Map.of("upstream.idle_timeout_ms", 400L));
        h.chatgpt("A", 1, null);
        h.startServer();
        h.fake.setDefault(FakeUpstream.stallAfter(1, 1500)); // response.created, then silence

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        // Not a usage limit: the account is not out, so Codex must not be told to wait for a reset.
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("relay_upstream_failed").contains("A:timeout");
        assertThat(h.pool.runtime().get(0).state()).isEqualTo("ready");
    }

    @Test
    void stopLetsStreamsFinishWithinTheGrace() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        h.fake.setDefault(FakeUpstream.slowSuccess("short", 3, 100));

        var f = h.http.sendAsync(h.codexPost("/v1/responses", RelayHarness.body("m")).build(), HttpResponse.BodyHandlers.ofString());
        RelayHarness.await("request in flight", Duration.ofSeconds(5), () -> h.relay.inFlight() == 1);
        h.relay.stop(Duration.ofSeconds(10));

        HttpResponse<String> r = f.get();
        assertThat(r.body()).contains("response.completed");
        assertThat(h.relay.inFlight()).isZero();
    }

    @Test
    void stopCutsStreamsThatOutliveTheGraceCleanly() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        h.fake.setDefault(FakeUpstream.slowSuccess("long", 100, 100));

        var f = h.http.sendAsync(h.codexPost("/v1/responses", RelayHarness.body("m")).build(), HttpResponse.BodyHandlers.ofString());
        RelayHarness.await("request in flight", Duration.ofSeconds(5), () -> h.fake.inFlight("tokA") == 1);
        h.relay.stop(Duration.ofMillis(300));

        HttpResponse<String> r = f.get();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("response.output_text.delta").doesNotContain("response.completed");
        assertThat(h.relay.inFlight()).isZero();
        assertThat(h.awaitRecords(1).get(0).error()).contains("stopping");
        RelayHarness.await("upstream aborted", Duration.ofSeconds(5), () -> h.fake.inFlight("tokA") == 0);
    }
}
