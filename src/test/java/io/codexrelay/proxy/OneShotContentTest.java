package io.codexrelay.proxy;

import org.eclipse.jetty.io.Content;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** An upstream request body that is handed over once and then no longer held. */
class OneShotContentTest {

    @Test
    void theBytesAreReadOnceWholeAndThenLetGo() {
        byte[] body = "{\"model\":\"gpt-5\"}".getBytes(StandardCharsets.UTF_8);
        OneShotContent c = new OneShotContent("application/json", body);
        assertThat(c.getContentType()).isEqualTo("application/json");
        assertThat(c.getLength()).isEqualTo(body.length);
        assertThat(c.holdsBytes()).isTrue();

        Content.Chunk chunk = c.read();
        assertThat(chunk.isLast()).isTrue();
        byte[] got = new byte[chunk.remaining()];
        chunk.getByteBuffer().get(got);
        assertThat(got).isEqualTo(body);
        chunk.release();

        assertThat(c.holdsBytes()).as("handed over: no longer held").isFalse();
        assertThat(c.read()).isSameAs(Content.Chunk.EOF);
        assertThat(c.getLength()).as("the length is still known (Content-Length)").isEqualTo(body.length);
        assertThat(c.rewind()).as("never sent twice").isFalse();
    }

    @Test
    void aFailureBeforeTheReadLetsGoAndIsWhatTheReaderGets() {
        OneShotContent c = new OneShotContent("application/json", new byte[1000]);
        c.fail(new java.io.IOException("upstream gone"));
        assertThat(c.holdsBytes()).isFalse();
        Content.Chunk chunk = c.read();
        assertThat(Content.Chunk.isFailure(chunk)).isTrue();
        assertThat(chunk.getFailure()).hasMessage("upstream gone");
        // a failure after the end changes nothing
        OneShotContent done = new OneShotContent("application/json", new byte[3]);
        done.read().release();
        done.fail(new java.io.IOException("late"));
        assertThat(done.read()).isSameAs(Content.Chunk.EOF);
    }

    @Test
    void demandRunsTheCallbackAndAFailingCallbackFailsTheContent() {
        OneShotContent c = new OneShotContent("text/plain", new byte[] {1, 2, 3});
        AtomicInteger ran = new AtomicInteger();
        c.demand(ran::incrementAndGet);
        assertThat(ran).hasValue(1);
        c.demand(() -> { throw new IllegalStateException("callback broke"); });
        assertThat(Content.Chunk.isFailure(c.read())).isTrue();
    }
}
