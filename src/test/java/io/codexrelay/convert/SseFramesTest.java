package io.codexrelay.convert;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SseFramesTest {
    private final List<String> seen = new ArrayList<>();
    private final SseFrames.Reader reader = new SseFrames.Reader((e, d) -> seen.add(e + "|" + d));

    @Test
    void eventsSplitAnywhereEvenInsideCrLfAreReassembled() {
        String wire = "event: a\r\ndata: {\"x\":1}\r\n\r\n: keep-alive comment\n\ndata:{\"y\":2}\n\n";
        for (char c : wire.toCharArray()) reader.feed(String.valueOf(c));
        assertThat(seen).containsExactly("a|{\"x\":1}", "null|{\"y\":2}");
    }

    @Test
    void multiLineDataIsJoinedWithNewlinesAndALastEventWithoutBlankLineIsKept() {
        reader.feed("data: line1\ndata: line2\n\nevent: last\ndata: [DONE]");
        reader.end();
        assertThat(seen).containsExactly("null|line1\nline2", "last|[DONE]");
    }

    @Test
    void framesAreWrittenWithAndWithoutEventName() {
        assertThat(SseFrames.frame("message_stop", "{\"type\":\"message_stop\"}"))
                .isEqualTo("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        assertThat(SseFrames.frame(null, "[DONE]")).isEqualTo("data: [DONE]\n\n");
    }
}
