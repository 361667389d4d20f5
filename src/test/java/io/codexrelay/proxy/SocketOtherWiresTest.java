package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.app.ControlApi;
import io.codexrelay.config.ClientKey;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.testing.FakeProviders;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.FakeUpstream.Transport;
import io.codexrelay.testing.FakeUpstreamSocket;
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
 * Codex over WebSocket through accounts without an upstream socket (issue 12): the socket's HTTP leg goes through the
 * account's dialect, so a Chat Completions or Anthropic account gets its own request shape (model rules applied) and
 * Codex gets Responses events, and the {@code [[redact]]} rules apply to socket requests on every wire.
 */
class SocketOtherWiresTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT_KEY = "sk-test-chat-socket-000000000000";

    @TempDir Path tmp;
    private final WebSocketClient client = new WebSocketClient();

    @BeforeEach
    void start() throws Exception { client.start(); }

    @AfterEach
    void stop() throws Exception { client.stop(); }

    private SocketSessionTest.Codex connect(PoolDaemon d) throws Exception {
        SocketSessionTest.Codex c = new SocketSessionTest.Codex();
        ClientUpgradeRequest up = new ClientUpgradeRequest();
        up.setHeader(ClientKey.HEADER, d.clientKey);
        up.setHeader("session-id", "sess-ws-wires");
        up.setHeader("originator", "codex_exec");
        client.connect(c, URI.create("ws://127.0.0.1:" + d.app.port() + "/v1/responses"), up).get(30, TimeUnit.SECONDS);
        return c;
    }

    private static String userInput(String text) {
        return "[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + text + "\"}]}]";
    }

    private static String create(String previous, String input, String extra) {
        return "{\"type\":\"response.create\",\"model\":\"gpt-5.6-sol\",\"instructions\":\"You are Codex.\",\"stream\":true,"
                + "\"store\":false" + (previous == null ? "" : ",\"previous_response_id\":\"" + previous + "\"") + extra
                + ",\"input\":" + input + "}";
    }

    private static List<String> types(List<JsonNode> frames) {
        return frames.stream().map(n -> n.path("type").asText()).toList();
    }

    private static JsonNode last(List<JsonNode> frames) { return frames.get(frames.size() - 1); }

    private void addKey(PoolDaemon d, String name, String key, String base, String wire, List<String> rules) throws Exception {
        d.app.control().addApiKey(new ControlApi.NewApiKey(name, key, base, 1, null, wire, rules));
    }

    @Test
    void aChatAccountGetsChatCompletionsWithItsModelRuleAndCodexGetsResponsesEventsAcrossAnAnchoredTurn() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "").start()) {
            addKey(d, "C", CHAT_KEY, d.fake.chatBaseUrl(), "chat", List.of("gpt-5.6*=deepseek-chat"));
            d.fake.providers().enqueue(CHAT_KEY, FakeProviders.text("Hello from chat."), FakeProviders.text("Second answer."));
            SocketSessionTest.Codex c = connect(d);

            c.send(create(null, userInput("list files"), ""));
            List<JsonNode> turn = c.untilEnd();

            assertThat(types(turn)).as(turn.toString()).startsWith("response.created")
                    .contains("response.output_text.delta").last().isEqualTo("response.completed");
            assertThat(last(turn).path("response").path("model").asText()).as("Codex sees the model it asked for")
                    .isEqualTo("gpt-5.6-sol");
            assertThat(turn.toString()).contains("Hello");
            var sent = d.fake.providers().requests(FakeProviders.Api.CHAT);
            assertThat(sent).hasSize(1);
            assertThat(sent.get(0).path()).isEqualTo("/chat/v1/chat/completions");
            assertThat(sent.get(0).header("authorization")).isEqualTo("Bearer " + CHAT_KEY);
            JsonNode body = sent.get(0).body();
            assertThat(body.path("model").asText()).isEqualTo("deepseek-chat");
            assertThat(body.has("input")).as("a Chat Completions body, not a Responses one").isFalse();
            assertThat(body.has("type")).isFalse();
            assertThat(body.path("messages").get(0).path("role").asText()).isEqualTo("system");
            assertThat(body.path("messages").toString()).contains("list files");
            assertThat(d.fake.responsesRequests()).as("nothing went to a Responses upstream").isEmpty();

            // The follow-up is anchored on the converted answer's id: the socket expands it, the chat upstream gets
            // the whole conversation (system, user, assistant, user).
            String id = last(turn).path("response").path("id").asText();
            c.send(create(id, userInput("and more"), ""));
            List<JsonNode> followUp = c.untilEnd();
            assertThat(types(followUp)).as(followUp.toString()).last().isEqualTo("response.completed");
            JsonNode messages = d.fake.providers().requests(FakeProviders.Api.CHAT).get(1).body().path("messages");
            assertThat(messages.toString()).contains("list files").contains("Hello from chat.").contains("and more");
            assertThat(messages.get(2).path("role").asText()).isEqualTo("assistant");

            var finished = d.events(RelayEvent.RequestFinished.class);
            assertThat(finished).hasSize(2).allSatisfy(f -> {
                assertThat(f.record().account()).isEqualTo("C");
                assertThat(f.record().failoverChain()).containsExactly("C:sse");
                assertThat(f.record().inputTokens()).isEqualTo(21L);
            });
        }
    }

    @Test
    void anAnthropicAccountGetsAMessagesRequestAndAToolCallReachesCodexAsAFunctionCall() throws Exception {
        String key = "sk-test-anthropic-socket-0000000000";
        try (PoolDaemon d = new PoolDaemon(tmp, "").start()) {
            addKey(d, "N", key, d.fake.anthropicBaseUrl(), "anthropic", List.of("gpt-5.6*=claude-sonnet-4-5"));
            d.fake.providers().enqueue(key, FakeProviders.shell("ls -la"));
            SocketSessionTest.Codex c = connect(d);

            c.send(create(null, userInput("list files"), ",\"tools\":[{\"type\":\"function\",\"name\":\"shell\","
                    + "\"description\":\"Runs a command\",\"parameters\":{\"type\":\"object\",\"properties\":{\"command\":"
                    + "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},\"required\":[\"command\"]}}]"));
            List<JsonNode> turn = c.untilEnd();

            assertThat(types(turn)).as(turn.toString()).last().isEqualTo("response.completed");
            assertThat(turn).anySatisfy(n -> {
                assertThat(n.path("type").asText()).isEqualTo("response.output_item.done");
                assertThat(n.path("item").path("type").asText()).isEqualTo("function_call");
                assertThat(n.path("item").path("name").asText()).isEqualTo("shell");
                assertThat(n.path("item").path("arguments").asText()).contains("ls -la");
            });
            var sent = d.fake.providers().requests(FakeProviders.Api.ANTHROPIC);
            assertThat(sent).hasSize(1);
            assertThat(sent.get(0).body().path("model").asText()).isEqualTo("claude-sonnet-4-5");
            assertThat(sent.get(0).body().has("input")).isFalse();
            assertThat(sent.get(0).body().path("tools").get(0).path("name").asText()).isEqualTo("shell");
        }
    }

    @Test
    void aParameterTheChatUpstreamRefusesIsLearnedAndTheSocketRequestRetriedOnce() throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "").start()) {
            addKey(d, "C", CHAT_KEY, d.fake.chatBaseUrl(), "chat", List.of());
            d.fake.providers().rejectParameters(CHAT_KEY, "parallel_tool_calls");
            d.fake.providers().enqueue(CHAT_KEY, FakeProviders.text("after the retry"));
            SocketSessionTest.Codex c = connect(d);

            c.send(create(null, userInput("hi"), ",\"parallel_tool_calls\":false,\"tools\":[{\"type\":\"function\","
                    + "\"name\":\"shell\",\"parameters\":{\"type\":\"object\",\"properties\":{}}}]"));
            List<JsonNode> turn = c.untilEnd();

            assertThat(types(turn)).as(turn.toString()).doesNotContain("error").last().isEqualTo("response.completed");
            var sent = d.fake.providers().requests(FakeProviders.Api.CHAT);
            assertThat(sent).hasSize(2);
            assertThat(sent.get(0).body().has("parallel_tool_calls")).isTrue();
            assertThat(sent.get(1).body().has("parallel_tool_calls")).as("left out on the retry").isFalse();
            assertThat(d.events(RelayEvent.RequestFinished.class).get(0).record().failoverChain())
                    .containsExactly("C:400 unsupported parameter", "C:sse");
        }
    }

    @Test
    void redactionRulesApplyToSocketRequestsOnEveryWireAndCodexKeepsItsOwnText() throws Exception {
        String rules = "[[redact]]\nliteral = \"hunter2\"\nreplacement = \"***\"\n";
        // A chat account (HTTP leg through the chat dialect).
        try (PoolDaemon d = new PoolDaemon(tmp.resolve("chat"), rules).start()) {
            addKey(d, "C", CHAT_KEY, d.fake.chatBaseUrl(), "chat", List.of());
            d.fake.providers().enqueue(CHAT_KEY, FakeProviders.text("ok"), FakeProviders.text("ok again"));
            SocketSessionTest.Codex c = connect(d);
            c.send(create(null, userInput("my password is hunter2"), ""));
            List<JsonNode> turn = c.untilEnd();
            assertThat(types(turn)).last().isEqualTo("response.completed");
            // The anchored follow-up is expanded from Codex's own text and redacted again on the way out.
            c.send(create(last(turn).path("response").path("id").asText(), userInput("still hunter2"), ""));
            assertThat(types(c.untilEnd())).last().isEqualTo("response.completed");

            var sent = d.fake.providers().requests(FakeProviders.Api.CHAT);
            assertThat(sent.get(0).body().path("messages").toString()).contains("my password is ***").doesNotContain("hunter2");
            assertThat(sent.get(1).body().path("messages").toString()).contains("still ***").doesNotContain("hunter2");
            var finished = d.events(RelayEvent.RequestFinished.class);
            assertThat(finished.get(0).record().failoverChain()).containsExactly("C:sse", "redacted:1");
            assertThat(finished.get(1).record().failoverChain()).containsExactly("C:sse", "redacted:2");
            assertThat(finished.toString()).doesNotContain("hunter2");
        }
        // A Responses API-key account (HTTP leg) and a ChatGPT account (upstream socket).
        try (PoolDaemon d = new PoolDaemon(tmp.resolve("responses"), "[pool]\nrouting = \"priority\"\n" + rules)
                .chatgpt("A", 2, null).start()) {
            String key = "sk-test-responses-socket-000000000";
            d.app.control().addApiKey(new ControlApi.NewApiKey("K", key, d.fake.apiBaseUrl(), 1, null));
            d.fake.enqueue(key, new FakeUpstream.Plain(500, java.util.Map.of(), "application/json",
                    "{\"error\":{\"message\":\"boom\"}}", 0));
            d.fake.socket().enqueue(d.token("A"), FakeUpstreamSocket.success("from A"));
            SocketSessionTest.Codex c = connect(d);
            c.send(create(null, userInput("hunter2 twice: hunter2"), ""));
            List<JsonNode> turn = c.untilEnd();
            assertThat(types(turn)).as(turn.toString()).last().isEqualTo("response.completed");
            assertThat(turn.toString()).contains("from A");

            var http = d.fake.responsesRequests(Transport.HTTP);
            assertThat(http).hasSize(1);
            assertThat(http.get(0).json().path("input").toString()).contains("*** twice: ***").doesNotContain("hunter2");
            var ws = d.fake.responsesRequests(Transport.WEBSOCKET);
            assertThat(ws).isNotEmpty();
            assertThat(ws.get(ws.size() - 1).json().path("input").toString()).contains("*** twice: ***");
            assertThat(ws).noneSatisfy(q -> assertThat(q.bodyText()).contains("hunter2"));
            assertThat(d.events(RelayEvent.RequestFinished.class).get(0).record().failoverChain())
                    .containsExactly("K:500", "A:ws", "redacted:2");
        }
    }
}
