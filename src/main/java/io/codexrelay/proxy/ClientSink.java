package io.codexrelay.proxy;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * Where the answer to the client goes (P2C): a status and headers once, then the canonical Responses event stream (or
 * one whole body) chunk by chunk. The transport seam: {@link HttpClientSink} writes an HTTP response (SSE); a WebSocket
 * writer can implement the same three calls later, and an {@link InboundDialect} may wrap a sink to turn the canonical
 * events into its own wire form. Writes complete their callback when the bytes are out (backpressure), and the bytes
 * of {@code buf} are not kept after that.
 */
interface ClientSink {

    void status(int status);

    /** The headers the client will see; writable until the first {@link #write}. */
    HttpFields.Mutable headers();

    /** Writes (and flushes) {@code buf} (may be null: nothing); {@code last} ends the answer. */
    void write(boolean last, ByteBuffer buf, Callback callback);

    /**
     * Calls {@code listener} (once) when the client goes away before the answer has ended; the transport's idle
     * timeout does not end a request by itself (the upstream side decides when a quiet stream is dead).
     */
    void onClientGone(Consumer<Throwable> listener);

    /** A whole JSON answer of the relay's own (errors). */
    default void writeJson(int status, String json, Callback callback) {
        status(status);
        headers().put("Content-Type", "application/json");
        headers().put("Cache-Control", "no-store");
        write(true, ByteBuffer.wrap(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)), callback);
    }
}
