package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class ResponsesToAnthropicStreamTest {
    private static List<Fixtures.Out> run(String fixture) {
        return Fixtures.run(new ResponsesToAnthropicStream("claude-sonnet-4-5-20250929", Fixtures.CLOCK), fixture);
    }

    private static String deltas(List<Fixtures.Out> out, int index, String deltaType, String field) {
        return out.stream().filter(o -> "content_block_delta".equals(o.event()) && o.json().path("index").asInt() == index
                        && deltaType.equals(o.json().path("delta").path("type").asText()))
                .map(o -> o.json().path("delta").path(field).asText()).collect(Collectors.joining());
    }

    @Test
    void reasoningTextAndParallelToolCallsBecomeSequentialBlocks() {
        List<Fixtures.Out> out = run("responses-stream-parallel-tools.sse");
        for (Fixtures.Out o : out) assertThat(o.json().path("type").asText()).isEqualTo(o.event());

        List<String> starts = out.stream().filter(o -> "content_block_start".equals(o.event()))
                .map(o -> o.json().path("index").asInt() + ":" + o.json().path("content_block").path("type").asText()).toList();
        assertThat(starts).containsExactly("0:thinking", "1:text", "2:tool_use", "3:tool_use");
        List<Integer> stops = out.stream().filter(o -> "content_block_stop".equals(o.event())).map(o -> o.json().path("index").asInt()).toList();
        assertThat(stops).containsExactly(0, 1, 2, 3);

        JsonNode start = out.get(0).json();
        assertThat(out.get(0).event()).isEqualTo("message_start");
        assertThat(start.path("message").path("id").asText()).isEqualTo("msg_0c5e8a1f2b3d4e5f");
        assertThat(start.path("message").path("model").asText()).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(start.path("message").path("content")).isEmpty();

        assertThat(deltas(out, 0, "thinking_delta", "thinking")).isEqualTo("**Checking weather in two cities** I will call the tool for both.");
        assertThat(deltas(out, 0, "signature_delta", "signature")).isNotEmpty();
        assertThat(deltas(out, 1, "text_delta", "text")).isEqualTo("Let me check both cities.");
        JsonNode tool = out.stream().filter(o -> "content_block_start".equals(o.event()) && o.json().path("index").asInt() == 2)
                .findFirst().orElseThrow().json().path("content_block");
        assertThat(tool.path("id").asText()).isEqualTo("call_pWq3aBcD1");
        assertThat(tool.path("name").asText()).isEqualTo("get_weather");
        assertThat(tool.path("input").isObject()).isTrue();
        assertThat(deltas(out, 2, "input_json_delta", "partial_json")).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(deltas(out, 3, "input_json_delta", "partial_json")).isEqualTo("{\"city\":\"Tokyo\"}");

        Fixtures.Out delta = out.get(out.size() - 2);
        assertThat(delta.event()).isEqualTo("message_delta");
        assertThat(delta.json().path("delta").path("stop_reason").asText()).isEqualTo("tool_use");
        JsonNode usage = delta.json().path("usage");
        assertThat(usage.path("input_tokens").asLong()).as("cache reads counted apart, as Anthropic does").isEqualTo(210);
        assertThat(usage.path("cache_read_input_tokens").asLong()).isEqualTo(1024);
        assertThat(usage.path("output_tokens").asLong()).isEqualTo(87);
        assertThat(out.get(out.size() - 1).event()).isEqualTo("message_stop");
    }

    @Test
    void textOnlyInTheDoneItemIsOneBlockAndTheTurnEnds() {
        List<Fixtures.Out> out = run("responses-stream-text-only-done.sse");
        assertThat(Fixtures.types(out)).containsExactly("message_start", "content_block_start", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop");
        assertThat(deltas(out, 0, "text_delta", "text")).isEqualTo("{\"answer\":42}");
        assertThat(out.get(4).json().path("delta").path("stop_reason").asText()).isEqualTo("end_turn");
    }

    @Test
    void truncatedCutAndFailedStreams() {
        List<Fixtures.Out> inc = run("responses-stream-incomplete.sse");
        assertThat(deltas(inc, 0, "text_delta", "text")).isEqualTo("Once upon a");
        assertThat(inc.get(inc.size() - 2).json().path("delta").path("stop_reason").asText()).isEqualTo("max_tokens");

        List<Fixtures.Out> cut = run("responses-stream-cut.sse");
        Fixtures.Out last = cut.get(cut.size() - 1);
        assertThat(last.event()).isEqualTo("error");
        assertThat(last.json().path("error").path("type").asText()).isEqualTo("api_error");
        assertThat(cut).noneMatch(o -> "message_stop".equals(o.event()));

        List<Fixtures.Out> failed = run("responses-stream-failed.sse");
        JsonNode err = failed.get(failed.size() - 1).json();
        assertThat(err.path("type").asText()).isEqualTo("error");
        assertThat(err.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(err.path("error").path("message").asText()).startsWith("prompt is too long");
    }

    @Test
    void nonStreamingMessageHasThinkingTextAndToolUseBlocks() {
        JsonNode m = ResponsesToAnthropicMessage.convert(
                ResponsesToChatCompletionTest.collect("responses-stream-parallel-tools.sse").response(), "claude-sonnet-4-5-20250929");
        assertThat(m.path("type").asText()).isEqualTo("message");
        assertThat(m.path("model").asText()).isEqualTo("claude-sonnet-4-5-20250929");
        List<String> types = m.path("content").findValuesAsText("type");
        assertThat(types).containsExactly("thinking", "text", "tool_use", "tool_use");
        assertThat(m.path("content").get(2).path("input").path("city").asText()).isEqualTo("Paris");
        assertThat(m.path("stop_reason").asText()).isEqualTo("tool_use");
        assertThat(m.path("usage").path("output_tokens").asLong()).isEqualTo(87);

        JsonNode cut = ResponsesToAnthropicMessage.convert(
                ResponsesToChatCompletionTest.collect("responses-stream-incomplete.sse").response(), "claude-haiku-4-5");
        assertThat(cut.path("stop_reason").asText()).isEqualTo("max_tokens");
    }
}
