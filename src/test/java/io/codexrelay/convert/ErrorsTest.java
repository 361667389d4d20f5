package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorsTest {
    private static final String USAGE_LIMIT = "{\"error\":{\"type\":\"usage_limit_reached\",\"message\":\"The usage limit has been reached; try again at 14:05.\","
            + "\"plan_type\":\"plus\",\"resets_at\":1795218000,\"resets_in_seconds\":1800}}";

    @Test
    void openAiErrorsKeepTheRelaysMessageAndResetTime() {
        OpenAiErrors.ErrorReply r = OpenAiErrors.fromUpstream(429, USAGE_LIMIT);
        assertThat(r.status()).isEqualTo(429);
        JsonNode e = r.body().path("error");
        assertThat(e.path("message").asText()).isEqualTo("The usage limit has been reached; try again at 14:05.");
        assertThat(e.path("type").asText()).isEqualTo("usage_limit_reached");
        assertThat(e.path("code").asText()).isEqualTo("usage_limit_reached");
        assertThat(e.path("resets_at").asLong()).isEqualTo(1795218000L);
        assertThat(e.has("param")).isTrue();
    }

    @Test
    void openAiErrorsForNonJsonBodiesAreChosenByStatus() {
        assertThat(OpenAiErrors.fromUpstream(403, "<html>Just a moment...</html>").body().path("error").path("type").asText())
                .isEqualTo("permission_error");
        assertThat(OpenAiErrors.fromUpstream(502, "").body().path("error").path("type").asText()).isEqualTo("server_error");
        assertThat(OpenAiErrors.fromUpstream(401, null).body().path("error").path("type").asText()).isEqualTo("authentication_error");
    }

    @Test
    void anthropicErrorsUseTheStatusesClaudeCodeActsOn() {
        AnthropicErrors.ErrorReply limit = AnthropicErrors.fromUpstream(429, USAGE_LIMIT);
        assertThat(limit.status()).isEqualTo(429);
        assertThat(limit.body().path("type").asText()).isEqualTo("error");
        assertThat(limit.body().path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(limit.body().path("error").path("message").asText()).contains("try again at 14:05");

        AnthropicErrors.ErrorReply overloaded = AnthropicErrors.fromUpstream(503, "upstream connect error");
        assertThat(overloaded.status()).isEqualTo(529);
        assertThat(overloaded.body().path("error").path("type").asText()).isEqualTo("overloaded_error");

        AnthropicErrors.ErrorReply auth = AnthropicErrors.fromUpstream(401,
                "{\"error\":{\"message\":\"Invalid client key: check x-api-key\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
        assertThat(auth.status()).isEqualTo(401);
        assertThat(auth.body().path("error").path("type").asText()).isEqualTo("authentication_error");

        AnthropicErrors.ErrorReply context = AnthropicErrors.fromUpstream(400,
                "{\"error\":{\"message\":\"Your input exceeds the context window\",\"code\":\"context_length_exceeded\"}}");
        assertThat(context.status()).isEqualTo(400);
        assertThat(context.body().path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(context.body().path("error").path("message").asText()).startsWith("prompt is too long");

        assertThat(AnthropicErrors.fromUpstream(500, "{}").body().path("error").path("type").asText()).isEqualTo("api_error");
        assertThat(AnthropicErrors.invalidRequest(new ConversionException("messages: field required")).json())
                .isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"messages: field required\"}}");
    }

    @Test
    void midStreamResponsesFailuresMapToAnthropicTypes() {
        assertThat(AnthropicErrors.fromResponsesError(Fixtures.parse("{\"code\":\"rate_limit_exceeded\",\"message\":\"slow down\"}")).status()).isEqualTo(429);
        assertThat(AnthropicErrors.fromResponsesError(Fixtures.parse("{\"code\":\"server_is_overloaded\",\"message\":\"busy\"}")).status()).isEqualTo(529);
        assertThat(AnthropicErrors.fromResponsesError(Fixtures.parse("{\"code\":\"server_error\",\"message\":\"oops\"}")).body()
                .path("error").path("type").asText()).isEqualTo("api_error");
    }
}
