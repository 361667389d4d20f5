package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.app.ControlApi;
import io.codexrelay.config.ClientKey;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.FakeUpstream.ResponsesRequest;
import io.codexrelay.testing.FakeUpstream.Transport;
import io.codexrelay.testing.FakeUpstreamSocket;
import io.codexrelay.testing.PoolDaemon;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One Codex socket through the relay, driven by a plain WebSocket client playing Codex: permits per request, error
 * frames, anchors expanded for an HTTP-only account, unknown anchors.
 */
class SocketSessionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INPUT = "[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hi\"}]}]";

    @TempDir Path tmp;
    private final WebSocketClient client = new WebSocketClient();

    @BeforeEach
    void start() throws Exception { client.start(); }

    @AfterEach
    void stop() throws Exception { client.stop(); }

    /** Codex's side of one socket: the frames it received, in order. */
    public static final class Codex implements Session.Listener.AutoDemanding {
        final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
        volatile Session session;
        volatile int closeCode;

        @Override public void onWebSocketOpen(Session s) { session = s; }
        @Override public void onWebSocketText(String text) { frames.add(text); }
        @Override public void onWebSocketClose(int code, String reason) { closeCode = code; frames.add("{\"type\":\"closed\",\"code\":" + code + "}"); }

        void send(String json) { session.sendText(json, org.eclipse.jetty.websocket.api.Callback.NOOP); }

        JsonNode next() throws Exception {
            String f = frames.poll(30, TimeUnit.SECONDS);
            assertThat(f).as("a frame from the relay").isNotNull();
            return JSON.readTree(f);
        }

        /** Frames up to and including the request's last one (completed, failed, error, or the socket's close). */
        List<JsonNode> untilEnd() throws Exception {
            List<JsonNode> out = new ArrayList<>();
            while (true) {
                JsonNode n = next();
                out.add(n);
                String t = n.path("type").asText();
                if (t.equals("response.completed") || t.equals("response.failed") || t.equals("error") || t.equals("closed")) return out;
            }
        }
    }

    private Codex connect(PoolDaemon d, String path) throws Exception {
        Codex c = new Codex();
        ClientUpgradeRequest up = new ClientUpgradeRequest();
        up.setHeader(ClientKey.HEADER, d.clientKey);
        up.setHeader("session-id", "sess-ws-test");
        up.setHeader("originator", "codex_exec");
        client.connect(c, URI.create("ws://127.0.0.1:" + d.app.port() + path), up).get(30, TimeUnit.SECONDS);
        return c;
    }

    private static String create(String previous, String input, boolean prewarm) {
        return "{\"type\":\"response.create\",\"model\":\"gpt-5.6-sol\",\"stream\":true,\"store\":false"
                + (previous == null ? "" : ",\"previous_response_id\":\"" + previous + "\"")
                + (prewarm ? ",\"generate\":false" : "") + ",\"input\":" + input + "}";
    }

    private static List<String> types(List<JsonNode> frames) {
        return frames.stream().map(n -> n.path("type").asText()).toList();
    }

    private static String completedId(List<JsonNode> frames) {
        return frames.get(frames.size() - 1).path("response").path("id").asText();
    }

    @Test
    void thePermitIsHeldWhileARequestRunsAndNotWhileTheSocketIsIdle() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "[pool]\ngate_wait_ms = 0\n").chatgpt("A", 1, 1).start()) {
            d.fake.socket().enqueue(d.token("A"), FakeUpstreamSocket.slowSuccess("slow", 3, 300));
            Codex c = connect(d, "/v1/responses");
            assertThat(d.status("A").inFlight()).as("an open socket alone holds no permit").isZero();
            c.send(create(null, INPUT, false));
            // Wait for the first delta: the request is running.
            while (!c.next().path("type").asText().equals("response.output_text.delta")) { }
            assertThat(d.status("A").inFlight()).isEqualTo(1);
            var busy = d.ask("other-thread");
            assertThat(busy.statusCode()).as("A's only slot is taken by the socket's request").isEqualTo(503);
            assertThat(busy.body()).contains("relay_busy");
            List<JsonNode> rest = c.untilEnd();
            assertThat(types(rest)).last().isEqualTo("response.completed");
            assertThat(d.status("A").inFlight()).as("the socket is idle again").isZero();
            assertThat(d.ask("other-thread").statusCode()).isEqualTo(200);
            assertThat(d.app.openSockets()).isEqualTo(1);
        }
    }

    @Test
    void anErrorFrameBeforeTheFirstEventFailsOverAndCodexSeesOnlyTheAnswer() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "[pool]\nrouting = \"priority\"\n").chatgpt("A", 1, null).chatgpt("B", 2, null).start()) {
            d.fake.socket().enqueue(d.token("A"), FakeUpstreamSocket.errorFrame(null, "server_error", "server_error", "no status"));
            d.fake.socket().enqueue(d.token("B"), FakeUpstreamSocket.success("from B"));
            Codex c = connect(d, "/backend-api/codex/responses");
            c.send(create(null, INPUT, false));
            List<JsonNode> frames = c.untilEnd();
            assertThat(types(frames)).doesNotContain("error").last().isEqualTo("response.completed");
            assertThat(frames.toString()).contains("from B");
            var finished = d.events(RelayEvent.RequestFinished.class);
            assertThat(finished).hasSize(1);
            assertThat(finished.get(0).record().account()).isEqualTo("B");
            assertThat(finished.get(0).record().failoverChain()).first().asString().startsWith("A:");
        }
    }

    @Test
    void whenNoAccountCanAnswerTheErrorFrameHasARetriedStatusAndAnUpstreamErrorWithoutOneGetsOne() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "").chatgpt("A", 1, null).start()) {
            d.fake.socket().enqueue(d.token("A"), FakeUpstreamSocket.errorFrame(500, "server_error", "server_error", "boom"));
            Codex c = connect(d, "/v1/responses");
            c.send(create(null, INPUT, false));
            JsonNode err = c.untilEnd().get(0);
            assertThat(err.path("type").asText()).isEqualTo("error");
            assertThat(err.path("status").asInt()).isEqualTo(502); // retried by Codex: never a hang, never fatal
            assertThat(err.path("error").path("code").asText()).isEqualTo("relay_upstream_failed");

            // After the first event nothing moves: an upstream error frame without status reaches Codex with 500.
            String bare = "{\"type\":\"error\",\"error\":{\"type\":\"server_error\",\"code\":\"server_error\",\"message\":\"late\"}}";
            d.fake.socket().enqueue(d.token("A"), new FakeUpstreamSocket.Frames(List.of(FakeUpstreamSocket.created(FakeUpstreamSocket.NEW_ID),
                    FakeUpstreamSocket.textDelta("partial"), bare), 0, 0));
            c.send(create(null, INPUT, false));
            List<JsonNode> frames = c.untilEnd();
            assertThat(types(frames)).contains("response.output_text.delta").last().isEqualTo("error");
            assertThat(frames.get(frames.size() - 1).path("status").asInt()).isEqualTo(500);
        }
    }

    @Test
    void anHttpOnlyAccountGetsThePrewarmAnsweredHereAndEveryAnchoredRequestInFull() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "").start()) {
            d.app.control().addApiKey(new ControlApi.NewApiKey("K", "sk-test-http-only-000000000000", d.fake.apiBaseUrl(), 1, null));
            d.fake.enqueue("sk-test-http-only-000000000000", FakeUpstream.success("first"), FakeUpstream.success("second"));
            Codex c = connect(d, "/v1/responses");
            c.send(create(null, "[]", true));
            List<JsonNode> prewarm = c.untilEnd();
            assertThat(types(prewarm)).containsExactly("response.created", "response.completed");
            assertThat(d.fake.responsesRequests()).as("a prewarm never reaches an HTTP upstream").isEmpty();

            c.send(create(completedId(prewarm), INPUT, false));
            List<JsonNode> turn = c.untilEnd();
            assertThat(types(turn)).as(turn.toString()).contains("response.output_text.delta").last().isEqualTo("response.completed");
            // The follow-up sends only its new item, anchored on the turn; the upstream gets the whole conversation.
            c.send(create(completedId(turn), "[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"more\"}]}]", false));
            List<JsonNode> followUp = c.untilEnd();
            assertThat(types(followUp)).as(followUp.toString()).last().isEqualTo("response.completed");

            List<ResponsesRequest> http = d.fake.responsesRequests(Transport.HTTP);
            assertThat(http).hasSize(2).allSatisfy(q -> {
                assertThat(q.previousResponseId()).isNull();
                assertThat(q.json().has("type")).isFalse();
                assertThat(q.json().has("generate")).isFalse();
            });
            assertThat(http.get(0).json().path("input").size()).isEqualTo(1);
            // input + the assistant message of the first answer + the new item
            JsonNode full = http.get(1).json().path("input");
            assertThat(full.size()).isEqualTo(3);
            assertThat(full.get(1).path("role").asText()).isEqualTo("assistant");
            assertThat(full.get(2).toString()).contains("more");
        }
    }

    /**
     * Issue 10: an API-key account's own --websocket choice decides its upstream transport, over the pool-wide
     * websocket.api_key_upstream either way.
     */
    @Test
    void anApiKeyAccountsOwnWebSocketSettingChoosesItsUpstreamTransport() throws Exception {
        String key = "sk-test-own-websocket-0000000000";
        try (PoolDaemon d = new PoolDaemon(tmp, "").start()) {
            d.app.control().addApiKey(new ControlApi.NewApiKey("K", key, d.fake.apiBaseUrl(), 1, null));
            d.fake.enqueue(key, FakeUpstream.success("over http"));

            Codex c = connect(d, "/v1/responses");
            c.send(create(null, INPUT, false));
            assertThat(c.untilEnd().toString()).contains("over http");
            assertThat(d.fake.responsesRequests(Transport.HTTP)).as("the pool's default for API keys: HTTP").hasSize(1);

            var on = d.app.control().updateAccount("K", new ControlApi.AccountChanges(null, null, null, null, null, null, null, "on"));
            assertThat(on.websocket()).isTrue();
            d.fake.socket().enqueue(key, FakeUpstreamSocket.success("over the socket"));
            Codex c2 = connect(d, "/v1/responses");
            c2.send(create(null, INPUT, false));
            assertThat(c2.untilEnd().toString()).contains("over the socket");
            assertThat(d.fake.responsesRequests(Transport.WEBSOCKET)).as("K's own setting: WebSocket").hasSize(1);
            assertThat(d.fake.responsesRequests(Transport.HTTP)).hasSize(1);

            var pool = d.app.control().updateAccount("K", new ControlApi.AccountChanges(null, null, null, null, null, null, null, "pool"));
            assertThat(pool.websocket()).isNull();
            d.fake.enqueue(key, FakeUpstream.success("http again"));
            Codex c3 = connect(d, "/v1/responses");
            c3.send(create(null, INPUT, false));
            assertThat(c3.untilEnd().toString()).contains("http again");
            assertThat(d.fake.responsesRequests(Transport.HTTP)).hasSize(2);
        }
        try (PoolDaemon d = new PoolDaemon(tmp.resolve("pool-on"), "[websocket]\napi_key_upstream = true\n").start()) {
            d.app.control().addApiKey(new ControlApi.NewApiKey("K", key, d.fake.apiBaseUrl(), 1, null));
            d.app.control().updateAccount("K", new ControlApi.AccountChanges(null, null, null, null, null, null, null, "off"));
            d.fake.enqueue(key, FakeUpstream.success("kept on http"));
            Codex c = connect(d, "/v1/responses");
            c.send(create(null, INPUT, false));
            assertThat(c.untilEnd().toString()).contains("kept on http");
            assertThat(d.fake.responsesRequests(Transport.WEBSOCKET)).as("off wins over the pool's on").isEmpty();
        }
    }

    @Test
    void anAnchorTheSocketNeverSawGetsARetried409AndAnUpgradeWithoutTheClientKeyIsRefused() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "").chatgpt("A", 1, null).start()) {
            Codex c = connect(d, "/responses");
            c.send(create("resp_from_another_socket", INPUT, false));
            JsonNode err = c.next();
            assertThat(err.path("status").asInt()).isEqualTo(409);
            assertThat(err.path("error").path("code").asText()).isEqualTo("previous_response_not_found");
            assertThat(d.fake.responsesRequests()).isEmpty();

            // Without the client key the upgrade is refused like any request.
            Codex stranger = new Codex();
            var refused = client.connect(stranger, URI.create("ws://127.0.0.1:" + d.app.port() + "/v1/responses"));
            assertThat(refused).failsWithin(30, TimeUnit.SECONDS).withThrowableThat()
                    .withMessageContaining("Authentication challenge"); // Jetty's client on a 401 without a challenge
            assertThat(d.app.socketUpgrades()).as("only the keyed upgrade got past the guard").isEqualTo(1);
        }
    }

    @Test
    void aQuietSocketIsClosedPolitelyWithItsUpstreamSocket() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "[websocket]\nidle_timeout_seconds = 1\n").chatgpt("A", 1, null).start()) {
            Codex c = connect(d, "/v1/responses");
            c.send(create(null, INPUT, false));
            assertThat(types(c.untilEnd())).last().isEqualTo("response.completed");
            JsonNode closed = c.next(); // nothing more is sent: the idle bound closes the socket
            assertThat(closed.path("type").asText()).isEqualTo("closed");
            assertThat(closed.path("code").asInt()).isEqualTo(1001);
            while (d.fake.socket().closes().isEmpty()) Thread.sleep(20);
            assertThat(d.fake.socket().closes()).hasSize(1).allSatisfy(x -> assertThat(x.byClient()).isTrue());
            while (d.app.openSockets() > 0) Thread.sleep(20);
        }
    }
}
