package io.codexrelay.proxy;

import io.codexrelay.events.RelayEvent;
import io.codexrelay.pool.AccountRuntime;
import io.codexrelay.events.FinishedRequest;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The relay forwarding to a fake upstream: credentials, byte-for-byte bodies, failover, request errors, pool out. */
class ForwardingTest {
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

    private static String joined(List<String> events) {
        return String.join("", events);
    }

    @Test
    void aClientThatAsksFor100ContinueIsAnsweredAndTheUpstreamNeverSeesExpect() throws Exception {
        // curl asks "Expect: 100-continue" for bodies over 1 KiB. The relay's server answers it; the header is hop-by-hop
        // for the relay and never forwarded (so its upstream client keeps no 100-continue handler).
        h.chatgpt("A", 1, null);
        h.startServer();
        String body = RelayHarness.body("gpt-5-codex") + " ".repeat(4096);

        HttpResponse<String> r = h.send(h.codexPost("/v1/responses", body).expectContinue(true));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(joined(FakeUpstream.successEvents("Hello from the fake upstream.", 12, 3)));
        var got = h.fake.received("/backend-api/codex/responses");
        assertThat(got).hasSize(1);
        assertThat(got.get(0).body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
        assertThat(got.get(0).header("expect")).isNull();
    }

    @Test
    void successPassesBodyByteForByteAndInjectsTheAccountsCredentials() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        String body = RelayHarness.body("gpt-5-codex") + "\n  ";

        HttpResponse<String> r = h.post(body);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(joined(FakeUpstream.successEvents("Hello from the fake upstream.", 12, 3)));
        assertThat(r.headers().firstValue("x-codex-primary-used-percent")).contains("10.0");
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");

        var got = h.fake.received("/backend-api/codex/responses");
        assertThat(got).hasSize(1);
        var req = got.get(0);
        assertThat(req.body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
        assertThat(req.header("authorization")).isEqualTo("Bearer tokA");
        assertThat(req.header("chatgpt-account-id")).isEqualTo("acc-A");
        assertThat(req.header("version")).isEqualTo("0.169.0");
        assertThat(req.header("host")).isEqualTo("127.0.0.1:" + h.fake.port()); // one Host, the upstream's
        assertThat(req.header("session-id")).isEqualTo("sess-1");
        assertThat(req.header("originator")).isEqualTo("codex_exec");
        assertThat(req.header("user-agent")).isEqualTo("codex_exec/0.169.0 (Linux; x86_64)");
        assertThat(req.header("content-type")).isEqualTo("application/json");
        assertThat(req.header("accept")).isEqualTo("text/event-stream");
        assertThat(req.header("accept-encoding")).isNull();
        assertThat(req.header("x-relay-key")).isNull();
        assertThat(req.headers().values()).noneMatch(v -> v.contains(h.key.value()) || v.contains("codex-own-token"));

        FinishedRequest rec = h.awaitRecords(1).get(0);
        assertThat(rec.account()).isEqualTo("A");
        assertThat(rec.status()).isEqualTo(200);
        assertThat(rec.model()).isEqualTo("gpt-5-codex");
        assertThat(rec.path()).isEqualTo("/v1/responses");
        assertThat(rec.failoverChain()).containsExactly("A:200");
        assertThat(rec.inputTokens()).isEqualTo(12);
        assertThat(rec.cachedTokens()).isEqualTo(2);
        assertThat(rec.outputTokens()).isEqualTo(3);
        assertThat(rec.reasoningTokens()).isEqualTo(1);
        assertThat(rec.sessionId()).isEqualTo("sess-1");
        assertThat(rec.failureClass()).isNull();
        assertThat(rec.ttfbMs()).isNotNull();
        assertThat(h.eventsOf(RelayEvent.RequestStarted.class)).extracting(RelayEvent.RequestStarted::account).containsExactly("A");
    }

    @Test
    void apiKeyAccountsGoToTheirBaseUrlWithTheirKey() throws Exception {
        h.apiKey("K", 1, h.fake.apiBaseUrl(), null);
        h.startServer();

        HttpResponse<String> r = h.send(h.codexPost("/responses", RelayHarness.body("gpt-5")));

        assertThat(r.statusCode()).isEqualTo(200);
        var req = h.fake.received("/v1/responses");
        assertThat(req).hasSize(1);
        assertThat(req.get(0).header("authorization")).isEqualTo("Bearer sk-K");
        assertThat(req.get(0).header("chatgpt-account-id")).isNull();
        assertThat(req.get(0).header("version")).isNull();
    }

    @Test
    void allThreeResponsesPathsAreServed() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        for (String p : List.of("/v1/responses", "/responses", "/backend-api/codex/responses")) {
            assertThat(h.send(h.codexPost(p, "{}")).statusCode()).as(p).isEqualTo(200);
        }
        assertThat(h.fake.received("/codex/responses")).hasSize(3);
    }

    @Test
    void usageLimitFailsOverAndTheAccountSleepsUntilItsReset() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        long resetsAt = RelayHarness.T0.getEpochSecond() + 1800;
        h.fake.enqueue("tokA", FakeUpstream.usageLimit(resetsAt, "plus"));

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("response.completed");
        FinishedRequest rec = h.awaitRecords(1).get(0);
        assertThat(rec.account()).isEqualTo("B");
        assertThat(rec.failoverChain()).containsExactly("A:429 usage_limit_reached", "B:200");
        assertThat(rec.failureClass()).isEqualTo("quota");
        assertThat(h.fake.received().get(1).header("authorization")).isEqualTo("Bearer tokB");

        AccountRuntime a = h.pool.runtime().get(0);
        assertThat(a.account().name()).isEqualTo("A");
        assertThat(a.state()).isEqualTo("exhausted");
        assertThat(a.until()).isEqualTo(Instant.ofEpochSecond(resetsAt));
        assertThat(h.pool.serving()).isEqualTo("B");
        assertThat(h.eventsOf(RelayEvent.AccountExhausted.class)).singleElement()
                .satisfies(e -> assertThat(e.until()).isEqualTo(Instant.ofEpochSecond(resetsAt)));
        assertThat(h.eventsOf(RelayEvent.AccountSwitched.class)).singleElement()
                .satisfies(e -> {
                    assertThat(e.from()).isEqualTo("A");
                    assertThat(e.to()).isEqualTo("B");
                    assertThat(e.reason()).contains("usage limit reached");
                });

        // The next request goes straight to B.
        h.post(RelayHarness.body("m"));
        assertThat(h.fake.received("/responses")).extracting(FakeUpstream.Received::token).containsExactly("tokA", "tokB", "tokB");

        // After the reset, A serves again.
        h.clock.set(Instant.ofEpochSecond(resetsAt + 1));
        assertThat(h.pool.serving()).isEqualTo("A");
        assertThat(h.eventsOf(RelayEvent.AccountRecovered.class)).extracting(RelayEvent.AccountRecovered::account).containsExactly("A");
        h.post(RelayHarness.body("m"));
        assertThat(h.fake.received("/responses").get(3).token()).isEqualTo("tokA");
    }

    @Test
    void otherRateLimitFailsOverWithAShortCooldown() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.rateLimited(20));

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.awaitRecords(1).get(0).failoverChain()).containsExactly("A:429 rate_limit_exceeded", "B:200");
        AccountRuntime a = h.pool.runtime().get(0);
        assertThat(a.state()).isEqualTo("cooling");
        assertThat(a.until()).isEqualTo(RelayHarness.T0.plusSeconds(20));
    }

    @Test
    void serverErrorFailsOverWithoutTakingTheAccountOutAfterOneBlip() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.status(502, "{\"error\":{\"message\":\"bad gateway\"}}"));

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        FinishedRequest rec = h.awaitRecords(1).get(0);
        assertThat(rec.failoverChain()).containsExactly("A:502", "B:200");
        assertThat(rec.failureClass()).isEqualTo("transient");
        assertThat(h.pool.runtime().get(0).state()).isEqualTo("ready");
        assertThat(h.pool.serving()).isEqualTo("A");
    }

    @Test
    void connectRefusedFailsOver() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        h.apiKey("Dead", 1, "http://127.0.0.1:" + closedPort + "/v1", null);
        h.chatgpt("B", 2, null);
        h.startServer();

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.awaitRecords(1).get(0).failoverChain()).containsExactly("Dead:connect refused", "B:200");
    }

    @Test
    void earlyResponseFailedFailsOverAndCodexNeverSeesTheFirstAttempt() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.failedEarly("server_error", "boom"));

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(joined(FakeUpstream.successEvents("Hello from the fake upstream.", 12, 3)));
        assertThat(r.body()).doesNotContain("resp_f");
        assertThat(h.awaitRecords(1).get(0).failoverChain()).containsExactly("A:response.failed server_error", "B:200");
    }

    @Test
    void anEarlyStaleReasoningFailureIsRepairedAndRetriedOnceOnTheSameAccount() throws Exception {
        h.chatgpt("A", 1, 1);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.failedEarly("invalid_encrypted_content", "could not be verified"));
        String body = "{\"model\":\"m\",\"stream\":true,\"input\":[{\"type\":\"reasoning\",\"summary\":[],"
                + "\"encrypted_content\":\"gAAAA-elsewhere\"},{\"type\":\"message\",\"role\":\"user\",\"content\":"
                + "[{\"type\":\"input_text\",\"text\":\"hi\"}]}]}";

        HttpResponse<String> r = h.post(body);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("response.completed").doesNotContain("invalid_encrypted_content");
        var sent = h.fake.received("/responses");
        assertThat(sent).hasSize(2).allSatisfy(x -> assertThat(x.token()).isEqualTo("tokA"));
        assertThat(sent.get(1).bodyText()).doesNotContain("gAAAA");
        assertThat(h.awaitRecords(1).get(0).failoverChain())
                .containsExactly("A:response.failed invalid_encrypted_content", "A:200");
        assertThat(h.pool.runtime().get(0).inFlight()).isZero();
    }

    @Test
    void earlyInsufficientQuotaMarksTheAccountExhausted() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.failedEarly("insufficient_quota", "no quota"));

        assertThat(h.post(RelayHarness.body("m")).statusCode()).isEqualTo(200);
        assertThat(h.pool.runtime().get(0).state()).isEqualTo("exhausted");
        assertThat(h.pool.runtime().get(0).until()).isEqualTo(RelayHarness.T0.plus(Duration.ofHours(1)));
    }

    @Test
    void badRequestIsReturnedUnchangedWithoutFailover() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        var bad = FakeUpstream.badRequest("unsupported_parameter", "Unsupported parameter: 'foo'");
        h.fake.enqueue("tokA", bad);

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).isEqualTo(bad.body());
        assertThat(h.fake.received("/responses")).hasSize(1);
        FinishedRequest rec = h.awaitRecords(1).get(0);
        assertThat(rec.failoverChain()).containsExactly("A:400 unsupported_parameter");
        assertThat(rec.failureClass()).isEqualTo("request");
        assertThat(h.pool.runtime().get(0).state()).isEqualTo("ready");
    }

    @Test
    void contextLengthExceededInTheStreamIsReturnedUnchanged() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        var failed = FakeUpstream.failedEarly("context_length_exceeded", "Your input exceeds the context window");
        h.fake.enqueue("tokA", failed);

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(joined(failed.events()));
        assertThat(h.fake.received("/responses")).hasSize(1);
        assertThat(h.awaitRecords(1).get(0).failureClass()).isEqualTo("request");
    }

    @Test
    void whenEveryAccountIsOutCodexGetsUsageLimitWithTheEarliestReset() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        long resetA = RelayHarness.T0.getEpochSecond() + 7200;
        long resetB = RelayHarness.T0.getEpochSecond() + 3600;
        h.fake.enqueue("tokA", FakeUpstream.usageLimit(resetA, "plus"));
        h.fake.enqueue("tokB", FakeUpstream.usageLimit(resetB, "pro"));

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(429);
        var err = RelayErrors.JSON.readTree(r.body()).get("error");
        assertThat(err.get("type").asText()).isEqualTo("usage_limit_reached");
        assertThat(err.get("resets_at").asLong()).isEqualTo(resetB);
        assertThat(err.get("resets_in_seconds").asLong()).isEqualTo(3600);
        assertThat(err.get("message").asText()).contains("All codex-relay accounts are out");
        assertThat(h.awaitRecords(1).get(0).failoverChain())
                .containsExactly("A:429 usage_limit_reached", "B:429 usage_limit_reached");
        assertThat(h.eventsOf(RelayEvent.PoolExhausted.class)).singleElement()
                .satisfies(e -> assertThat(e.earliestReset()).isEqualTo(Instant.ofEpochSecond(resetB)));
        assertThat(h.pool.serving()).isNull();
        assertThat(h.pool.earliestReset()).isEqualTo(Instant.ofEpochSecond(resetB));

        // Without asking any upstream again.
        HttpResponse<String> again = h.post(RelayHarness.body("m"));
        assertThat(again.statusCode()).isEqualTo(429);
        assertThat(h.fake.received("/responses")).hasSize(2);
    }

    @Test
    void lastTransientFailureIsHandedOnWhenEveryAccountFailed() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.status(500, "{\"error\":{\"message\":\"a\"}}"));
        h.fake.enqueue("tokB", FakeUpstream.status(503, "{\"error\":{\"message\":\"b\"}}"));

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("{\"error\":{\"message\":\"b\"}}");
    }

    @Test
    void firstByteTimeoutFailsOver() throws Exception {
        h.withConfig(Map.of("upstream.first_byte_timeout_ms", 300L));
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.hang(3000));

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.awaitRecords(1).get(0).failoverChain()).containsExactly("A:timeout", "B:200");
    }

    @Test
    void challengeCoolsTheAccountDownAndFailsOver() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.challenge());

        assertThat(h.post(RelayHarness.body("m")).statusCode()).isEqualTo(200);
        assertThat(h.awaitRecords(1).get(0).failoverChain()).containsExactly("A:403 challenge", "B:200");
        assertThat(h.pool.runtime().get(0).state()).isEqualTo("cooling");
    }

    @Test
    void streamThatDiesMidwayIsEndedCleanly() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        var cut = FakeUpstream.truncated("partial answer");
        h.fake.enqueue("tokA", cut);

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("partial answer").doesNotContain("response.completed");
        assertThat(h.fake.received("/responses")).hasSize(1);
        FinishedRequest rec = h.awaitRecords(1).get(0);
        assertThat(rec.error()).containsAnyOf("stream cut", "without response.completed");
        assertThat(rec.failureClass()).isEqualTo("transient");
    }

    @Test
    void modelsAreForwardedToTheServingAccountsUpstreamWithTheQuery() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();

        HttpResponse<String> r = h.send(h.request("/v1/models?client_version=0.169.0")
                .header("x-relay-key", h.key.value()).GET());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"models\"");
        var got = h.fake.received("/backend-api/codex/models");
        assertThat(got).hasSize(1);
        assertThat(got.get(0).query()).isEqualTo("client_version=0.169.0");
        assertThat(got.get(0).header("authorization")).isEqualTo("Bearer tokA");
    }

    @Test
    void apiKeyModelsGoToBaseUrlModels() throws Exception {
        h.apiKey("K", 1, h.fake.apiBaseUrl(), null);
        h.startServer();

        HttpResponse<String> r = h.send(h.request("/models").header("x-relay-key", h.key.value()).GET());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.fake.received("/v1/models")).hasSize(1);
    }

    @Test
    void noAccountsGivesAClearAnswer() throws Exception {
        h.startServer();
        HttpResponse<String> r = h.post(RelayHarness.body("m"));
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("relay_no_accounts").contains("accounts import-codex");
    }

    @Test
    void everyUpstreamAnswersQuotaHeadersReachThePoolOnItsLease() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        // A pool with quota tracking: the lease's answered(headers) is the road the readings take.
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.codexrelay.pool.QuotaTracker tracker = new io.codexrelay.pool.QuotaTracker(null, null, h.clock, Runnable::run);
        tracker.onChange((account, view) -> {
            if (io.codexrelay.pool.QuotaTracker.SOURCE_HEADERS.equals(view.source())) {
                seen.add(account.name() + ":" + view.primary().usedPercent());
            }
        });
        h.pool = new AccountPool(h.repo, h.state, h.config, h.events, h.clock, io.codexrelay.pool.RoutingPolicy.PRIORITY,
                tracker, null);
        h.relay = new RelayServer(h.config, h.pool, h.events, h.key, h.clock);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.usageLimit(RelayHarness.T0.getEpochSecond() + 60, "plus"));

        h.post(RelayHarness.body("m"));

        assertThat(seen).containsExactly("A:100.0", "B:10.0");
    }

    @Test
    void pinnedAccountServesFirst() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.pool.pin("B");

        h.post(RelayHarness.body("m"));

        assertThat(h.fake.received("/responses")).extracting(FakeUpstream.Received::token).containsExactly("tokB");
    }
}
