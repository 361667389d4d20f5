package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatToResponsesRequestTest {
    private final ChatToResponsesRequest converter = new ChatToResponsesRequest(m -> m.equals("gpt-4o") ? "gpt-5" : m, true);

    @Test
    void openAiSdkRequestWithImagesParallelToolCallsAndJsonSchema() {
        TranslatedRequest t = converter.translate(Fixtures.json("chat-request-openai-sdk.json"));
        JsonNode body = t.body();

        assertThat(t.clientModel()).isEqualTo("gpt-4o");
        assertThat(body.path("model").asText()).isEqualTo("gpt-5");
        assertThat(t.clientStream()).isTrue();
        assertThat(t.includeUsage()).isTrue();
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.path("store").asBoolean(true)).isFalse();

        assertThat(body.path("instructions").asText()).as("leading system + developer messages, joined")
                .isEqualTo("You are a helpful travel assistant.\n\nAnswer in JSON.");
        JsonNode input = body.path("input");
        assertThat(input).hasSize(7);
        JsonNode user = input.get(0).path("content");
        assertThat(input.get(0).path("role").asText()).isEqualTo("user");
        assertThat(user.get(0).path("type").asText()).isEqualTo("input_text");
        assertThat(user.get(1).path("type").asText()).isEqualTo("input_image");
        assertThat(user.get(1).path("image_url").asText()).startsWith("data:image/png;base64,");
        assertThat(user.get(1).path("detail").asText()).isEqualTo("low");
        assertThat(user.get(2).path("image_url").asText()).isEqualTo("https://example.com/eiffel.jpg");
        assertThat(user.get(2).path("detail").asText()).isEqualTo("auto");

        // assistant tool_calls (null content) -> two function_call items, then their outputs in order
        assertThat(input.get(1).path("type").asText()).isEqualTo("function_call");
        assertThat(input.get(1).path("call_id").asText()).isEqualTo("call_pWq3aBcD1");
        assertThat(input.get(1).path("arguments").asText()).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(input.get(2).path("call_id").asText()).isEqualTo("call_Zx9yWvU2");
        assertThat(input.get(3).path("type").asText()).isEqualTo("function_call_output");
        assertThat(input.get(3).path("output").asText()).isEqualTo("{\"temp_c\":18,\"sky\":\"cloudy\"}");
        assertThat(input.get(4).path("output").asText()).isEqualTo("{\"temp_c\":24,\"sky\":\"clear\"}");
        assertThat(input.get(5).path("role").asText()).isEqualTo("assistant");
        assertThat(input.get(5).path("content").get(0).path("type").asText()).isEqualTo("output_text");
        assertThat(input.get(6).path("content").get(0).path("text").asText()).isEqualTo("Thanks. Now give me that as JSON.");

        JsonNode tools = body.path("tools");
        assertThat(tools).hasSize(2);
        assertThat(tools.get(0).path("name").asText()).isEqualTo("get_weather");
        assertThat(tools.get(0).path("strict").asBoolean()).isTrue();
        assertThat(tools.get(1).path("strict").asBoolean(true)).as("Chat's default strictness is kept").isFalse();
        assertThat(body.path("tool_choice").path("type").asText()).isEqualTo("function");
        assertThat(body.path("tool_choice").path("name").asText()).isEqualTo("get_weather");
        assertThat(body.path("parallel_tool_calls").asBoolean()).isTrue();

        JsonNode format = body.path("text").path("format");
        assertThat(format.path("type").asText()).isEqualTo("json_schema");
        assertThat(format.path("name").asText()).isEqualTo("weather_report");
        assertThat(format.path("strict").asBoolean()).isTrue();
        assertThat(format.path("schema").path("required").get(0).asText()).isEqualTo("cities");

        assertThat(body.path("reasoning").path("effort").asText()).isEqualTo("low");
        assertThat(body.path("reasoning").path("summary").asText()).isEqualTo("auto");
        assertThat(body.path("max_output_tokens").asInt()).as("max_completion_tokens wins over max_tokens").isEqualTo(800);
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.2);
        assertThat(body.path("top_p").asDouble()).isEqualTo(0.9);
        assertThat(body.path("user").asText()).isEqualTo("user-1234");
        assertThat(body.has("stop")).isFalse();
        assertThat(body.has("stream_options")).isFalse();
        assertThat(t.stopSequences()).containsExactly("\n\nUser:");
        assertThat(t.dropped()).containsExactly("seed");
    }

    @Test
    void plainNonStreamingRequestAsksForNoUsageChunkAndNoSummaries() {
        ChatToResponsesRequest noSummaries = new ChatToResponsesRequest(m -> m, false);
        TranslatedRequest t = noSummaries.translate(Fixtures.parse(
                "{\"model\":\"gpt-5\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"reasoning_effort\":\"high\","
                        + "\"max_tokens\":64,\"response_format\":{\"type\":\"json_object\"}}"));
        assertThat(t.clientStream()).isFalse();
        assertThat(t.includeUsage()).isFalse();
        assertThat(t.body().path("reasoning").has("summary")).isFalse();
        assertThat(t.body().path("max_output_tokens").asInt()).isEqualTo(64);
        assertThat(t.body().path("text").path("format").path("type").asText()).isEqualTo("json_object");
        assertThat(t.body().path("input").get(0).path("content").get(0).path("text").asText()).isEqualTo("hi");
        assertThat(t.body().path("instructions").asText()).isEqualTo(ChatToResponsesRequest.DEFAULT_INSTRUCTIONS);
        assertThat(t.dropped()).isEmpty();
    }

    @Test
    void aSystemMessageAfterTheConversationStartedStaysInPlaceAsDeveloper() {
        TranslatedRequest t = converter.translate(Fixtures.parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                + "{\"role\":\"system\",\"content\":\"now be brief\"}]}"));
        assertThat(t.body().path("input").get(1).path("role").asText()).isEqualTo("developer");
        assertThat(t.body().path("input").get(1).path("content").get(0).path("text").asText()).isEqualTo("now be brief");
    }

    @Test
    void badRequestsAreRefusedWithAMessageThatSaysWhatToSend() {
        assertThatThrownBy(() -> converter.translate(Fixtures.parse("{\"model\":\"m\"}")))
                .isInstanceOf(ConversionException.class).hasMessageContaining("'messages'");
        assertThatThrownBy(() -> converter.translate(Fixtures.parse(
                "{\"model\":\"m\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")))
                .hasMessageContaining("'n'");
        assertThatThrownBy(() -> converter.translate(Fixtures.parse(
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}")))
                .hasMessageContaining("input_audio").hasMessageContaining("image_url");
        assertThatThrownBy(() -> converter.translate(Fixtures.parse(
                "{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}")))
                .hasMessageContaining("tool_call_id");
        ObjectNode error = OpenAiErrors.invalidRequest(new ConversionException("'model' is required")).body();
        assertThat(error.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("error").path("message").asText()).isEqualTo("'model' is required");
    }
}
