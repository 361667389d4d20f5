package io.codexrelay.proxy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading providers' 400s for the parameter they refuse. */
class UnsupportedParameterTest {
    private static final Set<String> SENT = Set.of("model", "messages", "stream", "tools", "tool_choice", "reasoning_effort",
            "temperature", "thinking", "max_tokens");

    private static String named(String body) {
        return UnsupportedParameter.named(body.getBytes(StandardCharsets.UTF_8), SENT);
    }

    @Test
    void theParamFieldTheMessageOrAnAnthropicMessageNameIt() {
        assertThat(named("{\"error\":{\"message\":\"bad\",\"param\":\"tools[0].function\",\"type\":\"invalid_request_error\"}}")).isEqualTo("tools");
        assertThat(named("{\"error\":{\"message\":\"Unrecognized request argument supplied: reasoning_effort\",\"param\":null}}")).isEqualTo("reasoning_effort");
        assertThat(named("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"temperature: Extra inputs are not permitted\"}}")).isEqualTo("temperature");
        assertThat(named("{\"error\":\"tool_choice is not supported by this model\"}")).isEqualTo("tool_choice");
        assertThat(named("plain text: thinking is not supported")).isEqualTo("thinking");
    }

    @Test
    void essentialsUnsentOrUnrefusedParametersAreNeverLearned() {
        assertThat(named("{\"error\":{\"message\":\"messages: Unexpected role\",\"param\":\"messages\"}}")).isNull();
        assertThat(named("{\"error\":{\"message\":\"top_p is not supported\"}}")).as("not sent").isNull();
        assertThat(named("{\"error\":{\"message\":\"tools must be fewer than 128\"}}")).as("not a refusal").isNull();
        assertThat(named("{\"error\":{\"message\":\"Unsupported value: temperature_x\"}}")).as("whole names only").isNull();
    }
}
