package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnthropicToResponsesRequestTest {
    private final AnthropicToResponsesRequest converter =
            new AnthropicToResponsesRequest(m -> m.contains("haiku") ? "gpt-5-mini" : "gpt-5-codex");

    @Test
    void claudeCodeRequestWithImagesToolsToolResultsAndThinking() {
        TranslatedRequest t = converter.translate(Fixtures.json("anthropic-request-claude-code.json"));
        JsonNode body = t.body();
        assertThat(t.clientModel()).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(body.path("model").asText()).isEqualTo("gpt-5-codex");
        assertThat(t.clientStream()).isTrue();

        List<String> kinds = new ArrayList<>();
        for (JsonNode i : body.path("input")) kinds.add(i.path("type").asText() + ":" + i.path("role").asText(""));
        assertThat(kinds).containsExactly("message:user", "message:assistant", "function_call:",
                "function_call:", "function_call_output:", "function_call_output:", "message:user", "function_call:",
                "function_call_output:");

        JsonNode input = body.path("input");
        assertThat(body.path("instructions").asText()).isEqualTo("You are Claude Code, Anthropic's official CLI for Claude.\n\n"
                + "You are an interactive CLI tool that helps users with software engineering tasks.");

        JsonNode user = input.get(0).path("content");
        assertThat(user.get(2).path("type").asText()).isEqualTo("input_image");
        assertThat(user.get(2).path("image_url").asText()).startsWith("data:image/png;base64,iVBOR");

        JsonNode assistant = input.get(1).path("content");
        assertThat(assistant).as("thinking dropped, text kept").hasSize(1);
        assertThat(assistant.get(0).path("type").asText()).isEqualTo("output_text");
        assertThat(assistant.get(0).path("text").asText()).isEqualTo("I'll look at the directory.");

        assertThat(input.get(2).path("call_id").asText()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
        assertThat(input.get(2).path("name").asText()).isEqualTo("Bash");
        assertThat(Fixtures.parse(input.get(2).path("arguments").asText()).path("command").asText()).isEqualTo("ls -la");
        assertThat(input.get(4).path("output").asText()).startsWith("total 8");
        JsonNode withImage = input.get(5).path("output");
        assertThat(withImage.isArray()).isTrue();
        assertThat(withImage.get(1).path("image_url").asText()).isEqualTo("data:image/jpeg;base64,/9j/4AAQSkZJRg==");
        assertThat(input.get(6).path("content").get(0).path("text").asText()).isEqualTo("Also, what failed?");
        assertThat(input.get(8).path("output").asText()).isEqualTo("Error: exit code 1");

        JsonNode tools = body.path("tools");
        assertThat(tools).as("server tool web_search dropped").hasSize(2);
        assertThat(tools.get(0).path("type").asText()).isEqualTo("function");
        assertThat(tools.get(0).path("parameters").path("required").get(0).asText()).isEqualTo("command");
        assertThat(tools.get(0).path("strict").asBoolean(true)).isFalse();
        assertThat(body.path("tool_choice").asText()).isEqualTo("auto");
        assertThat(body.has("parallel_tool_calls")).isFalse();

        assertThat(body.path("reasoning").path("effort").asText()).isEqualTo("high");
        assertThat(body.path("reasoning").path("summary").asText()).isEqualTo("auto");
        assertThat(body.has("temperature")).as("temperature 1 is Anthropic's thinking requirement, not a wish").isFalse();
        assertThat(body.path("max_output_tokens").asInt()).isEqualTo(32000);
        assertThat(body.path("metadata").path("user_id").asText()).startsWith("user_5f2c0e8d9a");
        assertThat(t.stopSequences()).containsExactly("</answer>");
        assertThat(t.dropped()).containsExactly("tools[type=web_search_20250305]");
    }

    /** Recorded from Claude Code 2.1.328 ({@code claude -p}) against a loopback server; texts shortened. */
    @Test
    void claudeCode2RequestWithSystemMessageAdaptiveThinkingAndOutputConfig() {
        TranslatedRequest t = converter.translate(Fixtures.json("anthropic-request-claude-code-2.1.328.json"));
        JsonNode body = t.body();
        assertThat(t.clientModel()).isEqualTo("claude-opus-5-5");
        assertThat(body.path("instructions").asText()).startsWith("You are a Claude agent").doesNotContain("x-anthropic-billing-header");
        JsonNode input = body.path("input");
        assertThat(input).hasSize(2);
        assertThat(input.get(0).path("role").asText()).isEqualTo("user");
        assertThat(input.get(0).path("content").get(1).path("text").asText()).isEqualTo("weather?");
        assertThat(input.get(1).path("role").asText()).as("a system message among the messages stays in place").isEqualTo("developer");
        assertThat(input.get(1).path("content").get(0).path("text").asText()).startsWith("# Environment");
        assertThat(body.path("reasoning").path("effort").asText()).as("output_config.effort").isEqualTo("medium");
        assertThat(body.path("reasoning").has("summary")).as("display: omitted").isFalse();
        assertThat(body.path("max_output_tokens").asInt()).isEqualTo(128000);
        assertThat(body.path("tools").findValuesAsText("name")).containsExactly("Agent", "Bash", "Edit");
        assertThat(t.dropped()).containsExactly("context_management");
    }

    @Test
    void outputConfigFormatBecomesJsonSchemaOutput() {
        JsonNode body = converter.translate(Fixtures.parse("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[],"
                + "\"output_config\":{\"effort\":\"max\",\"format\":{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\"}}}}")).body();
        assertThat(body.path("text").path("format").path("type").asText()).isEqualTo("json_schema");
        assertThat(body.path("text").path("format").path("schema").path("type").asText()).isEqualTo("object");
        assertThat(body.path("reasoning").path("effort").asText()).isEqualTo("high");
    }

    @Test
    void toolChoiceVariantsAndThinkingBudgets() {
        TranslatedRequest anyRequest = converter.translate(Fixtures.parse("{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tool_choice\":{\"type\":\"any\",\"disable_parallel_tool_use\":true},"
                + "\"temperature\":0.3,\"context_management\":{\"edits\":[]}}"));
        assertThat(anyRequest.dropped()).containsExactly("context_management");
        JsonNode any = anyRequest.body();
        assertThat(any.path("model").asText()).isEqualTo("gpt-5-mini");
        assertThat(any.path("tool_choice").asText()).isEqualTo("required");
        assertThat(any.path("parallel_tool_calls").asBoolean(true)).isFalse();
        assertThat(any.path("temperature").asDouble()).isEqualTo(0.3);
        assertThat(any.has("reasoning")).isFalse();
        assertThat(any.path("input").get(0).path("content").get(0).path("text").asText()).isEqualTo("hi");

        JsonNode tool = converter.translate(Fixtures.parse("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[],"
                + "\"tool_choice\":{\"type\":\"tool\",\"name\":\"Read\"},\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048}}")).body();
        assertThat(tool.path("tool_choice").path("name").asText()).isEqualTo("Read");
        assertThat(tool.path("reasoning").path("effort").asText()).isEqualTo("low");
        JsonNode none = converter.translate(Fixtures.parse("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[],"
                + "\"tool_choice\":{\"type\":\"none\"},\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":10000}}")).body();
        assertThat(none.path("tool_choice").asText()).isEqualTo("none");
        assertThat(none.path("reasoning").path("effort").asText()).isEqualTo("medium");
    }

    @Test
    void badRequestsSayWhatIsWrong() {
        assertThatThrownBy(() -> converter.translate(Fixtures.parse("{\"max_tokens\":1,\"messages\":[]}")))
                .isInstanceOf(ConversionException.class).hasMessageContaining("model");
        assertThatThrownBy(() -> converter.translate(Fixtures.parse("{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}")))
                .hasMessageContaining("role must be 'user', 'assistant' or 'system'");
        assertThatThrownBy(() -> converter.translate(Fixtures.parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"image\",\"source\":{\"type\":\"file\",\"file_id\":\"f\"}}]}]}")))
                .hasMessageContaining("base64 or url");
    }

    @Test
    void countTokensEstimatesTextImagesAndTools() {
        JsonNode req = Fixtures.json("anthropic-request-claude-code.json");
        long estimate = TokenEstimator.estimate(req);
        // two images (one in a tool result) at 1,600 each, plus text, schemas and framing
        assertThat(estimate).isBetween(2 * 1600L + 150, 2 * 1600L + 1000);
        long small = TokenEstimator.estimate(Fixtures.parse("{\"messages\":[{\"role\":\"user\",\"content\":\"abcdefgh\"}]}"));
        assertThat(small).isEqualTo(TokenEstimator.PER_MESSAGE + 2);
        long cjk = TokenEstimator.estimate(Fixtures.parse("{\"messages\":[{\"role\":\"user\",\"content\":\"日本語のテキスト\"}]}"));
        assertThat(cjk).isEqualTo(TokenEstimator.PER_MESSAGE + 8);
        assertThat(TokenEstimator.countTokens(req).path("input_tokens").asLong()).isEqualTo(estimate);
    }
}
