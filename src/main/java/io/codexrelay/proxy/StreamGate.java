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
     * Commits: the held bytes (may be empty) go to {@code client}, then the rest of {@code source}.
     * Status and headers have been set by the caller. {@code lastAlready}: the upstream has already ended.
     */
    void open(ClientSink client, byte[] heldBytes, boolean lastAlready, Content.Source source, Ends ends) {
        if (lastAlready) {
            ByteBuffer held = heldBytes == null || heldBytes.length == 0 ? null : ByteBuffer.wrap(heldBytes);
            client.write(true, held, Callback.from(Invocable.InvocationType.NON_BLOCKING, () -> ends.ended(null), ends::ended));
            return;
        }
        new PassThrough(client, source, ends, heldBytes).iterate();
    }

    /**
     * The pass-through after the commit: read what has arrived, let the tap scan it, write it to the client, and read
     * again only when that write completed. Jetty's {@code Content.copy} does the same chunk by chunk, but its demand
     * callback is a plain (blocking) task, which the client hands to a pool thread on every chunk; here the demand and
     * the write callback are non-blocking, so bytes go from the upstream's selector to Codex's socket on one thread.
     *
     * <p>Every event of an SSE answer is an HTTP chunk of its own, and one read from the upstream often brings several.
     * The chunks already read go out in one write (as nginx does with what one read brought), and the bytes held before
     * the commit go out with them: a chunk is never kept waiting for one that has not arrived, so nothing is delayed,
     * but an answer costs two or three writes to Codex instead of one per event. A single chunk is written as it is,
     * without a copy.
     */
    private final class PassThrough extends IteratingCallback {
        /** The most gathered into one write. */
        private static final int GATHER_MAX = 64 * 1024;
        private final ClientSink client;
        private final Content.Source source;
        private final Ends ends;
        private final Runnable onAvailable = Invocable.from(Invocable.InvocationType.NON_BLOCKING, this::iterate);
        /** The chunk being written as it is (released when its write completed). */
        private Content.Chunk writing;
        /** Bytes gathered from several chunks (or held before the commit) for the next write; null when none. */
        private byte[] gathered;
        private int gatheredLen;
        /** The upstream failed after bytes were gathered: they go out first, then the failure ends the answer. */
        private Throwable failAfterWrite;
        private boolean lastWritten;

        PassThrough(ClientSink client, Content.Source source, Ends ends, byte[] held) {
            this.client = client;
            this.source = source;
            this.ends = ends;
            if (held != null && held.length > 0) {
                gathered = held;
                gatheredLen = held.length;
            }
        }

        @Override
        protected Action process() throws Throwable {
            if (writing != null) {
                writing.release();
                writing = null;
            }
            if (lastWritten) return Action.SUCCEEDED;
            if (failAfterWrite != null) throw failAfterWrite;
            Content.Chunk single = null; // the only chunk read so far, when nothing is gathered
            boolean last = false;
            while (!last && gatheredLen < GATHER_MAX) {
                Content.Chunk chunk = source.read();
                if (chunk == null) break;
                if (Content.Chunk.isFailure(chunk)) {
                    if (single == null && gatheredLen == 0) throw chunk.getFailure();
                    failAfterWrite = chunk.getFailure();
                    break;
                }
                if (tap != null && chunk.hasRemaining()) tap.scan(chunk.getByteBuffer());
                last = chunk.isLast();
                if (single == null && gatheredLen == 0) {
                    single = chunk;
                    continue;
                }
                if (chunk.hasRemaining()) {
                    if (single != null) {
                        gather(single.getByteBuffer());
                        single.release();
                        single = null;
                    }
                    gather(chunk.getByteBuffer());
                }
                chunk.release();
            }
            ByteBuffer out;
            if (single != null) {
                writing = single;
                out = single.getByteBuffer();
            } else if (gatheredLen > 0) {
                out = ByteBuffer.wrap(gathered, 0, gatheredLen);
                gathered = null; // the write owns these bytes until it completes
                gatheredLen = 0;
            } else if (last) {
                out = null;
            } else {
                source.demand(onAvailable);
                return Action.IDLE;
            }
            if (last) {
                lastWritten = true;
                ends.upstreamEnded(); // before the client sees the end, so its next request finds the permit free
            }
            client.write(last, out, clientWrite);
            return Action.SCHEDULED;
        }

        private void gather(ByteBuffer buf) {
            int n = buf.remaining();
            if (gathered == null) {
                gathered = new byte[Math.max(2048, n * 2)];
            } else if (gatheredLen + n > gathered.length) {
                gathered = java.util.Arrays.copyOf(gathered, Math.max(gathered.length * 2, gatheredLen + n));
            }
            buf.duplicate().get(gathered, gatheredLen, n);
            gatheredLen += n;
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
