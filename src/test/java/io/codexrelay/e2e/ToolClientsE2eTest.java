package io.codexrelay.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.PoolDaemon;
import io.codexrelay.testing.ToolClients;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Other tools' real clients through the relay, against the fake upstream: the Claude Code CLI ({@code claude -p})
 * prints the upstream's answer and completes a turn with a tool call (it runs the tool and sends the result back); the
 * OpenAI Node SDK streams a chat completion with a tool call. Account A is out of quota from the start, so every
 * answer is B's, with no error on the client's side.
 */
@Tag("e2e")
class ToolClientsE2eTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;
    PoolDaemon d;

    @AfterEach
    void stop() throws Exception {
        if (d != null) d.close();
    }

    private PoolDaemon daemonWithAExhausted() throws Exception {
        d = new PoolDaemon(tmp, "[pool]\nrouting = \"priority\"").chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.enqueue(d.token("A"), FakeUpstream.usageLimit(d.t0.getEpochSecond() + 3600, "plus"));
        return d;
    }

    private String relayRoot() { return d.baseUrl().substring(0, d.baseUrl().length() - "/v1".length()); }

    /** The Responses requests the fake received from B that carry a conversation (Claude Code also sends side requests). */
    private List<JsonNode> requestsServedBy(String account) {
        List<JsonNode> out = new ArrayList<>();
        for (var r : d.fake.received()) {
            if (r.path().endsWith("/responses") && ("Bearer " + d.token(account)).equals(r.header("authorization"))) out.add(r.json());
        }
        return out;
    }

    @Test
    void claudeCodePrintsTheAnswerOfTheAccountThatStillHasQuota() throws Exception {
        ToolClients tools = ToolClients.require();
        daemonWithAExhausted();
        d.fake.setDefault(FakeUpstream.success("Relay says hello to Claude Code."));

        var r = tools.claude(tmp.resolve("work"), relayRoot(), d.clientKey, "Say hello.", List.of(), Duration.ofSeconds(180));

        assertThat(r.ok()).as("%s", r).isTrue();
        assertThat(r.stdout()).contains("Relay says hello to Claude Code.");
        assertThat(requestsServedBy("B")).isNotEmpty();
        d.app.events().drain();
        var finished = d.events.stream().filter(e -> e instanceof RelayEvent.RequestFinished)
                .map(e -> ((RelayEvent.RequestFinished) e).record()).toList();
        assertThat(finished).anySatisfy(f -> {
            assertThat(f.path()).isEqualTo("/v1/messages");
            assertThat(f.account()).isEqualTo("B");
            assertThat(f.status()).isEqualTo(200);
        });
        assertThat(finished).noneSatisfy(f -> assertThat(f.status()).isGreaterThanOrEqualTo(400).isNotEqualTo(429));
    }

    @Test
    void claudeCodeRunsTheToolTheUpstreamCallsAndSendsItsResultBack() throws Exception {
        ToolClients tools = ToolClients.require();
        daemonWithAExhausted();
        // Every request without a tool result gets the call; the one carrying the result gets the final answer.
        d.fake.setDefault(FakeUpstream.functionCall("call_relay_1", "Bash",
                "{\"command\":\"echo relay-tool-$((40+2))\",\"description\":\"Print a marker\"}"));
        d.fake.setResponder(req -> req.bodyText().contains("function_call_output")
                ? FakeUpstream.success("The tool printed the marker.") : null);

        var r = tools.claude(tmp.resolve("work"), relayRoot(), d.clientKey, "Run the marker command.",
                List.of("--allowedTools", "Bash"), Duration.ofSeconds(240));

        assertThat(r.ok()).as("%s", r).isTrue();
        assertThat(r.stdout()).contains("The tool printed the marker.");
        String withResult = null;
        for (JsonNode req : requestsServedBy("B")) {
            for (JsonNode item : req.path("input")) {
                if ("function_call_output".equals(item.path("type").asText()) && "call_relay_1".equals(item.path("call_id").asText())) {
                    withResult = item.path("output").asText();
                }
            }
        }
        assertThat(withResult).as("the tool's output sent back upstream").contains("relay-tool-42");
    }

    @Test
    void theOpenAiSdkStreamsAChatCompletionWithAToolCallChunkByChunk() throws Exception {
        ToolClients tools = ToolClients.require();
        daemonWithAExhausted();
        d.fake.setDefault(FakeUpstream.functionCall("call_sdk_1", "get_weather", "{\"city\":\"Paris\",\"unit\":\"c\"}"));
        String script = """
                import OpenAI from "openai";
                const client = new OpenAI({ baseURL: process.env.RELAY_URL, apiKey: process.env.RELAY_KEY, maxRetries: 0 });
                const stream = await client.chat.completions.create({
                  model: "gpt-5.1-codex", stream: true, stream_options: { include_usage: true },
                  messages: [{ role: "user", content: "Weather in Paris?" }],
                  tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object",
                    properties: { city: { type: "string" }, unit: { type: "string" } } } } }],
                });
                const chunks = [];
                for await (const chunk of stream) chunks.push(chunk);
                console.log(JSON.stringify(chunks));
                """;

        var r = tools.node(tmp.resolve("work"), script, Map.of("RELAY_URL", d.baseUrl(), "RELAY_KEY", d.clientKey),
                Duration.ofSeconds(60));

        assertThat(r.ok()).as("%s", r).isTrue();
        JsonNode chunks = JSON.readTree(r.stdout().trim());
        assertThat(chunks.size()).isGreaterThanOrEqualTo(4);
        String id = chunks.get(0).path("id").asText();
        StringBuilder args = new StringBuilder();
        List<String> finishReasons = new ArrayList<>();
        for (JsonNode c : chunks) {
            assertThat(c.path("id").asText()).isEqualTo(id);
            assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(c.path("model").asText()).isEqualTo("gpt-5.1-codex");
            assertThat(c.path("created").asLong()).isPositive();
            for (JsonNode tc : c.at("/choices/0/delta/tool_calls")) {
                assertThat(tc.path("index").asInt()).isZero();
                if (tc.has("id")) {
                    assertThat(tc.path("id").asText()).isEqualTo("call_sdk_1");
                    assertThat(tc.at("/function/name").asText()).isEqualTo("get_weather");
                }
                args.append(tc.at("/function/arguments").asText(""));
            }
            JsonNode fr = c.at("/choices/0/finish_reason");
            if (fr.isTextual()) finishReasons.add(fr.asText());
        }
        assertThat(id).startsWith("chatcmpl-");
        assertThat(args.toString()).isEqualTo("{\"city\":\"Paris\",\"unit\":\"c\"}");
        assertThat(finishReasons).containsExactly("tool_calls");
        JsonNode usage = chunks.get(chunks.size() - 1);
        assertThat(usage.path("choices")).isEmpty();
        assertThat(usage.at("/usage/prompt_tokens").asInt()).isEqualTo(20);
        assertThat(usage.at("/usage/completion_tokens").asInt()).isEqualTo(7);
        assertThat(requestsServedBy("B")).hasSize(1);
    }
}
