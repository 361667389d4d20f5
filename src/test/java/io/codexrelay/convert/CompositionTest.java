package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Any client over any wire: a non-Responses client served by a non-Responses upstream goes through Responses in the
 * middle, so the two halves must compose without losing ids, images, tool calls or usage.
 */
class CompositionTest {
    /** Feeds an upstream fixture through {@code upstream}, and what it writes through {@code client}. */
    private static List<Fixtures.Out> pipe(StreamConverter upstream, StreamConverter client, String fixture) {
        List<Fixtures.Out> out = new ArrayList<>();
        SseSink toClient = (e, d) -> out.add(new Fixtures.Out(e, d, "[DONE]".equals(d) ? null : Fixtures.parse(d)));
        SseSink middle = (e, d) -> client.onEvent(e, d, toClient);
        SseFrames.Reader reader = new SseFrames.Reader((e, d) -> upstream.onEvent(e, d, middle));
        reader.feed(Fixtures.text(fixture));
        reader.end();
        upstream.onEnd(middle);
        client.onEnd(toClient);
        return out;
    }

    @Test
    void claudeCodeRequestForAChatUpstreamKeepsToolIdsAndImages() {
        TranslatedRequest responses = new AnthropicToResponsesRequest(m -> "deepseek-chat")
                .translate(Fixtures.json("anthropic-request-claude-code.json"));
        UpstreamRequest chat = new ResponsesToChatRequest().translate(responses.body());
        JsonNode messages = chat.body().path("messages");

        assertThat(chat.body().path("model").asText()).isEqualTo("deepseek-chat");
        assertThat(messages.get(0).path("role").asText()).isEqualTo("system");
        assertThat(messages.get(0).path("content").asText()).startsWith("You are Claude Code");
        assertThat(messages.get(1).path("content").get(2).path("image_url").path("url").asText()).startsWith("data:image/png;base64,");
        JsonNode assistant = messages.get(2);
        assertThat(assistant.path("content").asText()).isEqualTo("I'll look at the directory.");
        assertThat(assistant.path("tool_calls").findValuesAsText("id")).containsExactly("toolu_01A09q90qw90lq917835lq9", "toolu_01B7xY2zQ3");
        assertThat(messages.get(3).path("tool_call_id").asText()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
        assertThat(messages.get(4).path("tool_call_id").asText()).isEqualTo("toolu_01B7xY2zQ3");
        assertThat(messages.get(4).path("content").asText()).isEqualTo("Image read");
        assertThat(messages.get(5).path("content").get(0).path("image_url").path("url").asText()).isEqualTo("data:image/jpeg;base64,/9j/4AAQSkZJRg==");
        assertThat(messages.get(6).path("content").asText()).isEqualTo("Also, what failed?");
        assertThat(chat.body().path("tools").findValuesAsText("name")).containsExactly("Bash", "Read");
        assertThat(chat.body().path("reasoning_effort").asText()).isEqualTo("high");
    }

    @Test
    void chatUpstreamStreamReachesAnAnthropicClientAsBlocks() {
        UpstreamRequest req = new ResponsesToChatRequest().translate(
                new AnthropicToResponsesRequest(m -> "deepseek-chat").translate(Fixtures.json("anthropic-request-claude-code.json")).body());
        List<Fixtures.Out> out = pipe(new ChatStreamToResponses(req, "deepseek-chat", "resp_c1", Fixtures.CLOCK),
                new ResponsesToAnthropicStream("claude-sonnet-4-5-20250929", Fixtures.CLOCK), "chat-upstream-stream-tools.sse");

        List<String> blocks = out.stream().filter(o -> "content_block_start".equals(o.event()))
                .map(o -> o.json().path("content_block").path("type").asText()).toList();
        assertThat(blocks).containsExactly("thinking", "text", "tool_use", "tool_use", "tool_use");
        List<String> toolIds = out.stream().filter(o -> "content_block_start".equals(o.event()) && o.json().path("content_block").has("id"))
                .map(o -> o.json().path("content_block").path("id").asText()).toList();
        assertThat(toolIds).containsExactly("call_00_shell", "call_01_patch", "call_02_local");
        for (int index = 2; index <= 4; index++) {
            int i = index;
            String json = out.stream().filter(o -> "content_block_delta".equals(o.event()) && o.json().path("index").asInt() == i)
                    .map(o -> o.json().path("delta").path("partial_json").asText()).collect(Collectors.joining());
            assertThat(Fixtures.parse(json).isObject()).as("tool input of block %d is whole JSON", i).isTrue();
        }
        JsonNode delta = out.get(out.size() - 2).json();
        assertThat(delta.path("delta").path("stop_reason").asText()).isEqualTo("tool_use");
        assertThat(delta.path("usage").path("output_tokens").asLong()).isEqualTo(95);
        assertThat(delta.path("usage").path("cache_read_input_tokens").asLong()).isEqualTo(1920);
        assertThat(out.get(out.size() - 1).event()).isEqualTo("message_stop");
    }

    @Test
    void anthropicUpstreamStreamReachesAChatClientAsChunks() {
        UpstreamRequest req = new ResponsesToAnthropicRequest().translate(
                new ChatToResponsesRequest(m -> "claude-sonnet-4-5", true).translate(Fixtures.json("chat-request-openai-sdk.json")).body());
        List<Fixtures.Out> out = pipe(new AnthropicStreamToResponses(req, "claude-sonnet-4-5", "resp_a1", Fixtures.CLOCK),
                new ResponsesToChatStream("gpt-4o", true, true, Fixtures.CLOCK), "anthropic-upstream-stream-tools.sse");

        List<JsonNode> deltas = out.stream().filter(o -> o.json() != null && o.json().path("choices").size() > 0)
                .map(o -> o.json().path("choices").get(0).path("delta")).toList();
        assertThat(deltas.stream().map(d -> d.path("content")).filter(JsonNode::isTextual).map(JsonNode::asText).collect(Collectors.joining()))
                .isEqualTo("Running the tests now.");
        assertThat(deltas.stream().map(d -> d.path("reasoning_content")).filter(JsonNode::isTextual).map(JsonNode::asText).collect(Collectors.joining()))
                .isEqualTo("I should run the tests and patch the doc.");
        List<JsonNode> calls = new ArrayList<>();
        deltas.forEach(d -> d.path("tool_calls").forEach(calls::add));
        assertThat(calls.stream().filter(c -> c.has("id")).map(c -> c.path("index").asInt() + ":" + c.path("id").asText()))
                .containsExactly("0:toolu_01T1x1fJ34qAmk2tNTrN7Up6", "1:toolu_01PatchAbc");
        String args1 = calls.stream().filter(c -> c.path("index").asInt() == 1).map(c -> c.path("function").path("arguments").asText()).collect(Collectors.joining());
        assertThat(Fixtures.parse(args1).path("input").asText()).startsWith("*** Begin Patch");
        assertThat(out.get(out.size() - 3).json().path("choices").get(0).path("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(out.get(out.size() - 2).json().path("usage").path("completion_tokens").asLong()).isEqualTo(89);
        assertThat(out.get(out.size() - 1).data()).isEqualTo("[DONE]");
    }
}
