package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResponsesToAnthropicRequestTest {
    private final UpstreamRequest t = new ResponsesToAnthropicRequest().translate(Fixtures.json("codex-request.json"));
    private final JsonNode body = t.body();

    @Test
    void codexHistoryBecomesAlternatingTurnsWithToolUseAndToolResultBlocks() {
        assertThat(body.path("system")).hasSize(2);
        assertThat(body.path("system").get(0).path("text").asText()).startsWith("You are Codex");
        List<String> turns = new ArrayList<>();
        for (JsonNode m : body.path("messages")) {
            StringBuilder b = new StringBuilder(m.path("role").asText()).append(':');
            for (JsonNode c : m.path("content")) b.append(c.path("type").asText()).append(',');
            turns.add(b.toString());
        }
        assertThat(turns).containsExactly(
                "user:text,text,image,",
                "assistant:text,tool_use,tool_use,",
                "user:tool_result,tool_result,",
                "assistant:tool_use,",
                "user:tool_result,",
                "assistant:tool_use,",
                "user:tool_result,",
                "assistant:tool_use,",
                "user:tool_result,text,");
        JsonNode messages = body.path("messages");
        JsonNode image = messages.get(0).path("content").get(2).path("source");
        assertThat(image.path("type").asText()).isEqualTo("base64");
        assertThat(image.path("media_type").asText()).isEqualTo("image/png");
        assertThat(image.path("data").asText()).startsWith("iVBOR");

        JsonNode shell = messages.get(1).path("content").get(1);
        assertThat(shell.path("id").asText()).isEqualTo("call_shell_1");
        assertThat(shell.path("input").path("command").get(2).asText()).isEqualTo("rg -n teh");
        assertThat(messages.get(2).path("content").get(1).path("tool_use_id").asText()).isEqualTo("call_shell_2");
        assertThat(messages.get(3).path("content").get(0).path("input").path("input").asText()).startsWith("*** Begin Patch");
        assertThat(messages.get(5).path("content").get(0).path("name").asText()).isEqualTo("local_shell");
        JsonNode viewResult = messages.get(8).path("content").get(0);
        assertThat(viewResult.path("content").get(0).path("text").asText()).isEqualTo("image attached");
        assertThat(viewResult.path("content").get(1).path("type").asText()).isEqualTo("image");
    }

    @Test
    void toolsThinkingAndLimits() {
        assertThat(body.path("tools").findValuesAsText("name")).containsExactly("shell", "apply_patch", "local_shell", "view_image");
        assertThat(body.path("tools").get(1).path("input_schema").path("required").get(0).asText()).isEqualTo("input");
        assertThat(body.path("tool_choice").path("type").asText()).isEqualTo("auto");
        assertThat(body.path("tool_choice").path("disable_parallel_tool_use").asBoolean()).isTrue();
        assertThat(body.path("thinking").path("type").asText()).isEqualTo("enabled");
        assertThat(body.path("thinking").path("budget_tokens").asInt()).isEqualTo(32_000);
        assertThat(body.path("max_tokens").asInt()).isGreaterThan(32_000);
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(t.customTools()).containsExactly("apply_patch");
        assertThat(t.localShell()).isTrue();
        assertThat(t.dropped()).containsExactlyInAnyOrder("tools[type=web_search]", "input[type=reasoning] x1", "previous_response_id");

        UpstreamRequest plain = new ResponsesToAnthropicRequest().translate(Fixtures.parse("{\"model\":\"claude-haiku-4-5\",\"input\":\"hi\","
                + "\"temperature\":0.2,\"tool_choice\":\"required\",\"text\":{\"format\":{\"type\":\"json_schema\",\"schema\":{}}}}"));
        assertThat(plain.body().path("max_tokens").asInt()).isEqualTo(ResponsesToAnthropicRequest.DEFAULT_MAX_TOKENS);
        assertThat(plain.body().path("temperature").asDouble()).isEqualTo(0.2);
        assertThat(plain.body().has("thinking")).isFalse();
        assertThat(plain.body().has("tool_choice")).as("no tools, no tool_choice").isFalse();
        assertThat(plain.dropped()).containsExactly("text.format");
    }

    @Test
    void anImageThatIsNotBase64IsRefusedClearly() {
        assertThatThrownBy(() -> ResponsesToAnthropicRequest.image("data:image/png,rawbytes"))
                .isInstanceOf(ConversionException.class).hasMessageContaining("base64");
        assertThat(ResponsesToAnthropicRequest.image("https://example.com/a.png").path("source").path("url").asText())
                .isEqualTo("https://example.com/a.png");
    }
}
