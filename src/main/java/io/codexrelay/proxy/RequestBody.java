package io.codexrelay.proxy;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Reads a request body once, without blocking (the one copy of the read loop): {@link #keep} reads it into one array
 * up to a limit (allocation follows the bytes that arrive, never more than the limit); {@link #drop} reads what is
 * left and throws it away, so that an answer to a refused request reaches a client that is still sending.
 */
final class RequestBody implements Runnable {
    private final Request request;
    private final long max;
    private final Consumer<byte[]> done;
    private final Runnable overLimit;
    private final Consumer<Throwable> failed;
    /** Null when the body is dropped (or has gone over the limit). */
    private byte[] buf;
    private long seen;

    private RequestBody(Request request, long max, byte[] buf, Consumer<byte[]> done, Runnable overLimit,
                        Consumer<Throwable> failed) {
        this.request = request;
        this.max = max;
        this.buf = buf;
        this.done = done;
        this.overLimit = overLimit;
        this.failed = failed;
    }

    /**
     * Reads the whole body into one array and hands it to {@code done}; past {@code max} bytes runs {@code tooLarge}
     * instead (which answers, after dropping the rest). {@code declared}: the Content-Length, -1 if none (a hint for
     * the first buffer only, capped by {@code max}).
     */
    static void keep(Request request, long max, long declared, Consumer<byte[]> done, Runnable tooLarge,
                     Consumer<Throwable> failed) {
        byte[] first = new byte[(int) Math.min(max, declared >= 0 ? declared : 16 * 1024)];
        new RequestBody(request, max, first, done, tooLarge, failed).run();
    }

    /** Reads what is left of the body (up to {@code max} bytes) and drops it, then runs {@code then} (once). */
    static void drop(Request request, long max, Runnable then) {
        new RequestBody(request, max, null, b -> then.run(), then, x -> then.run()).run();
    }

    @Override
    public void run() {
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                request.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                failed.accept(chunk.getFailure());
                return;
            }
            boolean last = chunk.isLast();
            int n = chunk.remaining();
            boolean over = seen + n > max;
            try {
                if (!over && buf != null) {
                    int len = (int) seen;
                    if (len + n > buf.length) {
                        buf = Arrays.copyOf(buf, (int) Math.min(max, Math.max((long) buf.length * 2, len + n)));
                    }
                    chunk.getByteBuffer().get(buf, len, n);
                }
            } finally {
                chunk.release();
            }
            if (over) {
                buf = null;
                overLimit.run();
                return;
            }
            seen += n;
            if (last) {
                done.accept(buf == null ? null : seen == buf.length ? buf : Arrays.copyOf(buf, (int) seen));
                return;
            }
        }
    }
}
