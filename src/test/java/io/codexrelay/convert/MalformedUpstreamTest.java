package io.codexrelay.convert;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** An upstream that sends something other than JSON ends the client's stream with its dialect's error, never a throw. */
class MalformedUpstreamTest {
    private final List<Fixtures.Out> out = new ArrayList<>();
    private final SseSink sink = (e, d) -> out.add(new Fixtures.Out(e, d, Fixtures.parse(d)));
    private static final String CREATED = "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_m\",\"created_at\":1}}";

    @Test
    void responsesToChat() {
        ResponsesToChatStream c = new ResponsesToChatStream("gpt-4o", false, true, Fixtures.CLOCK);
        c.onEvent(null, CREATED, sink);
        c.onEvent(null, "[DONE]", sink);
        assertThat(c.finished()).as("[DONE] from a Responses server is ignored").isFalse();
        c.onEvent(null, "<html>502 Bad Gateway</html>", sink);
        assertThat(c.finished()).isTrue();
        assertThat(out.get(out.size() - 1).json().path("error").path("code").asText()).isEqualTo("upstream_malformed");
    }

    @Test
    void responsesToAnthropic() {
        ResponsesToAnthropicStream c = new ResponsesToAnthropicStream("claude-haiku-4-5", Fixtures.CLOCK);
        c.onEvent("response.created", CREATED, sink);
        c.onEvent(null, "{\"type\":\"response.output_text.delta\",\"item_id\":\"m\",\"delta\":\"hi\"", sink);
        assertThat(out.get(out.size() - 1).event()).isEqualTo("error");
        assertThat(out.get(out.size() - 1).json().path("error").path("type").asText()).isEqualTo("api_error");
    }

    @Test
    void chatAndAnthropicUpstreamsToResponses() {
        UpstreamRequest req = new ResponsesToChatRequest().translate(Fixtures.parse("{\"model\":\"m\",\"input\":\"x\"}"));
        ChatStreamToResponses chat = new ChatStreamToResponses(req, "m", "resp_x", Fixtures.CLOCK);
        chat.onEvent(null, "not json", sink);
        assertThat(out.get(out.size() - 1).type()).isEqualTo("response.failed");
        out.clear();
        AnthropicStreamToResponses anth = new AnthropicStreamToResponses(req, "m", "resp_y", Fixtures.CLOCK);
        anth.onEvent("message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}", sink);
        anth.onEvent("content_block_delta", "{broken", sink);
        assertThat(out.get(out.size() - 1).type()).isEqualTo("response.failed");
        assertThat(anth.finished()).isTrue();
    }
}
