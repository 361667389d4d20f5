package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class ResponsesToChatStreamTest {
    private static List<Fixtures.Out> run(String fixture, boolean usage, boolean reasoning, int chunk) {
        return Fixtures.run(new ResponsesToChatStream("gpt-4o", usage, reasoning, Fixtures.CLOCK), fixture, chunk);
    }

    private static String joined(List<Fixtures.Out> out, String field) {
        return out.stream().filter(o -> o.json() != null && o.json().path("choices").size() > 0)
                .map(o -> o.json().path("choices").get(0).path("delta").path(field))
                .filter(JsonNode::isTextual).map(JsonNode::asText).collect(Collectors.joining());
    }

    @Test
    void parallelToolCallsStreamWithStableIndexesIdsAndTheClientsModel() {
        List<Fixtures.Out> out = run("responses-stream-parallel-tools.sse", true, true, Integer.MAX_VALUE);

        for (Fixtures.Out o : out.subList(0, out.size() - 1)) {
            assertThat(o.event()).isNull();
            assertThat(o.json().path("id").asText()).isEqualTo("chatcmpl-0c5e8a1f2b3d4e5f");
            assertThat(o.json().path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(o.json().path("created").asLong()).isEqualTo(1764745200L);
            assertThat(o.json().path("model").asText()).isEqualTo("gpt-4o");
        }
        JsonNode first = out.get(0).json().path("choices").get(0).path("delta");
        assertThat(first.path("role").asText()).isEqualTo("assistant");

        assertThat(joined(out, "reasoning_content")).isEqualTo("**Checking weather in two cities** I will call the tool for both.");
        assertThat(joined(out, "content")).as("text sent once, from deltas").isEqualTo("Let me check both cities.");

        List<JsonNode> calls = out.stream().filter(o -> o.json() != null && o.json().path("choices").size() > 0)
                .flatMap(o -> { List<JsonNode> l = new java.util.ArrayList<>();
                    o.json().path("choices").get(0).path("delta").path("tool_calls").forEach(l::add); return l.stream(); })
                .collect(Collectors.toList());
        assertThat(calls.get(0).path("index").asInt()).isEqualTo(0);
        assertThat(calls.get(0).path("id").asText()).isEqualTo("call_pWq3aBcD1");
        assertThat(calls.get(0).path("type").asText()).isEqualTo("function");
        assertThat(calls.get(0).path("function").path("name").asText()).isEqualTo("get_weather");
        String args0 = calls.stream().filter(c -> c.path("index").asInt() == 0).map(c -> c.path("function").path("arguments").asText()).collect(Collectors.joining());
        String args1 = calls.stream().filter(c -> c.path("index").asInt() == 1).map(c -> c.path("function").path("arguments").asText()).collect(Collectors.joining());
        assertThat(args0).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(args1).isEqualTo("{\"city\":\"Tokyo\"}");
        assertThat(calls.stream().filter(c -> c.has("id")).map(c -> c.path("id").asText())).containsExactly("call_pWq3aBcD1", "call_Zx9yWvU2");
        assertThat(calls.stream().filter(c -> c.path("index").asInt() == 1 && c.has("id")).count()).isEqualTo(1);

        Fixtures.Out finish = out.get(out.size() - 3);
        assertThat(finish.json().path("choices").get(0).path("finish_reason").asText()).isEqualTo("tool_calls");
        Fixtures.Out usage = out.get(out.size() - 2);
        assertThat(usage.json().path("choices")).isEmpty();
        assertThat(usage.json().path("usage").path("prompt_tokens").asLong()).isEqualTo(1234);
        assertThat(usage.json().path("usage").path("completion_tokens").asLong()).isEqualTo(87);
        assertThat(usage.json().path("usage").path("total_tokens").asLong()).isEqualTo(1321);
        assertThat(usage.json().path("usage").path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(1024);
        assertThat(usage.json().path("usage").path("completion_tokens_details").path("reasoning_tokens").asLong()).isEqualTo(42);
        assertThat(out.get(out.size() - 1).data()).isEqualTo("[DONE]");
    }

    @Test
    void theSameEventsSplitIntoSmallNetworkChunksGiveTheSameChunks() {
        List<String> whole = run("responses-stream-parallel-tools.sse", true, true, Integer.MAX_VALUE).stream().map(Fixtures.Out::data).toList();
        List<String> split = run("responses-stream-parallel-tools.sse", true, true, 7).stream().map(Fixtures.Out::data).toList();
        assertThat(split).isEqualTo(whole);
    }

    @Test
    void reasoningCanBeTurnedOffAndUsageIsOnlySentWhenAsked() {
        List<Fixtures.Out> out = run("responses-stream-parallel-tools.sse", false, false, Integer.MAX_VALUE);
        assertThat(joined(out, "reasoning_content")).isEmpty();
        assertThat(out).noneMatch(o -> o.json() != null && o.json().has("usage"));
        assertThat(out.get(out.size() - 2).json().path("choices").get(0).path("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(out.get(out.size() - 1).data()).isEqualTo("[DONE]");
    }

    @Test
    void textThatArrivesOnlyInTheDoneItemIsSentOnceAndFinishesWithStop() {
        List<Fixtures.Out> out = run("responses-stream-text-only-done.sse", false, true, Integer.MAX_VALUE);
        assertThat(joined(out, "content")).isEqualTo("{\"answer\":42}");
        assertThat(out.get(out.size() - 2).json().path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void aCutStreamEndsInAnErrorNotInAFinishReason() {
        ResponsesToChatStream c = new ResponsesToChatStream("gpt-4o", true, true, Fixtures.CLOCK);
        List<Fixtures.Out> out = Fixtures.run(c, "responses-stream-cut.sse");
        assertThat(joined(out, "content")).isEqualTo("The first half of");
        Fixtures.Out last = out.get(out.size() - 1);
        assertThat(last.json().path("error").path("code").asText()).isEqualTo("stream_incomplete");
        assertThat(out).noneMatch(o -> "[DONE]".equals(o.data()));
        assertThat(out).noneMatch(o -> o.json() != null && o.json().path("choices").size() > 0
                && o.json().path("choices").get(0).path("finish_reason").isTextual());
        assertThat(c.finished()).isTrue();
    }

    @Test
    void aFailedResponseBecomesAnOpenAiErrorAndATruncatedOneFinishesWithLength() {
        List<Fixtures.Out> failed = run("responses-stream-failed.sse", false, true, Integer.MAX_VALUE);
        JsonNode error = failed.get(failed.size() - 1).json().path("error");
        assertThat(error.path("code").asText()).isEqualTo("context_length_exceeded");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText()).contains("context window");

        List<Fixtures.Out> cut = run("responses-stream-incomplete.sse", false, true, Integer.MAX_VALUE);
        assertThat(joined(cut, "content")).isEqualTo("Once upon a");
        assertThat(cut.get(cut.size() - 2).json().path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
    }
}
