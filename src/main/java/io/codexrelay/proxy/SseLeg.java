package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpFields;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A socket request carried over an account's HTTP SSE upstream (an account without WebSocket): the full request goes
 * as one POST, each SSE event's {@code data:} becomes one event for the {@link SocketRequest}, and Codex cannot tell the
 * difference. A non-2xx answer is collected and reported as a refusal.
 */
final class SseLeg implements UpstreamLeg, org.eclipse.jetty.client.Response.Listener {
    private static final int ERROR_BODY_MAX = 1024 * 1024;
    private final UpstreamLeg.Listener listener;
    private final org.eclipse.jetty.client.Request request;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final StringBuilder data = new StringBuilder();
    private ByteArrayOutputStream errorBody;
    private int status;
    /** The request gave up on this exchange (it moved on or retries): nothing more of it reaches the listener. */
    private volatile boolean abandoned;

    private SseLeg(UpstreamLeg.Listener listener, org.eclipse.jetty.client.Request request) {
        this.listener = listener;
        this.request = request;
    }

    /**
     * A leg for {@code body} (a Responses request without {@code type}/{@code generate}/{@code previous_response_id}),
     * not yet sent: the caller keeps it first and then calls {@link #start()}, because a fast upstream can answer on
     * another thread before {@code send} returns, and the listener needs its leg for backpressure by then.
     */
    static SseLeg prepare(UpstreamClient upstream, Account account, HttpFields headers, byte[] body, UpstreamLeg.Listener l) {
        HttpFields.Mutable h = HttpFields.build(headers);
        h.put("content-type", "application/json");
        h.put("accept", "text/event-stream");
        return new SseLeg(l, upstream.newRequest(account, Route.RESPONSES, null, h, body));
    }

    /** Sends the request; events reach the listener from now on. */
    void start() {
        request.send(this);
    }

    @Override public void demand() { /* events are handed over as they are parsed */ }

    @Override
    public void abort(Throwable why) {
        // The rest of this answer (more events, its end) must not be taken for the next attempt's.
        abandoned = true;
        request.abort(why);
    }

    @Override
    public void onHeaders(org.eclipse.jetty.client.Response r) {
        status = r.getStatus();
        if (abandoned) return;
        listener.onHeaders(r.getHeaders()::get);
        if (status < 200 || status >= 300) errorBody = new ByteArrayOutputStream(1024);
    }

    @Override
    public void onContent(org.eclipse.jetty.client.Response r, ByteBuffer buf) {
        if (errorBody != null) {
            int n = Math.min(buf.remaining(), ERROR_BODY_MAX - errorBody.size());
            if (n > 0) StreamGate.copyInto(errorBody, buf, n);
            return;
        }
        while (buf.hasRemaining()) {
            byte b = buf.get();
            if (b == '\n') lineEnded();
            else if (b != '\r') line.write(b);
        }
    }

    private void lineEnded() {
        String l = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (l.isEmpty()) {
            if (data.length() > 0) {
                String ev = data.toString();
                data.setLength(0);
                if (!abandoned) listener.onEvent(ev);
            }
        } else if (l.startsWith("data:")) {
            if (data.length() > 0) data.append('\n');
            data.append(l.startsWith("data: ") ? l.substring(6) : l.substring(5));
        }
    }

    @Override
    public void onComplete(Result result) {
        if (abandoned) return;
        if (result.isFailed()) {
            listener.onGone(result.getFailure());
        } else if (errorBody != null) {
            var h = result.getResponse().getHeaders();
            listener.onRefused(status, h::get, errorBody.toByteArray());
        } else {
            if (data.length() > 0) {
                String ev = data.toString();
                data.setLength(0);
                listener.onEvent(ev);
            }
            listener.onGone(null);
        }
    }
}
