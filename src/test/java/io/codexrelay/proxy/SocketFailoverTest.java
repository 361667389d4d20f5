package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.codexrelay.app.ControlApi;
import io.codexrelay.config.ClientKey;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.FakeUpstream.Transport;
import io.codexrelay.testing.FakeUpstreamSocket;
import io.codexrelay.testing.PoolDaemon;
import io.codexrelay.testing.TestAccounts;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Socket requests and the failover policy they share with HTTP: the race that once turned an anchored follow-up over
 * an HTTP leg into an error frame, and the same-account retries.
 */
class SocketFailoverTest {
    @TempDir Path tmp;
    private final WebSocketClient client = new WebSocketClient();

    @BeforeEach
    void start() throws Exception { client.start(); }

    @AfterEach
    void stop() throws Exception { client.stop(); }

    private SocketSessionTest.Codex connect(PoolDaemon d, String path) throws Exception {
        SocketSessionTest.Codex c = new SocketSessionTest.Codex();
        ClientUpgradeRequest up = new ClientUpgradeRequest();
        up.setHeader(ClientKey.HEADER, d.clientKey);
        up.setHeader("session-id", "sess-ws-failover");
        up.setHeader("originator", "codex_exec");
        client.connect(c, URI.create("ws://127.0.0.1:" + d.app.port() + path), up).get(30, TimeUnit.SECONDS);
        return c;
    }

    private static String create(String previous, String text) {
        return "{\"type\":\"response.create\",\"model\":\"gpt-5.6-sol\",\"stream\":true,\"store\":false"
                + (previous == null ? "" : ",\"previous_response_id\":\"" + previous + "\"")
                + ",\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + text + "\"}]}]}";
    }

    /**
     * Issue 9's deadline on a socket too: Codex hears at upstream.request_deadline_ms, in a final frame that names the
     * account that timed out, even when an account's own first-byte timeout is longer; its permit comes back and it
     * is not cooled down for it (the next account is never tried after the deadline).
     */
    @Test
    void aHungAccountEndsAtTheRequestDeadlineWithTheAccountNamed() throws Exception {
        String keyA = "sk-test-hung-a-00000000000000000", keyB = "sk-test-hung-b-00000000000000000";
        try (PoolDaemon d = new PoolDaemon(tmp, "[pool]\nrouting = \"priority\"\n").start()) {
            assertThat(d.app.control().applyConfig(java.util.Map.of("upstream.first_byte_timeout_ms", 20_000L,
                    "upstream.request_deadline_ms", 1_000L))).as("both apply at once").isEmpty();
            d.app.control().addApiKey(new ControlApi.NewApiKey("A", keyA, d.fake.apiBaseUrl(), 1, null));
            d.app.control().addApiKey(new ControlApi.NewApiKey("B", keyB, d.fake.apiBaseUrl(), 2, null));
            d.fake.setDefault(FakeUpstream.hang(30_000));
            SocketSessionTest.Codex c = connect(d, "/v1/responses");
            c.send(create(null, "hello"));
            List<JsonNode> frames = c.untilEnd();
            JsonNode last = frames.get(frames.size() - 1);
            assertThat(last.path("type").asText()).as(frames.toString()).isEqualTo("error");
            assertThat(last.path("status").asInt()).as("final for Codex").isEqualTo(400);
            assertThat(last.path("error").path("message").asText()).contains("upstream.request_deadline_ms")
                    .contains("Timed out: A.");
            assertThat(d.fake.received("/responses")).as("B is not tried once the deadline passed").hasSize(1);
            for (int i = 0; i < 100 && d.status("A").inFlight() != 0; i++) Thread.sleep(50);
            assertThat(d.status("A").inFlight()).as("A's permit came back").isZero();
            assertThat(d.status("A").state()).as("abandoned at the deadline, not failed").isEqualTo("ready");
        }
    }

    /**
     * The cause of the CI failure: an HTTP leg's answer can reach the request before the request holds the leg (on a
     * kept-alive upstream connection the answer comes back within microseconds of the send). The request then failed
     * on its own null leg, which looked like a transport error and, with one account, became a 502 error frame. Many
     * anchored follow-ups on one socket, each over the same kept-alive connection, make that window show.
     */
    @Test
    void everyAnchoredFollowUpOverAKeptAliveHttpLegCompletes() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "").start()) {
            d.app.control().addApiKey(new ControlApi.NewApiKey("K", "sk-test-http-only-000000000000", d.fake.apiBaseUrl(), 1, null));
            d.fake.setDefault(FakeUpstream.success("again"));
            SocketSessionTest.Codex c = connect(d, "/v1/responses");
            int requests = 100;
            String previous = null;
            for (int i = 0; i < requests; i++) {
                c.send(create(previous, "turn " + i));
                List<JsonNode> frames = c.untilEnd();
                JsonNode last = frames.get(frames.size() - 1);
                assertThat(last.path("type").asText()).as("request %d: %s", i, frames).isEqualTo("response.completed");
                previous = last.path("response").path("id").asText();
            }
            assertThat(d.fake.responsesRequests(Transport.HTTP)).hasSize(requests)
                    .allSatisfy(q -> assertThat(q.previousResponseId()).isNull());
            // Each follow-up carried the whole conversation: its own input, every earlier turn and answer.
            assertThat(d.fake.responsesRequests(Transport.HTTP).get(requests - 1).json().path("input").size())
                    .isEqualTo(2 * requests - 1);
            assertThat(d.events(RelayEvent.RequestFinished.class)).hasSize(requests)
                    .allSatisfy(e -> assertThat(e.record().failoverChain()).containsExactly("K:sse"));
        }
    }

    /**
     * An upstream socket bound from the previous request that the upstream dropped (here: the TCP connection goes at
     * once, before any event) is a transient failure the policy gives one more try on the same account, on a new
     * socket with the expanded request; B, next in priority, never sees it, and Codex sees only the answer.
     */
    @Test
    void aBoundUpstreamSocketDroppedBeforeAnyEventIsRetriedOnceOnTheSameAccount() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "[pool]\nrouting = \"priority\"\n").chatgpt("A", 1, null).chatgpt("B", 2, null).start()) {
            d.fake.socket().enqueue(d.token("A"), FakeUpstreamSocket.success("first"), FakeUpstreamSocket.closeAtOnce(-1),
                    FakeUpstreamSocket.success("second"));
            SocketSessionTest.Codex c = connect(d, "/v1/responses");
            c.send(create(null, "one"));
            List<JsonNode> first = c.untilEnd();
            assertThat(first.get(first.size() - 1).path("type").asText()).isEqualTo("response.completed");

            c.send(create(first.get(first.size() - 1).path("response").path("id").asText(), "two"));
            List<JsonNode> second = c.untilEnd();
            assertThat(second).extracting(n -> n.path("type").asText()).as(second.toString())
                    .doesNotContain("error").last().isEqualTo("response.completed");
            assertThat(second.toString()).contains("second");

            var finished = d.events(RelayEvent.RequestFinished.class);
            assertThat(finished).hasSize(2);
            assertThat(finished.get(1).record().account()).as("served by; failover chain %s", finished.get(1).record().failoverChain())
                    .isEqualTo("A");
            assertThat(finished.get(1).record().failoverChain()).containsExactly("A:connection closed", "A:ws");
            assertThat(d.fake.socket().acceptedHandshakes()).hasSize(2)
                    .allSatisfy(h -> assertThat(h.token()).isEqualTo(d.token("A")));
            List<FakeUpstream.ResponsesRequest> sent = d.fake.responsesRequests(Transport.WEBSOCKET);
            assertThat(sent).hasSize(3);
            assertThat(sent.get(1).previousResponseId()).as("the dropped attempt went anchored on the bound socket").isNotNull();
            // The retry is on a new socket that holds no anchor: the whole conversation, each item once.
            assertThat(sent.get(2).previousResponseId()).isNull();
            assertThat(sent.get(2).json().path("input").size()).isEqualTo(3);
            assertThat(d.status("A").inFlight()).isZero();
        }
    }

    /**
     * A 401 error frame before any event: as over HTTP, one token refresh and the request again on the same account
     * (a new upstream socket, since the handshake carries the token), instead of moving to B.
     */
    @Test
    void a401FrameRefreshesTheTokenAndRetriesOnTheSameAccount() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "[pool]\nrouting = \"priority\"\n").chatgpt("A", 1, null).chatgpt("B", 2, null).start()) {
            String newToken = TestAccounts.accessToken("tok-A-new", d.t0.plus(Duration.ofDays(10)));
            d.fake.socket().enqueue(d.token("A"), FakeUpstreamSocket.errorFrame(401, "invalid_request_error", "token_expired",
                    "Your access token has expired."));
            d.fake.enqueueTokenReply(200, "{\"access_token\":\"" + newToken + "\",\"refresh_token\":\"rt-A-2\"}");
            d.fake.setUsage(newToken, PoolDaemon.NEUTRAL_USAGE);
            SocketSessionTest.Codex c = connect(d, "/backend-api/codex/responses");
            c.send(create(null, "one"));
            List<JsonNode> frames = c.untilEnd();
            assertThat(frames).extracting(n -> n.path("type").asText()).as(frames.toString())
                    .doesNotContain("error").last().isEqualTo("response.completed");

            assertThat(d.fake.received("/oauth/token")).hasSize(1);
            assertThat(d.fake.socket().acceptedHandshakes()).extracting(FakeUpstreamSocket.Handshake::token)
                    .containsExactly(d.token("A"), newToken);
            var finished = d.events(RelayEvent.RequestFinished.class);
            assertThat(finished).hasSize(1);
            assertThat(finished.get(0).record().account()).isEqualTo("A");
            assertThat(finished.get(0).record().failoverChain()).containsExactly("A:401 token_expired", "A:ws");
            assertThat(d.events(RelayEvent.ReloginNeeded.class)).isEmpty();
        }
    }

    /**
     * An HTTP leg whose 200 stream fails before any output moves the request to the next account; the rest of that
     * first answer (its end, a moment later) belongs to the abandoned exchange and must not end the next attempt.
     */
    @Test
    void theEndOfAnAbandonedHttpLegNeverEndsTheNextAttempt() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "[pool]\nrouting = \"priority\"\n").start()) {
            d.app.control().addApiKey(new ControlApi.NewApiKey("K1", "sk-test-http-first-0000000000", d.fake.apiBaseUrl(), 1, null));
            d.app.control().addApiKey(new ControlApi.NewApiKey("K2", "sk-test-http-second-000000000", d.fake.apiBaseUrl(), 2, null));
            SocketSessionTest.Codex c = connect(d, "/v1/responses");
            d.fake.enqueue("sk-test-http-first-0000000000", FakeUpstream.failedEarly("server_error", "try again"));
            d.fake.enqueue("sk-test-http-second-000000000", FakeUpstream.slowSuccess("from K2", 2, 20));
            c.send(create(null, "one"));
            List<JsonNode> frames = c.untilEnd();
            assertThat(frames).extracting(n -> n.path("type").asText()).as(frames.toString())
                    .doesNotContain("error", "response.failed").last().isEqualTo("response.completed");
            assertThat(frames.toString()).contains("from K2");
            assertThat(d.events(RelayEvent.RequestFinished.class)).singleElement()
                    .satisfies(e -> assertThat(e.record().failoverChain())
                            .containsExactly("K1:response.failed server_error", "K2:sse"));
        }
    }

    /**
     * Reasoning minted under another account (400 invalid_encrypted_content before any event): as over HTTP, the
     * encrypted reasoning is stripped and the request goes once more to the same account, in full on a new socket.
     */
    @Test
    void staleReasoningOnASocketIsStrippedAndRetriedOnTheSameAccount() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "[pool]\nrouting = \"priority\"\n").chatgpt("A", 1, null).chatgpt("B", 2, null).start()) {
            d.fake.socket().enqueue(d.token("A"), FakeUpstreamSocket.errorFrame(400, "invalid_request_error",
                    "invalid_encrypted_content", "The encrypted content could not be verified."));
            SocketSessionTest.Codex c = connect(d, "/backend-api/codex/responses");
            c.send("{\"type\":\"response.create\",\"model\":\"gpt-5.6-sol\",\"stream\":true,\"store\":false,\"input\":["
                    + "{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[],\"encrypted_content\":\"gAAA-from-another-account\"},"
                    + "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"go on\"}]}]}");
            List<JsonNode> frames = c.untilEnd();
            assertThat(frames).extracting(n -> n.path("type").asText()).as(frames.toString())
                    .doesNotContain("error").last().isEqualTo("response.completed");

            List<FakeUpstream.ResponsesRequest> sent = d.fake.responsesRequests(Transport.WEBSOCKET);
            assertThat(sent).hasSize(2).allSatisfy(q -> assertThat(q.token()).isEqualTo(d.token("A")));
            assertThat(sent.get(0).json().toString()).contains("encrypted_content");
            assertThat(sent.get(1).json().toString()).doesNotContain("encrypted_content").contains("go on");
            assertThat(sent.get(1).json().path("input").size()).as("the emptied reasoning item is left out").isEqualTo(1);
            assertThat(d.events(RelayEvent.RequestFinished.class)).singleElement()
                    .satisfies(e -> assertThat(e.record().failoverChain()).containsExactly("A:400 invalid_encrypted_content", "A:ws"));
        }
    }
}
