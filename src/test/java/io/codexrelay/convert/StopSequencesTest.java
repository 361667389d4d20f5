package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Responses has no stop parameter: the answer converters enforce the client's stop sequences. */
class StopSequencesTest {
    private static final List<String> STOP = List.of("\n\nUser:", "</answer>");

    @Test
    void aSequenceSplitAcrossDeltasIsNeverShown() {
        StopSequences s = new StopSequences(STOP);
        StringBuilder shown = new StringBuilder();
        for (String d : List.of("The answer is 42.\n", "\nUs", "er: and what else?")) shown.append(s.accept(d));
        assertThat(shown.toString()).isEqualTo("The answer is 42.");
        assertThat(s.matched()).isEqualTo("\n\nUser:");
        assertThat(s.accept("more")).isEmpty();
    }

    @Test
    void heldBackTextComesOutWhenNoSequenceFollows() {
        StopSequences s = new StopSequences(STOP);
        String shown = s.accept("line\n\nUse");
        assertThat(shown).isEqualTo("line"); // "\n\nUse" could still become "\n\nUser:"
        assertThat(s.accept("d.")).isEqualTo("\n\nUsed.");
        assertThat(s.accept(" </ans")).isEqualTo(" ");
        assertThat(s.flush()).isEqualTo("</ans");
        assertThat(s.matched()).isNull();
    }

    @Test
    void chatStreamStopsTheTextAndFinishesWithStop() {
        List<Fixtures.Out> out = Fixtures.run(new ResponsesToChatStream("gpt-4o", true, true, STOP, Fixtures.CLOCK),
                "responses-stream-stop-split.sse");
        String content = out.stream().filter(o -> o.json() != null && o.json().path("choices").size() > 0)
                .map(o -> o.json().path("choices").get(0).path("delta").path("content"))
                .filter(JsonNode::isTextual).map(JsonNode::asText).collect(Collectors.joining());
        assertThat(content).isEqualTo("The answer is 42.");
        assertThat(out.get(out.size() - 3).json().path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(out.get(out.size() - 2).json().path("usage").path("completion_tokens").asLong()).isEqualTo(14);
        assertThat(out.get(out.size() - 1).data()).isEqualTo("[DONE]");

        List<Fixtures.Out> noStop = Fixtures.run(new ResponsesToChatStream("gpt-4o", false, true, Fixtures.CLOCK), "responses-stream-stop-split.sse");
        assertThat(noStop.stream().filter(o -> o.json() != null).map(o -> o.json().path("choices").get(0).path("delta").path("content"))
                .filter(JsonNode::isTextual).map(JsonNode::asText).collect(Collectors.joining())).isEqualTo("The answer is 42.\n\nUser: and what else?");
    }

    @Test
    void anthropicStreamEndsWithStopSequenceReason() {
        List<Fixtures.Out> out = Fixtures.run(new ResponsesToAnthropicStream("claude-haiku-4-5", STOP, Fixtures.CLOCK),
                "responses-stream-stop-split.sse");
        String text = out.stream().filter(o -> "content_block_delta".equals(o.event()))
                .map(o -> o.json().path("delta").path("text").asText()).collect(Collectors.joining());
        assertThat(text).isEqualTo("The answer is 42.");
        assertThat(Fixtures.types(out)).containsSubsequence("content_block_start", "content_block_stop", "message_delta", "message_stop");
        assertThat(Fixtures.types(out).stream().filter("content_block_stop"::equals).count()).isEqualTo(1);
        JsonNode delta = out.get(out.size() - 2).json().path("delta");
        assertThat(delta.path("stop_reason").asText()).isEqualTo("stop_sequence");
        assertThat(delta.path("stop_sequence").asText()).isEqualTo("\n\nUser:");
    }

    @Test
    void nonStreamingAnswersAreCutToo() {
        ResponsesCollector c = ResponsesToChatCompletionTest.collect("responses-stream-stop-split.sse");
        JsonNode chat = ResponsesToChatCompletion.convert(c.response(), "gpt-4o", false, STOP);
        assertThat(chat.path("choices").get(0).path("message").path("content").asText()).isEqualTo("The answer is 42.");
        assertThat(chat.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        JsonNode msg = ResponsesToAnthropicMessage.convert(c.response(), "claude-haiku-4-5", STOP);
        assertThat(msg.path("content").get(0).path("text").asText()).isEqualTo("The answer is 42.");
        assertThat(msg.path("stop_reason").asText()).isEqualTo("stop_sequence");
        assertThat(msg.path("stop_sequence").asText()).isEqualTo("\n\nUser:");
    }
}
