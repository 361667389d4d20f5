package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.codexrelay.convert.ChatStreamToResponsesTest.doneItems;
import static io.codexrelay.convert.ChatStreamToResponsesTest.joined;
import static org.assertj.core.api.Assertions.assertThat;

class AnthropicStreamToResponsesTest {
    private static final UpstreamRequest CODEX = new ResponsesToAnthropicRequest().translate(Fixtures.json("codex-request.json"));

    @Test
    void thinkingTextAndToolUseBlocksBecomeCodexItems() {
        List<Fixtures.Out> out = ChatStreamToResponsesTest.run(
                new AnthropicStreamToResponses(CODEX, "gpt-5-codex", "resp_anth1", Fixtures.CLOCK), "anthropic-upstream-stream-tools.sse");
        assertThat(joined(out, "response.reasoning_summary_text.delta")).isEqualTo("I should run the tests and patch the doc.");
        assertThat(joined(out, "response.output_text.delta")).isEqualTo("Running the tests now.");
        assertThat(joined(out, "response.function_call_arguments.delta")).isEqualTo("{\"command\": [\"bash\", \"-lc\", \"mvn -q test\"]}");

        List<JsonNode> items = doneItems(out);
        assertThat(items).extracting(i -> i.path("type").asText()).containsExactly("reasoning", "message", "function_call", "custom_tool_call");
        assertThat(items.get(2).path("call_id").asText()).isEqualTo("toolu_01T1x1fJ34qAmk2tNTrN7Up6");
        assertThat(items.get(3).path("input").asText()).isEqualTo("*** Begin Patch\n*** Update File: docs/a.md\n@@\n-old\n+new\n*** End Patch\n");

        JsonNode response = out.get(out.size() - 1).json().path("response");
        assertThat(out.get(out.size() - 1).event()).isEqualTo("response.completed");
        assertThat(response.path("usage").path("input_tokens").asLong()).as("uncached + cache reads").isEqualTo(1972);
        assertThat(response.path("usage").path("input_tokens_details").path("cached_tokens").asLong()).isEqualTo(1500);
        assertThat(response.path("usage").path("output_tokens").asLong()).isEqualTo(89);
    }

    @Test
    void overloadedMidStreamFailsWithARetryableCodeAndACutStreamFails() {
        List<Fixtures.Out> over = ChatStreamToResponsesTest.run(
                new AnthropicStreamToResponses(CODEX, "gpt-5-codex", "resp_o", Fixtures.CLOCK), "anthropic-upstream-stream-overloaded.sse");
        JsonNode failed = over.get(over.size() - 1).json();
        assertThat(failed.path("type").asText()).isEqualTo("response.failed");
        assertThat(failed.path("response").path("error").path("code").asText()).isEqualTo("server_is_overloaded");
        assertThat(failed.path("response").path("error").path("message").asText()).isEqualTo("Overloaded");

        List<Fixtures.Out> cut = ChatStreamToResponsesTest.run(
                new AnthropicStreamToResponses(CODEX, "gpt-5-codex", "resp_c", Fixtures.CLOCK), "anthropic-upstream-stream-cut.sse");
        assertThat(cut.get(cut.size() - 1).event()).isEqualTo("response.failed");
        assertThat(cut).noneMatch(o -> "response.completed".equals(o.event()));
        assertThat(doneItems(cut)).isEmpty();
    }

    @Test
    void maxTokensStopMakesTheResponseIncomplete() {
        AnthropicStreamToResponses c = new AnthropicStreamToResponses(CODEX, "gpt-5-codex", "resp_m", Fixtures.CLOCK);
        List<Fixtures.Out> out = new java.util.ArrayList<>();
        SseSink sink = (e, d) -> out.add(new Fixtures.Out(e, d, Fixtures.parse(d)));
        c.onEvent("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}", sink);
        c.onEvent("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}", sink);
        c.onEvent("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"abc\"}}", sink);
        c.onEvent("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}", sink);
        c.onEvent("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":3}}", sink);
        c.onEvent("message_stop", "{\"type\":\"message_stop\"}", sink);
        JsonNode last = out.get(out.size() - 1).json();
        assertThat(last.path("type").asText()).isEqualTo("response.incomplete");
        assertThat(last.path("response").path("incomplete_details").path("reason").asText()).isEqualTo("max_output_tokens");
        assertThat(last.path("response").path("usage").path("output_tokens").asLong()).isEqualTo(3);
        assertThat(c.finished()).isTrue();
    }
}
