package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ResponsesToChatCompletionTest {
    static ResponsesCollector collect(String fixture) {
        ResponsesCollector c = new ResponsesCollector();
        SseFrames.Reader r = new SseFrames.Reader((e, d) -> c.onEvent(d));
        r.feed(Fixtures.text(fixture));
        r.end();
        return c;
    }

    @Test
    void aggregatedAnswerWithParallelToolCallsReasoningAndUsage() {
        ResponsesCollector c = collect("responses-stream-parallel-tools.sse");
        assertThat(c.response().path("output")).as("empty output of completed filled from the done items").hasSize(4);
        JsonNode chat = ResponsesToChatCompletion.convert(c.response(), "gpt-4o", true);

        assertThat(chat.path("object").asText()).isEqualTo("chat.completion");
        assertThat(chat.path("id").asText()).isEqualTo("chatcmpl-0c5e8a1f2b3d4e5f");
        assertThat(chat.path("model").asText()).isEqualTo("gpt-4o");
        assertThat(chat.path("created").asLong()).isEqualTo(1764745200L);
        JsonNode choice = chat.path("choices").get(0);
        assertThat(choice.path("finish_reason").asText()).isEqualTo("tool_calls");
        JsonNode msg = choice.path("message");
        assertThat(msg.path("content").asText()).isEqualTo("Let me check both cities.");
        assertThat(msg.path("reasoning_content").asText()).startsWith("**Checking weather");
        assertThat(msg.path("tool_calls")).hasSize(2);
        assertThat(msg.path("tool_calls").get(1).path("id").asText()).isEqualTo("call_Zx9yWvU2");
        assertThat(msg.path("tool_calls").get(1).path("function").path("arguments").asText()).isEqualTo("{\"city\":\"Tokyo\"}");
        assertThat(chat.path("usage").path("prompt_tokens").asLong()).isEqualTo(1234);
        assertThat(chat.path("usage").path("completion_tokens_details").path("reasoning_tokens").asLong()).isEqualTo(42);

        JsonNode noReasoning = ResponsesToChatCompletion.convert(c.response(), "gpt-4o", false);
        assertThat(noReasoning.path("choices").get(0).path("message").has("reasoning_content")).isFalse();
    }

    @Test
    void jsonSchemaAnswerStopsAndTruncatedAnswerSaysLength() {
        JsonNode chat = ResponsesToChatCompletion.convert(collect("responses-stream-text-only-done.sse").response(), "gpt-4o", true);
        assertThat(chat.path("choices").get(0).path("message").path("content").asText()).isEqualTo("{\"answer\":42}");
        assertThat(chat.path("choices").get(0).path("message").has("tool_calls")).isFalse();
        assertThat(chat.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");

        JsonNode cut = ResponsesToChatCompletion.convert(collect("responses-stream-incomplete.sse").response(), "gpt-4o", true);
        assertThat(cut.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
        assertThat(cut.path("choices").get(0).path("message").path("content").asText()).isEqualTo("Once upon a");
    }

    @Test
    void aFailedOrCutStreamHasNoResponseButTheErrorIsKept() {
        ResponsesCollector failed = collect("responses-stream-failed.sse");
        assertThat(failed.response()).isNull();
        assertThat(failed.error().path("code").asText()).isEqualTo("context_length_exceeded");
        ResponsesCollector cut = collect("responses-stream-cut.sse");
        assertThat(cut.response()).isNull();
        assertThat(cut.error()).isNull();
    }
}
