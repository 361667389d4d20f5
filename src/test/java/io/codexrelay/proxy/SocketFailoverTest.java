package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.codexrelay.app.ControlApi;
import io.codexrelay.config.ClientKey;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.FakeUpstream.Transport;
import io.codexrelay.testing.PoolDaemon;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
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
}
