package io.codexrelay.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.testing.CodexCli;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.FakeUpstream.ResponsesRequest;
import io.codexrelay.testing.FakeUpstream.Transport;
import io.codexrelay.testing.FakeUpstreamSocket;
import io.codexrelay.testing.FakeUpstreamSocket.Handshake;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the pinned Codex CLIs (both versions) really do on Responses over WebSocket, run directly against the fake
 * upstream (no relay). Each test pins one fact that docs/websocket.md states and the relay relies on: the handshake,
 * the frames of a turn, how Codex reacts to each refusal, error frame and close. When a new Codex release changes one
 * of these, the test for it fails and the doc (and the relay) must follow.
 *
 * <p>Codex uses WebSocket only with a provider that has {@code supports_websockets = true} and a model whose catalog
 * entry prefers it ({@code gpt-5.6-sol}); an unknown slug stays on HTTP.
 */
@Tag("e2e")
class CodexWebSocketFactsE2eTest {
    static final List<String> VERSIONS = CodexCli.VERSIONS;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sk-fake-ws-facts-0000000000000000";
    private static final String BETA = "responses_websockets=2026-02-06";
    /** Every header of the upgrade request, both versions, API-key auth (ChatGPT auth adds chatgpt-account-id). */
    private static final Set<String> HANDSHAKE_HEADERS = Set.of("host", "connection", "upgrade", "sec-websocket-version",
            "sec-websocket-key", "sec-websocket-extensions", "authorization", "user-agent", "originator", "openai-beta",
            "x-codex-turn-metadata", "x-codex-beta-features", "x-client-request-id", "session-id", "thread-id", "x-codex-window-id");

    @TempDir Path tmp;

    // ---- the handshake and the frames of one turn ----------------------------------------------------------------

    @ParameterizedTest @FieldSource("VERSIONS")
    void oneTurnIsAPrewarmThenARequestAnchoredOnItOnOneSocket(String version) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            var r = exec(version, fake.apiBaseUrl(), "");
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(r.stdout()).contains("Hello from the fake upstream over WebSocket.");

            List<Handshake> hs = fake.socket().handshakes();
            assertThat(hs).as(transcript(fake, r)).hasSize(1);
            Handshake h = hs.get(0);
            assertThat(h.path()).isEqualTo("/v1/responses");
            assertThat(new TreeSet<>(h.headers().keySet())).isEqualTo(new TreeSet<>(HANDSHAKE_HEADERS));
            assertThat(h.header("authorization")).isEqualTo("Bearer " + KEY);
            assertThat(h.header("openai-beta")).isEqualTo(BETA);
            assertThat(h.header("originator")).isEqualTo("codex_exec");
            assertThat(h.header("user-agent")).startsWith("codex_exec/" + version + " ");
            assertThat(h.header("sec-websocket-extensions")).contains("permessage-deflate");
            assertThat(h.header("x-codex-beta-features")).isEqualTo("remote_compaction_v2");
            String session = h.header("session-id");
            assertThat(h.header("thread-id")).isEqualTo(session);
            assertThat(h.header("x-client-request-id")).isEqualTo(session);
            assertThat(h.header("x-codex-window-id")).isEqualTo(session + ":0");
            assertThat(json(h.header("x-codex-turn-metadata")).path("request_kind").asText()).isEqualTo("prewarm");

            List<ResponsesRequest> reqs = fake.responsesRequests();
            assertThat(reqs).as(transcript(fake, r)).hasSize(2).allMatch(q -> q.transport() == Transport.WEBSOCKET && q.connection() == 1);
            ResponsesRequest prewarm = reqs.get(0), turn = reqs.get(1);
            assertThat(prewarm.json().path("type").asText()).isEqualTo("response.create");
            assertThat(prewarm.prewarm()).isTrue();
            assertThat(prewarm.json().path("input").size()).isZero();
            assertThat(prewarm.previousResponseId()).isNull();
            assertThat(turn.json().path("type").asText()).isEqualTo("response.create");
            assertThat(turn.json().has("generate")).isFalse();
            assertThat(turn.previousResponseId()).isEqualTo("resp_ws_1"); // the prewarm's response id
            assertThat(turn.json().path("input").size()).isPositive();
            assertThat(turn.json().path("model").asText()).isEqualTo("gpt-5.6-sol");
            assertThat(turn.json().path("stream").asBoolean()).isTrue();
            JsonNode meta = turn.json().path("client_metadata");
            assertThat(meta.path("ws_request_header_x_openai_internal_codex_responses_lite").asText()).isEqualTo("true");
            assertThat(meta.path("session_id").asText()).isEqualTo(session);
            assertThat(meta.has("x-codex-turn-state")).isFalse();
            assertThat(json(meta.path("x-codex-turn-metadata").asText()).path("request_kind").asText()).isEqualTo("turn");

            // Codex ends the process without a close frame: the socket just drops (1006).
            assertThat(fake.socket().closes()).hasSize(1)
                    .allSatisfy(c -> assertThat(c.code()).isEqualTo(1006))
                    .allSatisfy(c -> assertThat(c.byClient()).isTrue());
        }
    }

    @ParameterizedTest @FieldSource("VERSIONS")
    void chatGptStyleBaseUrlUpgradesOnTheBackendApiPath(String version) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            var r = exec(version, fake.chatgptBaseUrl() + "/codex", "");
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(fake.socket().handshakes()).extracting(Handshake::path).containsExactly("/backend-api/codex/responses");
            assertThat(fake.responsesRequests(Transport.HTTP)).isEmpty();
            assertThat(fake.responsesRequests(Transport.WEBSOCKET)).hasSize(2);
        }
    }

    @ParameterizedTest @FieldSource("VERSIONS")
    void turnStateComesFromAResponseMetadataEventAndGoesBackInClientMetadataNotFromThe101(String version) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            // A turn-state on the 101 is ignored; one in a response.metadata event is replayed by the next request of the
            // turn (here the full resend after the socket is closed mid-stream), in client_metadata, never as a header.
            fake.socket().setAcceptHeaders(Map.of("x-codex-turn-state", "ts-from-101"));
            fake.socket().enqueue(KEY, new FakeUpstreamSocket.Frames(List.of(FakeUpstreamSocket.created(FakeUpstreamSocket.NEW_ID),
                    "{\"type\":\"response.metadata\",\"headers\":{\"x-codex-turn-state\":\"ts-from-event\"}}"), 0, 1011));
            var r = exec(version, fake.apiBaseUrl(), "");
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertReconnectedWithFullRequest(fake, r);
            List<ResponsesRequest> reqs = fake.responsesRequests();
            assertThat(reqs.get(1).json().path("client_metadata").has("x-codex-turn-state")).isFalse();
            assertThat(reqs.get(2).json().path("client_metadata").path("x-codex-turn-state").asText()).isEqualTo("ts-from-event");
            assertThat(fake.socket().handshakes()).allMatch(h -> h.header("x-codex-turn-state") == null);
        }
    }

    // ---- refusals of the upgrade -----------------------------------------------------------------------------------

    @ParameterizedTest @FieldSource("VERSIONS")
    void upgrade426FallsBackToHttpAtOnceWithoutRetries(String version) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            fake.socket().refuseUpgrades(426, 10);
            var r = exec(version, fake.apiBaseUrl(), "");
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(r.stdout()).contains("Hello from the fake upstream.");
            assertThat(fake.socket().handshakes()).as(transcript(fake, r)).extracting(Handshake::status).containsExactly(426);
            List<ResponsesRequest> http = fake.responsesRequests(Transport.HTTP);
            assertThat(http).hasSize(1);
            assertThat(http.get(0).previousResponseId()).isNull();
            assertThat(http.get(0).prewarm()).isFalse();
            assertThat(http.get(0).header("accept")).isEqualTo("text/event-stream");
            assertThat(r.stderr()).doesNotContain("Reconnecting");
        }
    }

    static Stream<Arguments> retriedRefusals() {
        return VERSIONS.stream().flatMap(v -> Stream.of(401, 500).map(s -> Arguments.of(v, s)));
    }

    @ParameterizedTest @MethodSource("retriedRefusals")
    void otherUpgradeRefusalsCostSixMoreHandshakesThenHttp(String version, int status) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            fake.socket().refuseUpgrades(status, 50);
            var r = exec(version, fake.apiBaseUrl(), "");
            assertThat(r.ok()).as(r.toString()).isTrue();
            // The prewarm's connect fails once, then the turn tries 1 + 5 retries (stream_max_retries), then HTTP.
            assertThat(fake.socket().handshakes()).as(transcript(fake, r)).hasSize(7).allMatch(h -> h.status() == status);
            assertThat(fake.responsesRequests(Transport.HTTP)).hasSize(1);
            assertThat(r.stderr()).contains("Reconnecting... 5/5").contains("Falling back from WebSockets to HTTPS transport");
        }
    }

    @ParameterizedTest @FieldSource("VERSIONS")
    void upgrade400FailsTheTurnWithoutFallback(String version) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            fake.socket().refuseUpgrades(400, 50);
            var r = exec(version, fake.apiBaseUrl(), "");
            assertThat(r.ok()).as(r.toString()).isFalse();
            assertThat(r.stderr()).contains("fake upstream refuses the WebSocket upgrade");
            // One for the prewarm, one for the turn; no retry, no HTTP.
            assertThat(fake.socket().handshakes()).as(transcript(fake, r)).hasSize(2);
            assertThat(fake.responsesRequests()).isEmpty();
        }
    }

    // ---- error frames ------------------------------------------------------------------------------------------

    @ParameterizedTest @FieldSource("VERSIONS")
    void errorFrameWith500ReconnectsAndResendsTheFullRequest(String version) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            fake.socket().enqueue(KEY, FakeUpstreamSocket.errorFrame(500, "server_error", "server_error", "boom"));
            var r = exec(version, fake.apiBaseUrl(), "");
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertReconnectedWithFullRequest(fake, r);
        }
    }

    @ParameterizedTest @FieldSource("VERSIONS")
    void errorFrameWithoutStatusIsIgnoredUntilTheIdleTimeout(String version) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            fake.socket().enqueue(KEY, FakeUpstreamSocket.errorFrame(null, "server_error", "server_error", "boom"));
            long idleMillis = 3000;
            var r = exec(version, fake.apiBaseUrl(), "stream_idle_timeout_ms = " + idleMillis + "\n");
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertReconnectedWithFullRequest(fake, r);
            // Codex waited for the idle timeout (default 300 s) before it gave up on the socket: the frame did nothing.
            long waited = fake.socket().handshakes().get(1).arrivedNanos() - fake.responsesRequests().get(1).arrivedNanos();
            assertThat(Duration.ofNanos(waited)).isGreaterThanOrEqualTo(Duration.ofMillis(idleMillis - 100));
        }
    }

    @ParameterizedTest @FieldSource("VERSIONS")
    void repeatedErrorFramesCostFiveReconnectsThenHttp(String version) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            for (int i = 0; i < 10; i++) fake.socket().enqueue(KEY, FakeUpstreamSocket.errorFrame(500, "server_error", "server_error", "boom"));
            var r = exec(version, fake.apiBaseUrl(), "");
            assertThat(r.ok()).as(r.toString()).isTrue();
            List<ResponsesRequest> ws = fake.responsesRequests(Transport.WEBSOCKET);
            // prewarm + the anchored request + 5 full retries on new sockets, then one full HTTP POST
            assertThat(ws).as(transcript(fake, r)).hasSize(7);
            assertThat(fake.socket().handshakes()).hasSize(6);
            assertThat(ws.subList(2, 7)).allMatch(q -> q.previousResponseId() == null);
            assertThat(fake.responsesRequests(Transport.HTTP)).hasSize(1);
            assertThat(r.stderr()).contains("Falling back from WebSockets to HTTPS transport");
        }
    }

    static Stream<Arguments> fatalFrames() {
        return VERSIONS.stream().flatMap(v -> Stream.of(
                Arguments.of(v, "usage_limit_reached 429", FakeUpstreamSocket.usageLimitFrame(1_900_000_000L), "usage limit"),
                Arguments.of(v, "rate_limit_exceeded 429", FakeUpstreamSocket.errorFrame(429, "rate_limit_exceeded", "rate_limit_exceeded",
                        "Rate limit reached. Please try again in 1s."), "exceeded retry limit, last status: 429"),
                Arguments.of(v, "server_is_overloaded 503", FakeUpstreamSocket.errorFrame(503, "server_error", "server_is_overloaded",
                        "overloaded"), "at capacity"),
                Arguments.of(v, "invalid_request_error 400", FakeUpstreamSocket.errorFrame(400, "invalid_request_error", "invalid_value",
                        "bad request from the fake"), "bad request from the fake")));
    }

    @ParameterizedTest(name = "{0} {1}") @MethodSource("fatalFrames")
    void theseErrorFramesFailTheTurnWithoutRetry(String version, String what, FakeUpstreamSocket.Frames frame, String shown) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            fake.socket().enqueue(KEY, frame);
            var r = exec(version, fake.apiBaseUrl(), "");
            assertThat(r.ok()).as(r.toString()).isFalse();
            assertThat(r.stderr()).contains(shown);
            assertThat(fake.socket().handshakes()).as(transcript(fake, r)).hasSize(1);
            assertThat(fake.responsesRequests()).hasSize(2);
        }
    }

    // ---- anchors, closes -----------------------------------------------------------------------------------------

    @ParameterizedTest @FieldSource("VERSIONS")
    void anchorMissReconnectsAndResendsTheFullRequest(String version) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            fake.socket().enqueue(KEY, FakeUpstreamSocket.anchorMiss("resp_ws_1"));
            var r = exec(version, fake.apiBaseUrl(), "");
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertReconnectedWithFullRequest(fake, r);
        }
    }

    static Stream<Arguments> closeCodes() {
        return VERSIONS.stream().flatMap(v -> Stream.of(1000, 1011, -1).map(c -> Arguments.of(v, c)));
    }

    @ParameterizedTest @MethodSource("closeCodes")
    void socketClosedMidStreamReconnectsAndResendsTheFullRequest(String version, int closeCode) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            fake.socket().enqueue(KEY, FakeUpstreamSocket.closeMidStream(closeCode));
            var r = exec(version, fake.apiBaseUrl(), "");
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertReconnectedWithFullRequest(fake, r);
            assertThat(fake.socket().closes().get(0).byClient()).isFalse();
            // The partial delta of the dropped attempt is not part of the answer Codex prints.
            assertThat(r.stdout()).contains("Hello from the fake upstream over WebSocket.").doesNotContain("partial");
        }
    }

    @ParameterizedTest @FieldSource("VERSIONS")
    void socketClosedWhileIdleIsReopenedWithAFullRequestAndNoError(String version) throws Exception {
        try (FakeUpstream fake = new FakeUpstream()) {
            fake.socket().enqueuePrewarm(KEY, FakeUpstreamSocket.prewarmThenClose(1000));
            var r = exec(version, fake.apiBaseUrl(), "");
            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(r.stderr()).doesNotContain("Reconnecting");
            List<ResponsesRequest> reqs = fake.responsesRequests();
            assertThat(reqs).as(transcript(fake, r)).hasSize(2);
            assertThat(reqs.get(0).prewarm()).isTrue();
            assertThat(reqs.get(1).connection()).isEqualTo(2);
            assertThat(reqs.get(1).previousResponseId()).isNull();
            assertThat(fake.socket().handshakes()).hasSize(2);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /** prewarm + anchored request on socket 1, then a new socket whose one request is full (no anchor), then done. */
    private static void assertReconnectedWithFullRequest(FakeUpstream fake, CodexCli.Result r) {
        List<ResponsesRequest> reqs = fake.responsesRequests();
        assertThat(reqs).as(transcript(fake, r)).hasSize(3).allMatch(q -> q.transport() == Transport.WEBSOCKET);
        assertThat(reqs.get(1).connection()).isEqualTo(1);
        assertThat(reqs.get(1).previousResponseId()).isEqualTo("resp_ws_1");
        ResponsesRequest retry = reqs.get(2);
        assertThat(retry.connection()).isEqualTo(2);
        assertThat(retry.previousResponseId()).isNull();
        assertThat(retry.prewarm()).isFalse();
        // The prewarm had no input, so the anchored request already carried everything: the full resend is the same list.
        assertThat(retry.json().path("input")).isEqualTo(reqs.get(1).json().path("input"));
        assertThat(fake.socket().handshakes()).hasSize(2);
    }

    private CodexCli.Result exec(String version, String baseUrl, String extraProviderToml) throws Exception {
        CodexCli codex = CodexCli.require(version);
        Path home = home(baseUrl, extraProviderToml);
        return codex.run(home, tmp.resolve("work"), Duration.ofSeconds(90), List.of("exec", "--skip-git-repo-check", "hello"),
                Map.of("FAKE_UPSTREAM_KEY", KEY));
    }

    /** A Codex home whose provider points at the fake with WebSocket on and the API key from the environment. */
    private Path home(String baseUrl, String extraProviderToml) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("codex-home"));
        Files.writeString(dir.resolve("config.toml"), "# written by CodexWebSocketFactsE2eTest\n"
                + "check_for_update_on_startup = false\nmodel = \"gpt-5.6-sol\"\nmodel_provider = \"fake\"\n\n"
                + "[analytics]\nenabled = false\n\n[model_providers.fake]\nname = \"fake\"\nbase_url = \"" + baseUrl + "\"\n"
                + "wire_api = \"responses\"\nenv_key = \"FAKE_UPSTREAM_KEY\"\nsupports_websockets = true\nrequest_max_retries = 0\n"
                + extraProviderToml);
        return dir;
    }

    private static JsonNode json(String s) {
        try { return JSON.readTree(s); } catch (Exception e) { throw new IllegalStateException(e); }
    }

    /** What the fake saw, for assertion messages (secrets redacted). */
    private static String transcript(FakeUpstream fake, CodexCli.Result r) {
        StringBuilder b = new StringBuilder(r.toString()).append("\n--- fake upstream ---\n");
        for (Handshake h : fake.socket().handshakes()) {
            b.append("handshake #").append(h.connection()).append(' ').append(h.status()).append(' ').append(h.path())
                    .append(" headers=").append(new TreeSet<>(h.headers().keySet())).append('\n');
        }
        for (ResponsesRequest q : fake.responsesRequests()) {
            b.append(q.transport()).append(" #").append(q.connection()).append(" generate=").append(q.json().path("generate"))
                    .append(" previous_response_id=").append(q.previousResponseId()).append(" inputs=").append(q.json().path("input").size())
                    .append('\n');
        }
        fake.socket().closes().forEach(c -> b.append(c).append('\n'));
        return CodexCli.redact(b.toString());
    }
}
