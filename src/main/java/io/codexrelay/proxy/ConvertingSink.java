package io.codexrelay.proxy;

import io.codexrelay.convert.SseFrames;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.Callback;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * A {@link ClientSink} that turns the canonical answer into another dialect's on its way to the client (the P2C half of
 * an {@link InboundDialect}). Three kinds of answer arrive here:
 * <ul>
 *   <li>a 2xx Responses event stream: split into events ({@link SseFrames.Reader}; chunks may end anywhere, bytes are
 *       decoded only up to the last newline so a character split across chunks stays whole) and handed to
 *       {@link #onEvent}; what the subclass {@link #emit}s is written as one chunk per upstream chunk, so backpressure
 *       still reaches the upstream;</li>
 *   <li>an upstream error answer (non-2xx, written whole): kept and converted by {@link #errorReply} at its end;</li>
 *   <li>the relay's own error ({@link #writeJson}): converted by {@link #errorReply} too, so the client reads the same
 *       words as Codex ("try again at 14:05") in its own error shape.</li>
 * </ul>
 * One instance per request; the transport calls it one write at a time.
 */
abstract class ConvertingSink implements ClientSink {

    /** A whole JSON answer in the client's dialect. */
    record Reply(int status, String json) {}

    private final ClientSink client;
    private int status = 200;
    private ByteArrayOutputStream errorBody;
    /** Bytes after the last newline of the chunks so far (part of a line, maybe part of a character). */
    private byte[] carry = new byte[0];
    private final SseFrames.Reader reader = new SseFrames.Reader(this::onEvent);
    private final StringBuilder out = new StringBuilder(512);
    private boolean headersFixed;

    ConvertingSink(ClientSink client) {
        this.client = client;
    }

    /** One canonical (Responses) event of a 2xx answer. */
    abstract void onEvent(String event, String data);

    /** The canonical stream ended (completely or cut); a streaming subclass emits its last events here. */
    abstract void onStreamEnd();

    /** Whether the client asked for a stream; if not, {@link #wholeAnswer} gives the one JSON answer at the end. */
    abstract boolean clientStreams();

    /** The one JSON answer of a client that did not ask for a stream, once the stream ended. */
    abstract Reply wholeAnswer();

    /** An error answer (the upstream's or the relay's, usually {@code {"error":{...}}}) in the client's dialect. */
    abstract Reply errorReply(int status, String body);

    /** The {@code Content-Type} of this dialect's event stream. */
    String streamContentType() { return "text/event-stream"; }

    /** Writes one event of the client's dialect (framed as SSE). */
    final void emit(String event, String data) {
        out.append(SseFrames.frame(event, data));
    }

    @Override public void status(int status) { this.status = status; }

    @Override public HttpFields.Mutable headers() { return client.headers(); }

    @Override public void onClientGone(Consumer<Throwable> listener) { client.onClientGone(listener); }

    @Override
    public void writeJson(int status, String json, Callback callback) {
        Reply r = errorReply(status, json);
        client.writeJson(r.status(), r.json(), callback);
    }

    @Override
    public void write(boolean last, ByteBuffer buf, Callback callback) {
        if (status / 100 != 2) {
            if (errorBody == null) errorBody = new ByteArrayOutputStream(1024);
            if (buf != null && buf.hasRemaining()) StreamGate.copyInto(errorBody, buf, buf.remaining());
            if (!last) {
                callback.succeeded();
                return;
            }
            writeJson(status, errorBody.toString(StandardCharsets.UTF_8), callback);
            return;
        }
        if (buf != null && buf.hasRemaining()) feed(buf);
        if (last) {
            if (carry.length > 0) reader.feed(new String(carry, StandardCharsets.UTF_8));
            carry = new byte[0];
            reader.end();
            onStreamEnd();
        }
        if (!clientStreams()) {
            out.setLength(0);
            if (!last) {
                callback.succeeded();
                return;
            }
            Reply r = wholeAnswer();
            client.writeJson(r.status(), r.json(), callback);
            return;
        }
        if (out.isEmpty() && !last) {
            callback.succeeded(); // nothing for the client yet (e.g. an event the dialect has no word for)
            return;
        }
        fixStreamHeaders();
        ByteBuffer bytes = out.isEmpty() ? null : ByteBuffer.wrap(out.toString().getBytes(StandardCharsets.UTF_8));
        out.setLength(0);
        client.write(last, bytes, callback);
    }

    /** Decodes whole lines only; the bytes after the last newline wait for the next chunk. */
    private void feed(ByteBuffer buf) {
        int n = buf.remaining();
        byte[] all = new byte[carry.length + n];
        System.arraycopy(carry, 0, all, 0, carry.length);
        buf.duplicate().get(all, carry.length, n);
        int lastNl = -1;
        for (int i = all.length - 1; i >= 0; i--) {
            if (all[i] == '\n' || all[i] == '\r') {
                lastNl = i;
                break;
            }
        }
        if (lastNl < 0) {
            carry = all;
            return;
        }
        reader.feed(new String(all, 0, lastNl + 1, StandardCharsets.UTF_8));
        carry = java.util.Arrays.copyOfRange(all, lastNl + 1, all.length);
    }

    /** The upstream's headers were copied for Codex; the body is now another format. */
    private void fixStreamHeaders() {
        if (headersFixed) return;
        headersFixed = true;
        HttpFields.Mutable h = client.headers();
        h.remove(HttpHeader.CONTENT_LENGTH);
        h.remove(HttpHeader.CONTENT_ENCODING);
        h.put(HttpHeader.CONTENT_TYPE, streamContentType());
        h.put(HttpHeader.CACHE_CONTROL, "no-cache");
    }
}
