package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.events.FinishedRequest;
import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Other tools through the pool: Chat Completions and Anthropic Messages routes against the fake upstream. */
class DialectRoutesTest {
    static final ObjectMapper JSON = new ObjectMapper();
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

    HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = h.request(path).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return h.send(b);
    }

    static final String CHAT = "{\"model\":\"best\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
            + "{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final String CHAT_STREAM_TOOLS = "{\"model\":\"gpt-5.1-codex\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],\"tools\":[{\"type\":\"function\",\"function\":"
            + "{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]}";
    static final String MESSAGES = "{\"model\":\"claude-sonnet-4-5-20250929\",\"max_tokens\":1024,\"stream\":true,"
            + "\"system\":[{\"type\":\"text\",\"text\":\"You are Claude Code.\"}],"
            + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]}";

    String bearer() { return "Bearer " + h.key.value(); }

    static List<JsonNode> dataLines(String sse) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) out.add(JSON.readTree(line.substring(6)));
        }
        return out;
    }

    @Test
    void chatCompletionWithoutStreamIsOneAnswerFromAPoolAccountWithTheToolsKeyLeftBehind() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();

        HttpResponse<String> r = post("/v1/chat/completions", CHAT, "authorization", bearer());

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode c = JSON.readTree(r.body());
        assertThat(c.path("object").asText()).isEqualTo("chat.completion");
        assertThat(c.path("model").asText()).isEqualTo("best");
        assertThat(c.at("/choices/0/message/content").asText()).isEqualTo("Hello from the fake upstream.");
        assertThat(c.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        var up = h.fake.received("/backend-api/codex/responses").get(0);
        assertThat(up.header("authorization")).isEqualTo("Bearer tokA");
        assertThat(up.bodyText()).doesNotContain(h.key.value());
        assertThat(up.headers().values()).doesNotContain(h.key.value(), bearer());
        assertThat(up.json().path("model").asText()).isEqualTo("gpt-5.1-codex");
        assertThat(up.json().path("instructions").asText()).isEqualTo("Be brief.");
        assertThat(up.json().path("stream").asBoolean()).isTrue();
        FinishedRequest rec = h.awaitRecords(1).get(0);
        assertThat(rec.path()).isEqualTo("/v1/chat/completions");
        assertThat(rec.account()).isEqualTo("A");
    }

    @Test
    void chatStreamCarriesTheToolCallWithStableIndexAndIdThenUsageAndDone() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.functionCall("call_7", "get_weather", "{\"city\":\"Paris\"}"));

        HttpResponse<String> r = post("/chat/completions", CHAT_STREAM_TOOLS, "authorization", bearer());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        assertThat(r.body()).endsWith("data: [DONE]\n\n");
        List<JsonNode> chunks = dataLines(r.body());
        StringBuilder args = new StringBuilder();
        String finish = null;
        for (JsonNode ch : chunks) {
            assertThat(ch.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(ch.path("model").asText()).isEqualTo("gpt-5.1-codex");
            assertThat(ch.path("id").asText()).isEqualTo(chunks.get(0).path("id").asText());
            for (JsonNode tc : ch.at("/choices/0/delta/tool_calls")) {
                assertThat(tc.path("index").asInt()).isZero();
                if (tc.has("id")) assertThat(tc.path("id").asText()).isEqualTo("call_7");
                args.append(tc.at("/function/arguments").asText(""));
            }
            if (ch.at("/choices/0/finish_reason").isTextual()) finish = ch.at("/choices/0/finish_reason").asText();
        }
        assertThat(args.toString()).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(finish).isEqualTo("tool_calls");
        JsonNode last = chunks.get(chunks.size() - 1);
        assertThat(last.path("choices")).isEmpty();
        assertThat(last.at("/usage/total_tokens").asInt()).isEqualTo(27);
    }

    @Test
    void claudeCodeStreamMapsItsModelToTheBestPoolModelAndStreamsAnthropicEvents() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();

        HttpResponse<String> r = post("/v1/messages?beta=true", MESSAGES, "x-api-key", h.key.value(),
                "anthropic-version", "2023-06-01", "anthropic-beta", "claude-code-20250219");

        assertThat(r.statusCode()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        for (String line : r.body().split("\n")) if (line.startsWith("event: ")) names.add(line.substring(7));
        assertThat(names).containsExactly("message_start", "content_block_start", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop");
        assertThat(r.body()).contains("\"text\":\"Hello from the fake upstream.\"").contains("\"model\":\"claude-sonnet-4-5-20250929\"")
                .contains("\"stop_reason\":\"end_turn\"");
        var up = h.fake.received("/backend-api/codex/responses").get(0);
        assertThat(up.json().path("model").asText()).isEqualTo("gpt-5.1-codex");
        assertThat(up.header("x-api-key")).isNull();
        assertThat(up.header("anthropic-beta")).isNull();
    }

    @Test
    void aHaikuModelGoesToTheFastModelAndRulesAreConfigurable() throws Exception {
        h.withConfig(java.util.Map.of("clients.fast_model", "small-one", "clients.model_rules", List.of("haiku=fast", "opus=big-one")));
        h.chatgpt("A", 1, null);
        h.startServer();

        post("/v1/messages", MESSAGES.replace("claude-sonnet-4-5-20250929", "claude-haiku-4-5"), "x-api-key", h.key.value());
        post("/v1/messages", MESSAGES.replace("claude-sonnet-4-5-20250929", "claude-opus-4-5"), "x-api-key", h.key.value());

        var got = h.fake.received("/backend-api/codex/responses");
        assertThat(got.get(0).json().path("model").asText()).isEqualTo("small-one");
        assertThat(got.get(1).json().path("model").asText()).isEqualTo("big-one");
    }

    @Test
    void withAccountAOutOfQuotaBothDialectsAreServedByB() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.usageLimit(RelayHarness.T0.getEpochSecond() + 1800, "plus"));

        HttpResponse<String> m = post("/v1/messages", MESSAGES, "authorization", bearer());
        HttpResponse<String> c = post("/v1/chat/completions", CHAT, "authorization", bearer());

        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.body()).contains("message_stop").doesNotContain("\"type\":\"error\"");
        assertThat(c.statusCode()).isEqualTo(200);
        List<FinishedRequest> recs = h.awaitRecords(2);
        assertThat(recs).extracting(FinishedRequest::account).containsExactly("B", "B");
        assertThat(recs.get(0).failoverChain()).containsExactly("A:429 usage_limit_reached", "B:200");
    }

    @Test
    void whenEveryAccountIsOutEachToolHearsTheRelaysWordsInItsOwnErrorShape() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        long reset = RelayHarness.T0.getEpochSecond() + 1800;
        h.fake.enqueue("tokA", FakeUpstream.usageLimit(reset, "plus"));

        HttpResponse<String> m = post("/v1/messages", MESSAGES, "x-api-key", h.key.value());
        HttpResponse<String> c = post("/v1/chat/completions", CHAT, "authorization", bearer());

        assertThat(m.statusCode()).isEqualTo(429);
        JsonNode me = JSON.readTree(m.body());
        assertThat(me.path("type").asText()).isEqualTo("error");
        assertThat(me.at("/error/type").asText()).isEqualTo("rate_limit_error");
        assertThat(me.at("/error/message").asText()).startsWith("All codex-relay accounts are out of quota").contains("back in about 30 min");
        assertThat(c.statusCode()).isEqualTo(429);
        JsonNode ce = JSON.readTree(c.body());
        assertThat(ce.at("/error/message").asText()).isEqualTo(me.at("/error/message").asText());
        assertThat(ce.at("/error/code").asText()).isEqualTo("usage_limit_reached");
        assertThat(ce.at("/error/resets_at").asLong()).isEqualTo(reset);
    }

    @Test
    void aMissingOrWrongKeyIsRefusedInTheToolsShapeAndNothingGoesUpstream() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();

        HttpResponse<String> none = post("/v1/messages", MESSAGES);
        HttpResponse<String> wrong = post("/v1/chat/completions", CHAT, "authorization", "Bearer not-the-key");

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(none.body()).at("/error/type").asText()).isEqualTo("authentication_error");
        assertThat(JSON.readTree(none.body()).path("type").asText()).isEqualTo("error");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(wrong.body()).at("/error/type").asText()).isEqualTo("authentication_error");
        assertThat(wrong.body()).doesNotContain("not-the-key");
        assertThat(h.fake.received()).isEmpty();
    }

    @Test
    void badJsonIsTheClientsFourHundredInItsShape() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();

        HttpResponse<String> r = post("/v1/messages", "{not json", "x-api-key", h.key.value());
        HttpResponse<String> n = post("/v1/chat/completions", "{\"model\":\"x\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}",
                "authorization", bearer());

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(JSON.readTree(r.body()).at("/error/message").asText()).contains("not valid JSON");
        assertThat(n.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(n.body()).at("/error/message").asText()).contains("'n'");
        assertThat(h.fake.received()).isEmpty();
    }

    @Test
    void countTokensIsAnsweredHereWithAnEstimate() throws Exception {
        h.startServer();

        HttpResponse<String> r = post("/v1/messages/count_tokens?beta=true",
                "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "abcd".repeat(100) + "\"}]}",
                "x-api-key", h.key.value());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).path("input_tokens").asLong()).isBetween(100L, 120L);
        assertThat(h.fake.received()).isEmpty();
    }

    @Test
    void modelsListsThePoolModelsAndTheAliasesForOtherToolsWhileCodexStillGetsTheUpstreamList() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();

        HttpResponse<String> tool = h.send(h.request("/v1/models").header("authorization", bearer()).GET());

        assertThat(tool.statusCode()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        for (JsonNode m : JSON.readTree(tool.body()).path("data")) ids.add(m.path("id").asText());
        assertThat(ids).contains("gpt-5.1-codex", "gpt-5.1-codex-mini", "best", "fast", "claude-sonnet-4-5", "claude-haiku-4-5");
        assertThat(h.fake.received()).isEmpty();

        h.send(h.request("/v1/models?client_version=0.169.0").header(io.codexrelay.config.ClientKey.HEADER, h.key.value()).GET());
        assertThat(h.fake.received("/backend-api/codex/models")).hasSize(1);
    }

    private String toolKey(String name, Integer rpm, Integer maxConcurrent) {
        String key = io.codexrelay.config.ClientKey.generate();
        List<ClientKeys.Key> keys = new ArrayList<>(current);
        keys.add(new ClientKeys.Key(name, io.codexrelay.config.ClientKey.hashOf(key), rpm, maxConcurrent));
        current = keys;
        h.relay.clientKeys().replace(keys);
        return key;
    }

    private List<ClientKeys.Key> current = List.of();

    @Test
    void aToolsOwnKeyWorksUntilItIsRevokedAndThenIsRefusedAtOnce() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        String key = toolKey("claude-code", null, null);

        HttpResponse<String> before = post("/v1/messages", MESSAGES, "x-api-key", key);
        current = List.of();
        h.relay.clientKeys().replace(current);
        HttpResponse<String> after = post("/v1/messages", MESSAGES, "x-api-key", key);

        assertThat(before.statusCode()).isEqualTo(200);
        assertThat(after.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(after.body()).at("/error/message").asText()).contains("not an active codex-relay client key");
        assertThat(h.fake.received("/backend-api/codex/responses")).hasSize(1);
        assertThat(h.relay.clientKeys().usage().get("claude-code").requests()).isEqualTo(1);
    }

    @Test
    void aKeysRequestsPerMinuteLimitHoldsUnderConcurrentLoad() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        String key = toolKey("script", 3, null);

        var pool = java.util.concurrent.Executors.newFixedThreadPool(10);
        List<java.util.concurrent.Future<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) all.add(pool.submit(() -> post("/v1/chat/completions", CHAT, "authorization", "Bearer " + key)));
        List<Integer> statuses = new ArrayList<>();
        String limitedMessage = null;
        for (var f : all) {
            HttpResponse<String> r = f.get();
            statuses.add(r.statusCode());
            if (r.statusCode() == 429) limitedMessage = JSON.readTree(r.body()).at("/error/message").asText();
        }
        pool.shutdown();

        assertThat(statuses).filteredOn(s -> s == 200).hasSize(3);
        assertThat(statuses).filteredOn(s -> s == 429).hasSize(7);
        assertThat(limitedMessage).contains("limited to 3 requests per minute");
        assertThat(h.fake.received("/backend-api/codex/responses")).hasSize(3);
        // another key is not held back by this one's limit
        assertThat(post("/v1/chat/completions", CHAT, "authorization", bearer()).statusCode()).isEqualTo(200);
    }

    @Test
    void aKeysConcurrencyLimitRefusesTheSecondRequestWhileTheFirstRuns() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        String key = toolKey("cursor", null, 1);
        h.fake.enqueue("tokA", FakeUpstream.slowSuccess("slow answer", 5, 300));

        var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try { return post("/v1/chat/completions", CHAT, "authorization", "Bearer " + key); }
            catch (Exception e) { throw new IllegalStateException(e); }
        });
        RelayHarness.await("the first request upstream", java.time.Duration.ofSeconds(10), () -> h.fake.inFlight("tokA") == 1);
        HttpResponse<String> second = post("/v1/chat/completions", CHAT, "authorization", "Bearer " + key);

        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(JSON.readTree(second.body()).at("/error/message").asText()).contains("concurrency limit");
        assertThat(first.get().statusCode()).isEqualTo(200);
        assertThat(post("/v1/chat/completions", CHAT, "authorization", "Bearer " + key).statusCode()).isEqualTo(200);
    }

    @Test
    void aNonLoopbackListenStartsOnlyWithAPerToolKeyAndOtherMachinesCannotUseCodexsKey() throws Exception {
        h.chatgpt("A", 1, null);
        h.withConfig(java.util.Map.of("server.listen", "0.0.0.0", "server.allow_remote", true)).start();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.relay.start())
                .hasMessageContaining("needs at least one per-tool client key").hasMessageContaining("keys create");

        String key = toolKey("cursor", null, null);
        h.relay.start();
        assertThat(post("/v1/chat/completions", CHAT, "authorization", "Bearer " + key).statusCode()).isEqualTo(200);

        ClientKeys keys = h.relay.clientKeys();
        assertThat(keys.admit(h.key.value(), 0, true)).isInstanceOfSatisfying(ClientKeys.Refused.class,
                r -> assertThat(r.refusal().type()).isEqualTo("relay_remote_needs_tool_key"));
        assertThat(keys.admit(key, 0, true)).isInstanceOf(ClientKeys.Admitted.class);
        assertThat(keys.admit(h.key.value(), 0, false)).isInstanceOf(ClientKeys.Admitted.class);
    }
}
