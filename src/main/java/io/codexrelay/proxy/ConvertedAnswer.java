package io.codexrelay.proxy;

import io.codexrelay.convert.SseFrames;
import io.codexrelay.convert.StreamConverter;
import org.eclipse.jetty.io.Content;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * An upstream's SSE answer in another dialect, read as the canonical (Responses) SSE the attempt, the gate and Codex
 * expect: each upstream chunk is decoded (UTF-8 sequences split across chunks are kept for the next), split into
 * events ({@link SseFrames.Reader}) and fed to the stream converter; what it writes is this source's next chunk. Pull
 * driven like the source it wraps: nothing is read ahead, so backpressure from Codex still reaches the upstream.
 */
final class ConvertedAnswer implements Content.Source {
    private final Content.Source upstream;
    private final StreamConverter converter;
    private final SseFrames.Reader reader;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final StringBuilder produced = new StringBuilder(512);
    /** Bytes of a UTF-8 sequence cut by the chunk boundary, kept for the next chunk. */
    private ByteBuffer carry = ByteBuffer.allocate(0);
    private boolean ended;

    ConvertedAnswer(Content.Source upstream, StreamConverter converter) {
        this.upstream = upstream;
        this.converter = converter;
        this.reader = new SseFrames.Reader((event, data) ->
                converter.onEvent(event, data, (name, json) -> produced.append(SseFrames.frame(name, json))));
    }

    @Override
    public Content.Chunk read() {
        if (ended) return Content.Chunk.EOF;
        while (true) {
            Content.Chunk c = upstream.read();
            if (c == null) return null;
            if (Content.Chunk.isFailure(c)) return c;
            boolean last = c.isLast();
            try {
                decode(c.getByteBuffer(), last);
            } finally {
                c.release();
            }
            if (last) {
                reader.end();
                converter.onEnd((name, json) -> produced.append(SseFrames.frame(name, json)));
                ended = true;
                return Content.Chunk.from(take(), true);
            }
            if (produced.length() > 0) return Content.Chunk.from(take(), false);
            // Nothing complete yet (an event split across chunks): read on.
        }
    }

    private void decode(ByteBuffer in, boolean last) {
        ByteBuffer all = in;
        if (carry.hasRemaining()) {
            all = ByteBuffer.allocate(carry.remaining() + in.remaining());
            all.put(carry).put(in).flip();
        }
        CharBuffer out = CharBuffer.allocate((int) (all.remaining() * 1.1) + 8);
        decoder.decode(all, out, last);
        if (last) decoder.flush(out);
        out.flip();
        reader.feed(out);
        carry = all.hasRemaining() ? ByteBuffer.allocate(all.remaining()).put(all).flip() : ByteBuffer.allocate(0);
    }

    private ByteBuffer take() {
        ByteBuffer b = ByteBuffer.wrap(produced.toString().getBytes(StandardCharsets.UTF_8));
        produced.setLength(0);
        return b;
    }

    @Override public void demand(Runnable demandCallback) { upstream.demand(demandCallback); }

    @Override public void fail(Throwable failure) { upstream.fail(failure); }

    @Override public void fail(Throwable failure, boolean last) { upstream.fail(failure, last); }

    @Override public long getLength() { return -1; }
}
