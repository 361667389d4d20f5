package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.io.Content;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A socket request carried over an account's HTTP SSE upstream (an account without WebSocket): the full request goes
 * as one POST through the account's {@link UpstreamDialect} (the same one an HTTP request gets from
 * {@link ResponsesForwarder#upstreamFor}: its wire, model rules, learned parameters and redaction rules), the answer is
 * read in the canonical form that dialect gives back (Responses events, converted from Chat Completions or Anthropic
 * when the account speaks those), each event's {@code data:} becomes one event for the {@link SocketRequest}, and Codex
 * cannot tell the difference. A non-2xx answer is collected and reported as a refusal.
 */
final class SseLeg implements UpstreamLeg, org.eclipse.jetty.client.Response.Listener {
    private static final int ERROR_BODY_MAX = 1024 * 1024;
    private final UpstreamLeg.Listener listener;
    private final UpstreamDialect dialect;
    private final org.eclipse.jetty.client.Request request;
    /** The answer in canonical form (set when its body begins). */
    private Content.Source source;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final StringBuilder data = new StringBuilder();
    private ByteArrayOutputStream errorBody;
    private int status;
    /** The request gave up on this exchange (it moved on or retries): nothing more of it reaches the listener. */
    private volatile boolean abandoned;

    private volatile org.eclipse.jetty.util.thread.Scheduler.Task firstByteTimer;

    private SseLeg(UpstreamLeg.Listener listener, UpstreamDialect dialect, org.eclipse.jetty.client.Request request) {
        this.listener = listener;
        this.dialect = dialect;
        this.request = request;
    }

    /**
     * A leg for {@code in}'s body (a Responses request without {@code type}/{@code generate}/{@code previous_response_id}),
     * sent through {@code dialect}, not yet sent: the caller keeps it first and then calls {@link #start()}, because a
     * fast upstream can answer on another thread before {@code send} returns, and the listener needs its leg for
     * backpressure by then. Throws like {@link UpstreamDialect#newRequest} on an unusable account.
     */
    static SseLeg prepare(UpstreamDialect dialect, Account account, ResponsesForwarder.Incoming in, UpstreamLeg.Listener l) {
        return new SseLeg(l, dialect, dialect.newRequest(account, in, in.body()));
    }

    /** How this leg's account is spoken to (a 400 naming a parameter is learned by a converting one). */
    UpstreamDialect dialect() { return dialect; }

    /**
     * Sends the request; events reach the listener from now on. No answer headers within {@code firstByteMs}
     * ({@code upstream.first_byte_timeout_ms}, as over HTTP) aborts it with a {@link java.util.concurrent.TimeoutException},
     * which the listener hears as {@code onGone}: a hung upstream fails over instead of holding Codex's turn.
     */
    void start(RequestTimers timers, long firstByteMs) {
        if (timers != null && firstByteMs > 0) {
            firstByteTimer = timers.schedule(() -> request.abort(new java.util.concurrent.TimeoutException(
                    "no answer from the upstream within " + firstByteMs + " ms")), firstByteMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        request.send(this);
    }

    private void cancelTimer() {
        var t = firstByteTimer;
        if (t != null) t.cancel();
    }

    @Override public void demand() { /* events are handed over as they are parsed */ }

    @Override
    public void abort(Throwable why) {
        // The rest of this answer (more events, its end) must not be taken for the next attempt's.
        abandoned = true;
        cancelTimer();
        request.abort(why);
    }

    @Override
    public void onHeaders(org.eclipse.jetty.client.Response r) {
        cancelTimer();
        status = r.getStatus();
        if (abandoned) return;
        listener.onHeaders(r.getHeaders()::get);
        if (status < 200 || status >= 300) errorBody = new ByteArrayOutputStream(1024);
    }

    @Override
    public void onContentSource(org.eclipse.jetty.client.Response r, Content.Source src) {
        source = dialect.canonicalAnswer(src);
        pump();
    }

    /** Reads the canonical answer as it comes; events are handed over as they are parsed. */
    private void pump() {
        while (true) {
            if (abandoned) return; // the request was aborted: its rest is not read
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                source.demand(this::pump);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                // A converter failure ends the exchange like a transport failure (onComplete reports it).
                request.abort(chunk.getFailure());
                return;
            }
            try {
                take(chunk.getByteBuffer());
            } finally {
                chunk.release();
            }
            if (chunk.isLast()) return;
        }
    }

    private void take(ByteBuffer buf) {
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
        cancelTimer();
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
