package io.codexrelay.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.testing.FakeUpstream.Transport;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.UpgradeException;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fake upstream's WebSocket side, driven by a plain Jetty WebSocket client (the real-CLI facts are in e2e). */
class FakeUpstreamSocketTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private FakeUpstream fake;
    private WebSocketClient client;

    /** Collects the text frames and the close of one socket. Public: Jetty binds listener methods by method handle. */
    public static final class Frames implements Session.Listener.AutoDemanding {
        final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
        final BlockingQueue<Integer> closes = new LinkedBlockingQueue<>();
        @Override public void onWebSocketText(String text) { texts.add(text); }
        @Override public void onWebSocketClose(int code, String reason) { closes.add(code); }

        JsonNode next() throws Exception {
            String t = texts.poll(10, TimeUnit.SECONDS);
            assertThat(t).as("a frame within 10 s").isNotNull();
            return JSON.readTree(t);
        }

        /** Frames up to and including the first whose type is one of {@code last}. */
        List<JsonNode> until(String... last) throws Exception {
            List<JsonNode> out = new ArrayList<>();
            while (true) {
                JsonNode n = next();
                out.add(n);
                if (List.of(last).contains(n.path("type").asText())) return out;
            }
        }
    }

    @BeforeEach
    void start() throws Exception {
        fake = new FakeUpstream();
        client = new WebSocketClient();
        client.start();
    }

    @AfterEach
    void stop() throws Exception {
        client.stop();
        fake.close();
    }

    private Session connect(String path, String token, Frames frames) throws Exception {
        ClientUpgradeRequest req = new ClientUpgradeRequest();
        req.setHeader("Authorization", "Bearer " + token);
        req.setHeader("OpenAI-Beta", "responses_websockets=2026-02-06");
        return client.connect(frames, URI.create("ws://127.0.0.1:" + fake.port() + path), req).get(10, TimeUnit.SECONDS);
    }

    private static String create(String previous, boolean generate, String input) {
        return "{\"type\":\"response.create\",\"model\":\"gpt-5.6-sol\",\"stream\":true"
                + (previous == null ? "" : ",\"previous_response_id\":\"" + previous + "\"")
                + (generate ? "" : ",\"generate\":false")
                + ",\"input\":[" + (input == null ? "" : "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + input + "\"}]}") + "]}";
    }

    @Test
    void prewarmThenAnchoredRequestOnBothResponsesPaths() throws Exception {
        for (String path : List.of("/v1/responses", "/backend-api/codex/responses")) {
            fake.reset();
            Frames f = new Frames();
            Session s = connect(path, "tok-A", f);
            s.sendText(create(null, false, null), org.eclipse.jetty.websocket.api.Callback.NOOP);
            List<JsonNode> warm = f.until("response.completed");
            assertThat(warm).extracting(n -> n.path("type").asText()).containsExactly("response.created", "response.completed");
            String anchor = warm.get(1).path("response").path("id").asText();
            assertThat(warm.get(1).path("response").path("output").size()).isZero();

            s.sendText(create(anchor, true, "hi"), org.eclipse.jetty.websocket.api.Callback.NOOP);
            List<JsonNode> turn = f.until("response.completed");
            assertThat(turn).extracting(n -> n.path("type").asText()).containsExactly("codex.rate_limits", "response.created",
                    "response.in_progress", "response.output_item.added", "response.output_text.delta", "response.output_item.done",
                    "response.completed");
            assertThat(turn.get(0).path("rate_limits").path("primary").path("used_percent").asDouble()).isEqualTo(10.0);
            assertThat(turn.get(6).path("response").path("id").asText()).isNotEqualTo(anchor);
            s.close();

            assertThat(fake.socket().handshakes()).singleElement().satisfies(h -> {
                assertThat(h.path()).isEqualTo(path);
                assertThat(h.status()).isEqualTo(101);
                assertThat(h.token()).isEqualTo("tok-A");
                assertThat(h.header("authorization")).isEqualTo("Bearer tok-A");
                assertThat(h.header("openai-beta")).isEqualTo("responses_websockets=2026-02-06");
            });
            assertThat(fake.responsesRequests()).hasSize(2).allSatisfy(q -> {
                assertThat(q.transport()).isEqualTo(Transport.WEBSOCKET);
                assertThat(q.token()).isEqualTo("tok-A");
                assertThat(q.header("authorization")).isEqualTo("Bearer tok-A");
            });
            assertThat(fake.responsesRequests().get(0).prewarm()).isTrue();
            assertThat(fake.responsesRequests().get(1).previousResponseId()).isEqualTo(anchor);
            assertThat(fake.received()).as("upgrades are not HTTP requests").isEmpty();
        }
    }

    @Test
    void anAnchorFromAnotherSocketIsAMiss() throws Exception {
        Frames first = new Frames();
        Session a = connect("/v1/responses", "tok-A", first);
        a.sendText(create(null, false, null), org.eclipse.jetty.websocket.api.Callback.NOOP);
        String anchor = first.until("response.completed").get(1).path("response").path("id").asText();
        a.close();

        Frames second = new Frames();
        Session b = connect("/v1/responses", "tok-A", second);
        b.sendText(create(anchor, true, "hi"), org.eclipse.jetty.websocket.api.Callback.NOOP);
        JsonNode miss = second.next();
        assertThat(miss.path("type").asText()).isEqualTo("error");
        assertThat(miss.path("status").asInt()).isEqualTo(400);
        assertThat(miss.path("error").path("code").asText()).isEqualTo("previous_response_not_found");
        assertThat(miss.path("error").path("param").asText()).isEqualTo("previous_response_id");
        assertThat(miss.path("error").path("message").asText()).contains(anchor);
        // A full request on the same socket still works.
        b.sendText(create(null, true, "hi"), org.eclipse.jetty.websocket.api.Callback.NOOP);
        assertThat(second.until("response.completed")).isNotEmpty();
    }

    @Test
    void scriptedErrorFramesAndCloses() throws Exception {
        fake.socket().setRateLimitsEvents(false)
                .enqueue("tok-A", FakeUpstreamSocket.errorFrame(500, "server_error", "server_error", "boom"),
                        FakeUpstreamSocket.errorFrame(null, "server_error", "server_error", "no status"),
                        FakeUpstreamSocket.usageLimitFrame(1_900_000_000L),
                        FakeUpstreamSocket.closeMidStream(1011));
        Frames f = new Frames();
        Session s = connect("/v1/responses", "tok-A", f);
        s.sendText(create(null, true, "1"), org.eclipse.jetty.websocket.api.Callback.NOOP);
        JsonNode e500 = f.next();
        assertThat(e500.path("status").asInt()).isEqualTo(500);
        s.sendText(create(null, true, "2"), org.eclipse.jetty.websocket.api.Callback.NOOP);
        JsonNode noStatus = f.next();
        assertThat(noStatus.path("type").asText()).isEqualTo("error");
        assertThat(noStatus.has("status")).isFalse();
        s.sendText(create(null, true, "3"), org.eclipse.jetty.websocket.api.Callback.NOOP);
        JsonNode usage = f.next();
        assertThat(usage.path("status").asInt()).isEqualTo(429);
        assertThat(usage.path("error").path("type").asText()).isEqualTo("usage_limit_reached");
        assertThat(usage.path("headers").path("x-codex-primary-used-percent").asText()).isEqualTo("100.0");
        s.sendText(create(null, true, "4"), org.eclipse.jetty.websocket.api.Callback.NOOP);
        assertThat(f.until("response.output_text.delta")).extracting(n -> n.path("type").asText())
                .containsExactly("response.created", "response.output_item.added", "response.output_text.delta");
        assertThat(f.closes.poll(10, TimeUnit.SECONDS)).isEqualTo(1011);
        // the client can see the close before the fake's own close callback has recorded it
        for (int i = 0; i < 100 && fake.socket().closes().isEmpty(); i++) Thread.sleep(50);
        assertThat(fake.socket().closes()).singleElement().satisfies(c -> {
            assertThat(c.code()).isEqualTo(1011);
            assertThat(c.byClient()).isFalse();
        });
        assertThat(fake.responsesRequests(Transport.WEBSOCKET)).hasSize(4);
    }

    @Test
    void refusedUpgradeOnDemandThenAccepted() throws Exception {
        fake.socket().refuseUpgrades(426, 1);
        assertThatThrownBy(() -> connect("/v1/responses", "tok-A", new Frames()))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(UpgradeException.class, e -> assertThat(e.getResponseStatusCode()).isEqualTo(426));
        Session s = connect("/v1/responses", "tok-A", new Frames());
        assertThat(s.isOpen()).isTrue();
        s.close();
        assertThat(fake.socket().handshakes()).extracting(FakeUpstreamSocket.Handshake::status).containsExactly(426, 101);
    }

    @Test
    void httpRequestsAreRecordedBesideSocketRequests() throws Exception {
        Frames f = new Frames();
        Session s = connect("/v1/responses", "tok-A", f);
        s.sendText(create(null, true, "over ws"), org.eclipse.jetty.websocket.api.Callback.NOOP);
        f.until("response.completed");
        HttpResponse<String> http = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(fake.apiBaseUrl() + "/responses"))
                .header("Authorization", "Bearer tok-B").POST(HttpRequest.BodyPublishers.ofString(create(null, true, "over http"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(http.statusCode()).isEqualTo(200);
        assertThat(http.body()).contains("response.completed");
        assertThat(fake.responsesRequests()).extracting(FakeUpstream.ResponsesRequest::transport, FakeUpstream.ResponsesRequest::token)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Transport.WEBSOCKET, "tok-A"), org.assertj.core.groups.Tuple.tuple(Transport.HTTP, "tok-B"));
        assertThat(fake.received("/responses")).hasSize(1);
    }
}
