package io.codexrelay.proxy;

import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * One upstream WebSocket to one account, bound to one Codex socket (its {@link DownstreamSocket}): it carries that
 * socket's requests in order, one at a time, and so keeps the upstream's anchors ({@code previous_response_id}) valid
 * for as long as it stays open. Frames are read on demand: the next one only after the last went out to Codex.
 */
// Public because Jetty binds the listener methods through method handles.
public final class UpstreamSocketLink implements Session.Listener, UpstreamLeg {
    final String account;
    private final Consumer<UpstreamSocketLink> onClosed;
    private volatile Session session;
    private volatile UpstreamLeg.Listener current;
    private volatile boolean closed;

    UpstreamSocketLink(String account, Consumer<UpstreamSocketLink> onClosed) {
        this.account = account;
        this.onClosed = onClosed;
    }

    boolean isOpen() {
        Session s = session;
        return !closed && s != null && s.isOpen();
    }

    /** Sends one request frame; its events go to {@code listener} until the next {@link #send}. */
    void send(String json, UpstreamLeg.Listener listener) {
        current = listener;
        Session s = session;
        if (s == null || closed) {
            listener.onGone(new IOException("the upstream socket is closed"));
            return;
        }
        s.sendText(json, Callback.from(() -> { }, listener::onGone));
    }

    /** The request that was running is over: later frames (none expected) are dropped. */
    void release(UpstreamLeg.Listener listener) {
        if (current == listener) current = null;
    }

    @Override
    public void demand() {
        Session s = session;
        if (s != null && !closed) s.demand();
    }

    @Override
    public void abort(Throwable why) {
        close(1000, "codex-relay: request moved");
    }

    void close(int code, String reason) {
        Session s = session;
        closed = true;
        if (s != null && s.isOpen()) s.close(code, reason, Callback.NOOP);
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        session.demand();
    }

    @Override
    public void onWebSocketText(String text) {
        UpstreamLeg.Listener l = current;
        if (l != null) l.onEvent(text);
        else demand();
    }

    @Override
    public void onWebSocketBinary(java.nio.ByteBuffer payload, Callback callback) {
        callback.succeed(); // the Responses API sends no binary frames; never pass one to Codex (it fails the turn)
        demand();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        // An EOF, as for an HTTP connection the upstream closed: before any event the failover policy gives the same
        // account one more try on a new socket (a bound socket may have been dropped while it sat idle).
        gone(new EofException("upstream socket closed (" + statusCode + (reason == null || reason.isEmpty() ? "" : " " + reason) + ")"));
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        gone(cause);
    }

    private void gone(Throwable cause) {
        closed = true;
        UpstreamLeg.Listener l = current;
        current = null;
        if (l != null) l.onGone(cause);
        onClosed.accept(this);
    }
}
