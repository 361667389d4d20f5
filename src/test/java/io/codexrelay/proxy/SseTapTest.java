package io.codexrelay.proxy;

import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SseTapTest {

    private static byte[] stream(List<String> events) {
        return String.join("", events).getBytes(StandardCharsets.UTF_8);
    }

    private static SseTap feed(byte[] all, int... cuts) {
        SseTap tap = new SseTap();
        int from = 0;
        for (int c : cuts) {
            tap.scan(ByteBuffer.wrap(all, from, c - from));
            from = c;
        }
        tap.scan(ByteBuffer.wrap(all, from, all.length - from));
        return tap;
    }

    @Test
    void eventTypeNamesAreReadOnceAndHandedBackForTheSameBytes() {
        byte[] a = "xx response.output_text.delta yy".getBytes(StandardCharsets.UTF_8);
        String first = SseTap.TypeNames.of(a, 3, 29);
        assertThat(first).isEqualTo("response.output_text.delta");
        byte[] b = "response.output_text.delta".getBytes(StandardCharsets.UTF_8);
        assertThat(SseTap.TypeNames.of(b, 0, b.length)).isSameAs(first);
        // different bytes of the same length are never taken for the known name
        byte[] c = "response.output_text.delte".getBytes(StandardCharsets.UTF_8);
        assertThat(SseTap.TypeNames.of(c, 0, c.length)).isEqualTo("response.output_text.delte");
        // UTF-8 and long names are read as they are
        byte[] d = "réponse".getBytes(StandardCharsets.UTF_8);
        assertThat(SseTap.TypeNames.of(d, 0, d.length)).isEqualTo("réponse");
        byte[] e = "t".repeat(200).getBytes(StandardCharsets.UTF_8);
        assertThat(SseTap.TypeNames.of(e, 0, e.length)).isEqualTo("t".repeat(200));
        assertThat(SseTap.TypeNames.of(e, 0, 0)).isEmpty();
    }

    @Test
    void anEventLineIsTrimmedAsBefore() {
        SseTap tap = feed(stream(List.of("event: \t response.created \r\ndata: {}\r\n\r\n",
                "event:response.output_text.delta\ndata: {}\n\n")));
        assertThat(tap.events()).isEqualTo(2);
        assertThat(tap.firstSignificant()).isEqualTo("response.output_text.delta");
    }

    @Test
    void readsTypesAndUsageOfACompleteStream() {
        SseTap tap = feed(stream(FakeUpstream.successEvents("hi", 120, 30)));
        assertThat(tap.events()).isEqualTo(6);
        assertThat(tap.firstSignificant()).isEqualTo("response.output_item.added");
        assertThat(tap.completed()).isTrue();
        assertThat(tap.failed()).isFalse();
        assertThat(tap.lastType()).isEqualTo("response.completed");
        assertThat(tap.usage()).isEqualTo(new SseTap.Usage(120L, 2L, 30L, 1L));
    }

    @Test
    void eventsSplitAtEveryPossibleByteGiveTheSameResult() {
        byte[] all = stream(FakeUpstream.successEvents("split me", 5, 7));
        for (int cut = 1; cut < all.length; cut++) {
            SseTap tap = feed(all, cut);
            assertThat(tap.events()).as("cut at %d", cut).isEqualTo(6);
            assertThat(tap.usage()).as("cut at %d", cut).isEqualTo(new SseTap.Usage(5L, 2L, 7L, 1L));
        }
    }

    @Test
    void byteByByteWithCrLfLineEndingsAndNoEventLines() {
        String s = "data: {\"type\":\"response.created\",\"response\":{}}\r\n\r\n"
                + ": keep-alive comment\r\n\r\n"
                + "data: {\"type\":\"response.output_text.delta\",\"delta\":\"x\"}\r\n\r\n"
                + "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"usage\":{\"input_tokens\":3,\"output_tokens\":4}}}\r\n\r\n";
        byte[] all = s.getBytes(StandardCharsets.UTF_8);
        SseTap tap = new SseTap();
        for (byte b : all) tap.scan(ByteBuffer.wrap(new byte[] {b}));
        assertThat(tap.events()).isEqualTo(3);
        assertThat(tap.firstSignificant()).isEqualTo("response.output_text.delta");
        assertThat(tap.usage()).isEqualTo(new SseTap.Usage(3L, null, 4L, null));
    }

    @Test
    void bareCarriageReturnsEndLinesToo() {
        String s = "event: response.created\rdata: {\"type\":\"response.created\"}\r\rdata: {\"type\":\"response.output_item.added\"}\r\r";
        SseTap tap = feed(s.getBytes(StandardCharsets.UTF_8));
        assertThat(tap.events()).isEqualTo(2);
    }

    @Test
    void earlyFailureCodeIsRead() {
        var f = FakeUpstream.failedEarly("insufficient_quota", "You exceeded your current quota");
        SseTap tap = feed(stream(f.events()), 10, 100, 150);
        assertThat(tap.failed()).isTrue();
        assertThat(tap.firstSignificant()).isEqualTo("response.failed");
        assertThat(tap.outputBeforeFailure()).isFalse();
        assertThat(tap.failureCode()).isEqualTo("insufficient_quota");
        assertThat(tap.failureMessage()).contains("exceeded");
    }

    @Test
    void usageIsFoundAmongTheWholeResponseAndMalformedDataGivesNone() {
        String completed = "{\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"output\":[{\"type\":\"message\","
                + "\"content\":[{\"usage\":{\"input_tokens\":999}}]}],\"usage\":{\"input_tokens\":120,\"extra\":[1,{\"a\":2}],"
                + "\"input_tokens_details\":{\"cached_tokens\":7,\"other\":1},\"output_tokens\":30.0,"
                + "\"output_tokens_details\":{\"reasoning_tokens\":\"many\"}},\"status\":\"completed\"}}";
        SseTap tap = feed(("event: response.completed\ndata: " + completed + "\n\n").getBytes(StandardCharsets.UTF_8));
        assertThat(tap.completed()).isTrue();
        assertThat(tap.usage()).isEqualTo(new SseTap.Usage(120L, 7L, 30L, null));

        String broken = completed.substring(0, completed.length() - 3) + ",]}";
        SseTap bad = feed(("data: " + broken + "\n\n").getBytes(StandardCharsets.UTF_8));
        assertThat(bad.completed()).isTrue();
        assertThat(bad.usage()).isNull();
    }

    @Test
    void typeReadWithoutTheParserMatchesTheParser() {
        // The quick read of a leading {"type":"..."} must agree with the JSON parser, and leave anything unusual to it.
        for (String json : List.of("{\"type\":\"response.output_text.delta\",\"delta\":\"x\"}",
                "{\"type\":\"response.completed\"", "{\"type\":\"a\\u0062c\"}", "{\"type\":\"\"}",
                "{\"type\":\"caf\u00e9\"}", "{\"type\": \"spaced\"}", "{\"type\":7}", "{\"type\":\"unterminated",
                "{\"item\":{\"type\":\"message\"},\"type\":\"response.output_item.done\"}")) {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            assertThat(SseTap.typeOf(b, 0, b.length)).as(json).isEqualTo(JsonPeek.topLevelString(b, 0, b.length, "type"));
        }
        assertThat(SseTap.typeOf("{\"type\":\"a\\u0062c\"}".getBytes(StandardCharsets.UTF_8), 0, 19)).isEqualTo("abc");
    }

    @Test
    void typeIsFoundEvenWhenItIsNotTheFirstFieldAndTheLineIsLong() {
        String big = "x".repeat(50_000);
        String s = "data: {\"sequence_number\":1,\"item\":{\"type\":\"message\",\"text\":\"" + big + "\"},\"type\":\"response.output_item.done\"}\n\n"
                + "data: {\"response\":{\"output\":[{\"text\":\"" + big + "\"}],\"usage\":{\"input_tokens\":9,\"output_tokens\":8}},\"type\":\"response.completed\"}\n\n";
        SseTap tap = feed(s.getBytes(StandardCharsets.UTF_8), 7, 30_000, 60_000);
        // Both types sit after 50 kB: only an event: line could tell, and there is none (the tap reads a prefix).
        assertThat(tap.events()).isZero();
        // With an event: line the terminal event is kept whole and parsed.
        String withNames = "event: response.output_item.done\n" + s.split("\n\n")[0] + "\n\n"
                + "event: response.completed\n" + s.split("\n\n")[1] + "\n\n";
        SseTap named = feed(withNames.getBytes(StandardCharsets.UTF_8), 1000, 70_000);
        assertThat(named.events()).isEqualTo(2);
        assertThat(named.usage()).isEqualTo(new SseTap.Usage(9L, null, 8L, null));
    }

    @Test
    void scanningLeavesTheBufferUntouched() {
        byte[] all = stream(FakeUpstream.successEvents("same", 1, 1));
        byte[] copy = all.clone();
        ByteBuffer buf = ByteBuffer.wrap(all);
        new SseTap().scan(buf);
        assertThat(buf.position()).isZero();
        assertThat(all).isEqualTo(copy);
    }

    @Test
    void directBuffersLongerThanTheScanWindowReadTheSameAsArrays() {
        // Network buffers are direct; the tap copies them into an 8 KiB window. Lines, \r\n pairs and terminal
        // events that straddle the window's edge (at every offset around it) must read as they do from an array.
        String pad = "x".repeat(3000);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            sb.append("event: response.output_text.delta\r\n")
              .append("data: {\"type\":\"response.output_text.delta\",\"delta\":\"").append(pad).append(i).append("\"}\r\n\r\n");
        }
        sb.append("event: response.completed\r\ndata: {\"type\":\"response.completed\",\"response\":{\"output\":[{\"text\":\"")
          .append(pad.repeat(4)).append("\"}],\"usage\":{\"input_tokens\":11,\"output_tokens\":12}}}\r\n\r\n");
        byte[] all = sb.toString().getBytes(StandardCharsets.UTF_8);
        assertThat(all.length).isGreaterThan(3 * 8 * 1024);
        SseTap fromArray = feed(all);
        assertThat(fromArray.events()).isEqualTo(7);
        assertThat(fromArray.usage()).isEqualTo(new SseTap.Usage(11L, null, 12L, null));
        for (int shift = 0; shift < 40; shift++) {
            ByteBuffer direct = ByteBuffer.allocateDirect(all.length + shift);
            direct.position(shift);
            direct.put(all);
            direct.position(shift);
            SseTap tap = new SseTap();
            tap.scan(direct);
            assertThat(direct.position()).isEqualTo(shift);
            assertThat(tap.events()).as("shift %d", shift).isEqualTo(7);
            assertThat(tap.completed()).as("shift %d", shift).isTrue();
            assertThat(tap.lastType()).isEqualTo("response.completed");
            assertThat(tap.usage()).as("shift %d", shift).isEqualTo(fromArray.usage());
        }
        // split into direct pieces anywhere, the halves of each \r\n included
        for (int cut = 8 * 1024 - 3; cut < 8 * 1024 + 3; cut++) {
            SseTap tap = new SseTap();
            tap.scan(ByteBuffer.allocateDirect(cut).put(all, 0, cut).flip());
            tap.scan(ByteBuffer.allocateDirect(all.length - cut).put(all, cut, all.length - cut).flip());
            assertThat(tap.events()).as("cut %d", cut).isEqualTo(7);
            assertThat(tap.usage()).as("cut %d", cut).isEqualTo(fromArray.usage());
        }
    }
}
