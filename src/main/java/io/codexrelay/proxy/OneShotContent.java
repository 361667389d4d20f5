package io.codexrelay.proxy;

import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.thread.SerializedInvoker;

import java.nio.ByteBuffer;

/**
 * An upstream request's body, sent once, that lets go of its bytes as soon as they are handed to the connection.
 * Jetty's request keeps its content until the exchange ends, which for a streaming answer is when the last event has
 * arrived, minutes later: with Jetty's own byte contents the body (the whole conversation, often hundreds of KB) stayed
 * on the heap all that time, though nothing would send it again (failover builds a new request from the turn's copy,
 * and the turn lets go when the answer commits). Never rewinds: the relay's client follows no redirects and answers no
 * authentication challenges, which are what rewinds a content.
 */
final class OneShotContent implements Request.Content {
    private final String contentType;
    private final long length;
    private final SerializedInvoker invoker = new SerializedInvoker(OneShotContent.class);
    private ByteBuffer bytes;          // guarded by this; null once handed over
    private Content.Chunk terminated;  // guarded by this: EOF once read, or the failure
    private Runnable demand;           // guarded by this

    OneShotContent(String contentType, byte[] body) {
        this.contentType = contentType;
        this.length = body.length;
        this.bytes = ByteBuffer.wrap(body);
    }

    @Override public String getContentType() { return contentType; }

    @Override public long getLength() { return length; }

    @Override
    public Content.Chunk read() {
        ByteBuffer b;
        synchronized (this) {
            if (terminated != null) return terminated;
            b = bytes;
            bytes = null;
            terminated = Content.Chunk.EOF;
        }
        return Content.Chunk.from(b, true);
    }

    @Override
    public void demand(Runnable demandCallback) {
        synchronized (this) {
            if (demand != null) throw new IllegalStateException("demand pending");
            demand = demandCallback;
        }
        invoker.run(this::invokeDemand);
    }

    private void invokeDemand() {
        Runnable r;
        synchronized (this) {
            r = demand;
            demand = null;
        }
        if (r != null) {
            try {
                r.run();
            } catch (Throwable x) {
                fail(x);
            }
        }
    }

    @Override
    public void fail(Throwable failure) {
        synchronized (this) {
            if (terminated != null) return; // read to its end already, or failed
            terminated = Content.Chunk.from(failure);
            bytes = null;
        }
    }

    @Override public boolean rewind() { return false; }

    /** Whether the body's bytes are still held (before the first read and without a failure); for tests. */
    synchronized boolean holdsBytes() { return bytes != null; }
}
