package io.codexrelay.proxy;

import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One upstream WebSocket to one account, bound to one Codex socket (its {@link DownstreamSocket}): it carries that
 * socket's requests in order, one at a time, and so keeps the upstream's anchors ({@code previous_response_id}) valid
 * for as long as it stays open. Frames are read on demand: the next one only after the last went out to Codex.
 * <p>
 * A socket that goes away is reported to the request it carries exactly once, however it is noticed (the send's own
 * failure, the close, an error, or a link already closed when the request comes), and always as a closed connection:
 * the failover policy's one retry on the same account then applies whichever way the drop showed first. Two reports of
 * one drop (the send failing on one thread while the close arrives on another) used to count as two failures of the
 * request and moved it to the next account.
 */
// Public because Jetty binds the listener methods through method handles.
public final class UpstreamSocketLink implements Session.Listener, UpstreamLeg {
    final String account;
    private final Consumer<UpstreamSocketLink> onClosed;
    private volatile Session session;
    /** The request this socket carries now; taken (set to null) by whoever reports the socket gone to it. */
    private final AtomicReference<UpstreamLeg.Listener> current = new AtomicReference<>();
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
        current.set(listener);
        Session s = session;
        if (s == null || closed) {
            // Closed between the bound socket being chosen and this send: the drop, noticed here first.
            goneFor(listener, new EofException("the upstream socket is closed"));
            return;
        }
        s.sendText(json, Callback.from(() -> { }, x -> goneFor(listener, x)));
    }

    /** The request that was running is over: later frames (none expected) are dropped. */
    void release(UpstreamLeg.Listener listener) {
        current.compareAndSet(listener, null);
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
        UpstreamLeg.Listener l = current.get();
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
        UpstreamLeg.Listener l = current.getAndSet(null);
        if (l != null) l.onGone(asClosed(cause));
        onClosed.accept(this);
    }

    /** Reports the socket gone to {@code listener} if it is still the request carried and no one reported it yet. */
    private void goneFor(UpstreamLeg.Listener listener, Throwable cause) {
        closed = true;
        if (current.compareAndSet(listener, null)) listener.onGone(asClosed(cause));
    }

    /**
     * A failure of this socket as the failover policy should see it: one the classifier names (timeout, TLS, closed)
     * stays as it is, as does Jetty's idle timeout; any other (a reset connection, a broken pipe, Jetty's "session closed") means the socket was
     * dropped, i.e. a closed connection.
     */
    static Throwable asClosed(Throwable cause) {
        if (cause == null) return new EofException("upstream socket closed");
        if (!FailureClassifier.ofTransport(cause).outcome().startsWith("error ")) return cause;
        // The socket said nothing for too long: not dropped, and a new socket would likely wait the same way.
        if (cause instanceof org.eclipse.jetty.websocket.api.exceptions.WebSocketTimeoutException) return cause;
        EofException eof = new EofException("upstream socket dropped: " + cause);
        eof.initCause(cause);
        return eof;
    }
}
