package io.codexrelay.proxy;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.util.thread.Invocable;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * The stream gate of one 2xx answer: hold, then commit, then pass through. While an SSE answer's first events are
 * only {@code response.created} / {@code response.in_progress} they are held (copied once, into a small buffer) so
 * that the attempt can still fail over; the first other event decides. After the commit the held bytes go out, then
 * every chunk is written (and so flushed) as it arrives and the next one is read only when that write completed:
 * backpressure from the client reaches the upstream, nothing else is buffered, no thread waits. The {@link SseTap}
 * reads usage and terminal errors from the same buffers without copying them.
 */
final class StreamGate {
    /** Reads the events of an SSE answer; null for a 2xx answer that is not an event stream (passed through as is). */
    private final SseTap tap;
    private final ByteArrayOutputStream held;

    private StreamGate(SseTap tap) {
        this.tap = tap;
        this.held = tap == null ? null : new ByteArrayOutputStream(1024);
    }

    /** A gate that holds an event stream's first events. */
    static StreamGate events() { return new StreamGate(new SseTap()); }

    /** A gate for a body that is not an event stream: nothing to hold, commit at once. */
    static StreamGate passThrough() { return new StreamGate(null); }

    /** The tap on this answer's events (null when it is not an event stream). */
    SseTap tap() { return tap; }

    /**
     * Holds one chunk read before the commit (the caller still owns and releases it). Returns the first significant
     * event's type once one has arrived ({@link SseTap#FAILED} among them), else null: keep holding.
     */
    String hold(ByteBuffer buf) {
        tap.scan(buf);
        copyInto(held, buf, buf.remaining());
        return tap.firstSignificant();
    }

    /** What was held so far. */
    byte[] heldBytes() { return held == null ? new byte[0] : held.toByteArray(); }

    /** What happens around the pass-through; called on the threads that complete reads and writes. */
    interface Ends {
        /** The upstream's last bytes were read; called before they go to the client (once the exchange is over). */
        void upstreamEnded();

        /** A write to the client failed: the client is gone. */
        void clientFailed(Throwable failure);

        /** The answer ended: completely (null), because the client left, or because the upstream failed. */
        void ended(Throwable failure);
    }

    /**
     * Commits: the held bytes (may be empty) go to {@code client}, then the rest of {@code source} chunk by chunk.
     * Status and headers have been set by the caller. {@code lastAlready}: the upstream has already ended.
     */
    void open(ClientSink client, byte[] heldBytes, boolean lastAlready, Content.Source source, Ends ends) {
        if (heldBytes == null || heldBytes.length == 0) {
            if (lastAlready) client.write(true, null, Callback.from(() -> ends.ended(null), ends::ended));
            else passRest(client, source, ends);
            return;
        }
        client.write(lastAlready, ByteBuffer.wrap(heldBytes), Callback.from(Invocable.InvocationType.NON_BLOCKING,
                () -> {
                    if (lastAlready) ends.ended(null);
                    else passRest(client, source, ends);
                }, ends::ended));
    }

    private void passRest(ClientSink client, Content.Source source, Ends ends) {
        new PassThrough(client, source, ends).iterate();
    }

    /**
     * The pass-through after the commit: read a chunk, let the tap scan it, write it to the client, and read the next
     * only when that write completed. Jetty's {@code Content.copy} does the same, but its demand callback is a plain
     * (blocking) task, which the client hands to a pool thread on every chunk; here the demand and the write callback
     * are non-blocking, so a chunk goes from the upstream's selector to Codex's socket on one thread.
     */
    private final class PassThrough extends IteratingCallback {
        private final ClientSink client;
        private final Content.Source source;
        private final Ends ends;
        private final Runnable onAvailable = Invocable.from(Invocable.InvocationType.NON_BLOCKING, this::iterate);
        /** The chunk being written (released when its write completed). */
        private Content.Chunk writing;
        private boolean lastWritten;

        PassThrough(ClientSink client, Content.Source source, Ends ends) {
            this.client = client;
            this.source = source;
            this.ends = ends;
        }

        @Override
        protected Action process() throws Throwable {
            if (writing != null) {
                writing.release();
                writing = null;
            }
            if (lastWritten) return Action.SUCCEEDED;
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                source.demand(onAvailable);
                return Action.IDLE;
            }
            if (Content.Chunk.isFailure(chunk)) throw chunk.getFailure();
            if (tap != null && chunk.hasRemaining()) tap.scan(chunk.getByteBuffer());
            boolean last = chunk.isLast();
            writing = chunk;
            if (last) {
                lastWritten = true;
                ends.upstreamEnded(); // before the client sees the end, so its next request finds the permit free
            }
            client.write(last, chunk.getByteBuffer(), clientWrite);
            return Action.SCHEDULED;
        }

        /** The write to the client: its failure means the client is gone. */
        private final Callback clientWrite = new Callback() {
            @Override public void succeeded() { PassThrough.this.succeeded(); }

            @Override public void failed(Throwable x) {
                ends.clientFailed(x);
                PassThrough.this.failed(x);
            }

            @Override public InvocationType getInvocationType() { return InvocationType.NON_BLOCKING; }
        };

        @Override
        protected void onCompleteSuccess() { ends.ended(null); }

        @Override
        protected void onFailure(Throwable cause) {
            source.fail(cause);
            ends.ended(cause);
        }

        /** After {@link #onFailure}, once a write in progress has completed: its chunk can go back to the pool. */
        @Override
        protected void onCompleteFailure(Throwable cause) {
            Content.Chunk c = writing;
            writing = null;
            if (c != null) c.release();
        }

        @Override
        public InvocationType getInvocationType() { return InvocationType.NON_BLOCKING; }
    }

    static void copyInto(ByteArrayOutputStream out, ByteBuffer buf, int n) {
        if (buf.hasArray()) {
            out.write(buf.array(), buf.arrayOffset() + buf.position(), n);
        } else {
            byte[] tmp = new byte[n];
            buf.duplicate().get(tmp);
            out.write(tmp, 0, n);
        }
    }
}
