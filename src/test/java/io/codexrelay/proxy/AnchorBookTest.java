package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AnchorBookTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode items(String... ids) throws Exception {
        List<String> parts = new ArrayList<>();
        for (String id : ids) parts.add("{\"type\":\"message\",\"id\":\"" + id + "\"}");
        return JSON.readTree("[" + String.join(",", parts) + "]");
    }

    private static List<String> ids(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path("id").asText()));
        return out;
    }

    @Test
    void anAnchoredRequestExpandsToPreviousInputThenItsOutputThenTheNewItemsEachOnce() throws Exception {
        AnchorBook book = new AnchorBook();
        Object link = new Object();
        // The prewarm: no input, no output.
        book.begin(book.fullInput(null, items()));
        book.completed("resp_prewarm", link);
        // The turn anchored on the prewarm carries everything.
        var turn = book.fullInput("resp_prewarm", items("u1", "u2"));
        assertThat(ids(turn)).containsExactly("u1", "u2");
        book.begin(turn);
        book.output(items("call1").get(0));
        book.completed("resp_1", link);
        // The tool's follow-up anchored on resp_1 only sends the tool output.
        var followUp = book.fullInput("resp_1", items("out1"));
        assertThat(ids(followUp)).containsExactly("u1", "u2", "call1", "out1");
        assertThat(book.heldBy(link, "resp_1")).isTrue();
        assertThat(book.heldBy(new Object(), "resp_1")).as("another upstream socket never saw resp_1").isFalse();
    }

    @Test
    void anUnknownAnchorCannotBeExpandedAndAnUnfinishedRequestLeavesTheLastCompletedOne() throws Exception {
        AnchorBook book = new AnchorBook();
        assertThat(book.fullInput("resp_elsewhere", items("x"))).isNull();
        book.begin(book.fullInput(null, items("a")));
        book.completed("resp_a", null);
        book.begin(book.fullInput("resp_a", items("b")));
        book.output(items("partial").get(0));
        book.abandoned(); // cut mid-stream: its output never counts
        assertThat(ids(book.fullInput("resp_a", items("c")))).containsExactly("a", "c");
        assertThat(book.fullInput("resp_b", items())).isNull();
    }

    @Test
    void aClosedUpstreamSocketNoLongerHoldsItsAnchor() throws Exception {
        AnchorBook book = new AnchorBook();
        Object link = new Object();
        book.begin(book.fullInput(null, items("a")));
        book.completed("resp_a", link);
        book.linkClosed(link);
        assertThat(book.heldBy(link, "resp_a")).isFalse();
        assertThat(ids(book.fullInput("resp_a", items("b")))).containsExactly("a", "b");
    }
}
