package io.codexrelay.proxy;

import io.codexrelay.config.ClientKey;
import io.codexrelay.events.FinishedRequest;
import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9's relay-side faults, one test each: what the client gets (status, message) and what is left behind
 * (permits, upstream exchanges, failovers, body memory).
 */
class FaultsTest {
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

    /** The raw bytes of a Codex POST with the client key. */
    private byte[] rawPost(String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return ("POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n" + ClientKey.HEADER + ": " + h.key.value()
                + "\r\ncontent-type: application/json\r\naccept: text/event-stream\r\ncontent-length: " + b.length
                + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aClientGoneBeforeTheFirstByteReleasesItsPermitAtOnceAndIsNeverFailedOver() throws Exception {
        h.withConfig(java.util.Map.of("upstream.first_byte_timeout_ms", 60_000L));
        h.chatgpt("A", 1, 1);
        h.chatgpt("B", 2, 1);
        h.startServer();
        h.fake.setDefault(FakeUpstream.hang(8_000));

        try (Socket s = new Socket("127.0.0.1", h.relay.port())) {
            OutputStream out = s.getOutputStream();
            out.write(rawPost(RelayHarness.body("m")));
            out.flush();
            RelayHarness.await("the upstream has the request", Duration.ofSeconds(5), () -> h.fake.inFlight("tokA") == 1);
        }

        // Far sooner than the upstream's 8 s hang: the relay noticed the close itself.
        RelayHarness.await("relay idle", Duration.ofSeconds(4), () -> h.relay.inFlight() == 0);
        RelayHarness.await("A's permit back", Duration.ofSeconds(2), () -> h.pool.runtime().get(0).inFlight() == 0);
        FinishedRequest rec = h.awaitRecords(1).get(0);
        assertThat(rec.status()).isEqualTo(499);
        assertThat(rec.error()).contains("client closed");
        assertThat(rec.account()).isEqualTo("A");
        Thread.sleep(300);
        assertThat(h.fake.responsesRequests()).as("never failed over to B").hasSize(1);
        assertThat(h.pool.runtime().get(1).inFlight()).isZero();
    }

    @Test
    void aRejectedApiKeyIsItsOwnStateAndCodexHearsAboutTheKeyNotAUsageLimit() throws Exception {
        h.apiKey("K", 1, h.fake.apiBaseUrl(), null);
        h.startServer();
        String invalidKey = "{\"error\":{\"message\":\"Incorrect API key provided: sk-K***. You can find your API key at "
                + "https://platform.openai.com/account/api-keys.\",\"type\":\"invalid_request_error\",\"param\":null,"
                + "\"code\":\"invalid_api_key\"}}";
        h.fake.setDefault(FakeUpstream.status(401, invalidKey));

        for (int i = 0; i < 2; i++) { // the first request finds out; the second finds the account already set aside
            java.net.http.HttpResponse<String> r = h.post(RelayHarness.body("m"));
            assertThat(r.statusCode()).isEqualTo(401);
            var err = RelayErrors.JSON.readTree(r.body()).get("error");
            assertThat(err.get("code").asText()).isEqualTo("invalid_api_key");
            assertThat(err.get("message").asText()).contains("account K").contains("Replace the key")
                    .doesNotContain("usage limit").doesNotContain("sk-K");
        }
        assertThat(h.fake.responsesRequests()).as("the rejected key is not tried again").hasSize(1);
        var k = h.pool.runtime().get(0);
        assertThat(k.state()).isEqualTo("key_rejected");
        assertThat(k.inFlight()).isZero();
        assertThat(h.eventsOf(io.codexrelay.events.RelayEvent.KeyRejected.class)).singleElement()
                .satisfies(e -> assertThat(e.account()).isEqualTo("K"));
        assertThat(h.eventsOf(io.codexrelay.events.RelayEvent.ReloginNeeded.class)).isEmpty();
        assertThat(h.awaitRecords(2)).allSatisfy(rec -> assertThat(rec.failureClass()).isEqualTo("key_rejected"));
    }

    @Test
    void aRejectedApiKeyFailsOverToAnAccountThatCanServe() throws Exception {
        h.apiKey("K", 1, h.fake.apiBaseUrl(), null);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.fake.enqueue("sk-K", FakeUpstream.status(401, "{\"error\":{\"message\":\"Incorrect API key provided\","
                + "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"));
        h.fake.setDefault(FakeUpstream.success("served by B"));

        java.net.http.HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("served by B");
        assertThat(h.awaitRecords(1).get(0).failoverChain()).containsExactly("K:401 invalid_api_key", "B:200");
        assertThat(h.pool.runtime().stream().filter(a -> a.account().name().equals("K")).findFirst().orElseThrow().state())
                .isEqualTo("key_rejected");
    }

    @Test
    void allUpstreamsHangingCostOneDeadlineAndTheAnswerNamesWhoTimedOut() throws Exception {
        h.withConfig(java.util.Map.of("upstream.first_byte_timeout_ms", 400L, "upstream.request_deadline_ms", 1000L));
        for (String n : new String[] {"A", "B", "C", "D"}) h.chatgpt(n, n.charAt(0), 1);
        h.startServer();
        h.fake.setDefault(FakeUpstream.hang(4_000));

        // Codex: the final shape it prints at once (no retries, each of which would wait the deadline again).
        java.net.http.HttpResponse<String> codex = h.post(RelayHarness.body("m"));
        assertThat(codex.statusCode()).isEqualTo(400);
        assertThat(codex.headers().firstValue("x-relay-error")).hasValue("relay_upstream_timeout");
        FinishedRequest rec = h.awaitRecords(1).get(0);
        // Without the deadline all four would each wait 400 ms; with it, D (or more) is never reached.
        assertThat(rec.failoverChain()).isNotEmpty().allSatisfy(step -> assertThat(step).endsWith(":timeout"))
                .noneSatisfy(step -> assertThat(step).startsWith("D:"));
        java.util.List<String> timedOut = rec.failoverChain().stream().map(step -> step.substring(0, step.indexOf(':'))).toList();
        assertThat(codex.body()).contains("upstream.request_deadline_ms = 1 s")
                .contains("Timed out: " + String.join(", ", timedOut) + ".");
        assertThat(rec.error()).contains("request deadline passed").contains(String.join(", ", timedOut));
        RelayHarness.await("permits back", Duration.ofSeconds(3),
                () -> h.pool.runtime().stream().allMatch(a -> a.inFlight() == 0));

        // Any other client: 504 with the relay's JSON error.
        java.net.http.HttpResponse<String> other = h.send(h.request("/v1/responses").header(ClientKey.HEADER, h.key.value())
                .header("content-type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(RelayHarness.body("m"))));
        assertThat(other.statusCode()).isEqualTo(504);
        assertThat(RelayErrors.JSON.readTree(other.body()).at("/error/type").asText()).isEqualTo("relay_upstream_timeout");
    }

    @Test
    void anUpstreamCutMidStreamReachesTheClientAsARetryableFailureNotACleanEnd() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.truncated("partial answer"));

        java.net.http.HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("partial answer").doesNotContain("response.completed");
        // The last event is a response.failed with a code Codex retries, saying what happened.
        String last = r.body().substring(r.body().lastIndexOf("event: "));
        assertThat(last).startsWith("event: response.failed");
        var failed = RelayErrors.JSON.readTree(last.substring(last.indexOf("data: ") + 6).trim());
        assertThat(failed.at("/response/error/code").asText()).isEqualTo("server_error");
        assertThat(failed.at("/response/error/message").asText()).contains("account A").contains("cut");
        assertThat(h.awaitRecords(1).get(0).error()).contains("stream cut");
        assertThat(h.pool.runtime().get(0).inFlight()).isZero();
    }

    @Test
    void pauseIsAFinalAnswerForCodexThatSaysHowToResume() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        h.pool.setPaused(true);

        java.net.http.HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).as("400: the one status Codex prints without retrying").isEqualTo(400);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
        assertThat(r.body()).startsWith("codex-relay is paused").contains("`codex-relay resume`").contains("tray");
        assertThat(h.fake.received()).isEmpty();
        assertThat(h.pool.runtime().get(0).inFlight()).isZero();
    }

    private static String readAll(Socket s) throws java.io.IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        try {
            s.getInputStream().transferTo(b);
        } catch (java.net.SocketException e) {
            // reset after the answer: what was read is the answer
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void bodiesShareOneMemoryBudgetAndTheOneThatDoesNotFitGetsA503() throws Exception {
        // 3 MiB: room for one 1.5 MB body while it is read (its pieces, then its own array) and held, not for two.
        // The first answer sends only response.created (held back, so nothing is committed) and then stalls: its body
        // may still be sent again (failover), so it stays held.
        h.withConfig(java.util.Map.of("server.body_memory_budget_mb", 3L, "server.max_body_mb", 32L));
        h.chatgpt("A", 1, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.stallAfter(1, 1_500));
        String big = RelayHarness.body("x".repeat(1_500_000));

        var first = h.http.sendAsync(h.codexPost("/v1/responses", big).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        RelayHarness.await("the first body is held while its answer has not begun", Duration.ofSeconds(10),
                () -> h.fake.inFlight("tokA") == 1);
        assertThat(h.relay.bodyMemoryInUse()).isEqualTo(big.getBytes(StandardCharsets.UTF_8).length);

        java.net.http.HttpResponse<String> second = h.post(big);
        assertThat(second.statusCode()).isEqualTo(503);
        var err = RelayErrors.JSON.readTree(second.body()).get("error");
        assertThat(err.get("type").asText()).isEqualTo("relay_body_memory_full");
        assertThat(err.get("message").asText()).contains("server.body_memory_budget_mb = 3 MiB");
        assertThat(h.fake.responsesRequests()).as("the refused body never went upstream").hasSize(1);

        first.get(); // however the stalled answer ends, its body's bytes come back
        RelayHarness.await("the budget is free again", Duration.ofSeconds(5), () -> h.relay.bodyMemoryInUse() == 0);
        h.fake.setDefault(FakeUpstream.success("third"));
        assertThat(h.post(big).statusCode()).isEqualTo(200);
        RelayHarness.await("the budget is free again", Duration.ofSeconds(5), () -> h.relay.bodyMemoryInUse() == 0);
    }

    @Test
    void aCommittedAnswerGivesItsBodyBackWhileItStillStreams() throws Exception {
        // Once the answer has begun nothing sends the body again, so a long answer must not keep its conversation's
        // bytes (heap and budget) until its last event: another large request fits meanwhile.
        h.withConfig(java.util.Map.of("server.body_memory_budget_mb", 3L, "server.max_body_mb", 32L));
        h.chatgpt("A", 1, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.slowSuccess("a long answer", 50, 100));
        h.fake.setDefault(FakeUpstream.success("second"));
        String big = RelayHarness.body("x".repeat(1_500_000));

        var first = h.http.sendAsync(h.codexPost("/v1/responses", big).build(),
                java.net.http.HttpResponse.BodyHandlers.ofInputStream()).get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(first.statusCode()).as("the first answer has begun").isEqualTo(200);
        RelayHarness.await("the committed answer's body is given back", Duration.ofSeconds(5), () -> h.relay.bodyMemoryInUse() == 0);

        java.net.http.HttpResponse<String> second = h.post(big);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.body()).contains("second");
        assertThat(h.fake.inFlight("tokA")).as("the first answer is still streaming").isEqualTo(1);

        String rest;
        try (var in = first.body()) {
            rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(rest).contains("response.completed");
        RelayHarness.await("nothing is held at the end", Duration.ofSeconds(5), () -> h.relay.bodyMemoryInUse() == 0);
        assertThat(h.fake.responsesRequests()).hasSize(2);
        assertThat(h.fake.responsesRequests().get(0).body()).hasSize(big.getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void aDeclaredLengthReservesNothingUntilTheBytesArrive() throws Exception {
        h.withConfig(java.util.Map.of("server.max_body_mb", 64L));
        h.chatgpt("A", 1, null);
        h.startServer();
        try (Socket s = firstByteOfABody(33_000_000)) {
            assertThat(h.relay.bodyMemoryInUse()).as("one first piece, not 33 MB").isEqualTo(16 * 1024);
        }
        RelayHarness.await("the budget is free after the client left", Duration.ofSeconds(5), () -> h.relay.bodyMemoryInUse() == 0);
    }

    @Test
    void aSmallDeclaredLengthReservesOnlyThatMuch() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        try (Socket s = firstByteOfABody(300)) {
            assertThat(h.relay.bodyMemoryInUse()).as("a piece of the declared 300 bytes, not 16 KiB").isEqualTo(300);
        }
        RelayHarness.await("the budget is free after the client left", Duration.ofSeconds(5), () -> h.relay.bodyMemoryInUse() == 0);
        // and a whole small body still goes upstream byte for byte
        String body = RelayHarness.body("small");
        assertThat(h.post(body).statusCode()).isEqualTo(200);
        assertThat(h.fake.responsesRequests().get(0).bodyText()).isEqualTo(body);
    }

    @Test
    void onceHalfOfADeclaredLengthHasArrivedTheBodyHoldsExactlyThatLength() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        String prefix = "{\"model\":\"gpt-5\",\"input\":\"";
        String json = prefix + "x".repeat(100_000 - prefix.length() - 2) + "\"}";
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        assertThat(body).hasSize(100_000);
        try (Socket s = new Socket("127.0.0.1", h.relay.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n" + ClientKey.HEADER + ": " + h.key.value()
                    + "\r\ncontent-type: application/json\r\ncontent-length: 100000\r\nconnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.write(body, 0, 30_000);
            out.flush();
            RelayHarness.await("30 000 bytes are kept", Duration.ofSeconds(5), () -> h.relay.bodyMemoryInUse() >= 30_000);
            assertThat(h.relay.bodyMemoryInUse()).as("growing pieces while less than half has come")
                    .isLessThan(100_000).isLessThanOrEqualTo(2 * 30_000 + 16 * 1024);
            out.write(body, 30_000, 25_000);
            out.flush();
            RelayHarness.await("one array of the declared length once half has come", Duration.ofSeconds(5),
                    () -> h.relay.bodyMemoryInUse() == 100_000);
            out.write(body, 55_000, 45_000);
            out.flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 200");
        }
        assertThat(h.fake.responsesRequests()).hasSize(1);
        assertThat(h.fake.responsesRequests().get(0).bodyText()).isEqualTo(json);
        RelayHarness.await("the budget is free after the answer", Duration.ofSeconds(5), () -> h.relay.bodyMemoryInUse() == 0);
    }

    /** A request whose headers declare {@code length} bytes and whose body has sent one, once the relay kept that byte. */
    private Socket firstByteOfABody(long length) throws Exception {
        Socket s = new Socket("127.0.0.1", h.relay.port());
        OutputStream out = s.getOutputStream();
        out.write(("POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n" + ClientKey.HEADER + ": " + h.key.value()
                + "\r\ncontent-type: application/json\r\ncontent-length: " + length + "\r\n\r\n{").getBytes(StandardCharsets.UTF_8));
        out.flush();
        RelayHarness.await("the first byte is kept", Duration.ofSeconds(5), () -> h.relay.bodyMemoryInUse() > 0);
        return s;
    }

    @Test
    void aBodyThatStopsArrivingGetsA408AndHoldsNothing() throws Exception {
        h.withConfig(java.util.Map.of("server.body_timeout_ms", 300L));
        h.chatgpt("A", 1, null);
        h.startServer();
        try (Socket s = new Socket("127.0.0.1", h.relay.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n" + ClientKey.HEADER + ": " + h.key.value()
                    + "\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"model\":").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String answer = readAll(s);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("relay_body_timeout").contains("server.body_timeout_ms = 300 ms");
        }
        assertThat(h.fake.received()).isEmpty();
        RelayHarness.await("the budget is free", Duration.ofSeconds(5), () -> h.relay.bodyMemoryInUse() == 0);
    }

    @Test
    void aClientDrippingItsHeadersIsClosedAtTheHeaderDeadline() throws Exception {
        h.withConfig(java.util.Map.of("server.header_timeout_ms", 500L));
        h.startServer();
        try (Socket s = new Socket("127.0.0.1", h.relay.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            byte[] head = "POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nx-padding: ".getBytes(StandardCharsets.US_ASCII);
            boolean closed = false;
            // One byte every 50 ms resets any idle timeout; only a deadline ends it.
            for (int i = 0; i < 400 && !closed; i++) {
                try {
                    out.write(i < head.length ? head[i] : 'a');
                    out.flush();
                } catch (java.net.SocketException e) {
                    closed = true;
                }
                Thread.sleep(50);
                if (!closed && s.getInputStream().available() == 0) {
                    s.setSoTimeout(1);
                    try {
                        closed = s.getInputStream().read() == -1;
                    } catch (java.net.SocketTimeoutException e) {
                        // still open
                    } catch (java.net.SocketException e) {
                        closed = true;
                    } finally {
                        if (!s.isClosed()) s.setSoTimeout(10_000);
                    }
                }
            }
            assertThat(closed).as("the relay closed the dripping connection").isTrue();
        }
        RelayHarness.await("no connection left", Duration.ofSeconds(5), () -> h.relay.openConnections() == 0);
    }

    @Test
    void connectionsOverTheCapGetAClearRefusal() throws Exception {
        h.withConfig(java.util.Map.of("server.max_connections", 2L));
        h.chatgpt("A", 1, null);
        h.startServer();
        h.fake.setDefault(FakeUpstream.success("ok"));
        try (Socket a = new Socket("127.0.0.1", h.relay.port()); Socket b = new Socket("127.0.0.1", h.relay.port())) {
            RelayHarness.await("two connections open", Duration.ofSeconds(5), () -> h.relay.openConnections() == 2);
            try (Socket c = new Socket("127.0.0.1", h.relay.port())) {
                c.setSoTimeout(10_000);
                String answer = readAll(c);
                assertThat(answer).startsWith("HTTP/1.1 503").contains("relay_too_many_connections")
                        .contains("server.max_connections = 2");
            }
            assertThat(h.relay.openConnections()).isEqualTo(2);
        }
        RelayHarness.await("the held connections are gone", Duration.ofSeconds(5), () -> h.relay.openConnections() == 0);
        assertThat(h.post(RelayHarness.body("m")).statusCode()).isEqualTo(200);
    }
}
