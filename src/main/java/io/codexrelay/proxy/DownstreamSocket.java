package io.codexrelay.proxy;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One Codex socket: the transport's sink for every request Codex sends on it (events go out as text frames, the relay's
 * own answers as error frames with a status), the requests run one at a time in order ({@link SocketRequest}), the
 * {@link AnchorBook} that lets an anchored request move to another account, and the upstream socket it is bound to
 * now (one account at a time). Codex never sends a close frame: a dropped connection (1006) is its normal end.
 */
// Public because Jetty binds the listener methods through method handles.
public final class DownstreamSocket implements Session.Listener.AutoDemanding {
    private static final Logger log = LoggerFactory.getLogger(DownstreamSocket.class);

    final WebSocketDoor door;
    final String path;
    /** The upgrade request's headers (Codex's session headers, user agent, beta features ...). */
    final HttpFields handshake;
    /** The Codex thread (session) key: thread affinity and the request log. */
    final String sessionId;
    final AnchorBook book = new AnchorBook();
    private volatile Session session;
    private final Deque<String> waiting = new ArrayDeque<>(); // guarded by this
    private SocketRequest running;                             // guarded by this
    private UpstreamSocketLink link;                           // guarded by this
    private volatile boolean closed;

    DownstreamSocket(WebSocketDoor door, String path, HttpFields handshake, String sessionId) {
        this.door = door;
        this.path = path;
        this.handshake = handshake;
        this.sessionId = sessionId;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        door.opened(this);
    }

    @Override
    public void onWebSocketText(String text) {
        synchronized (this) {
            waiting.add(text);
            if (running != null) return; // Codex sends one at a time; a second one waits its turn
        }
        runNext();
    }

    private void runNext() {
        SocketRequest r;
        synchronized (this) {
            if (running != null || closed) return;
            String next = waiting.poll();
            if (next == null) return;
            r = new SocketRequest(this, next);
            running = r;
        }
        r.start();
    }

    /** The request has ended (its permit is on its way back): the next one may run. */
    void ended(SocketRequest r) {
        synchronized (this) {
            if (running == r) running = null;
        }
        runNext();
    }

    boolean busy() {
        synchronized (this) {
            return running != null;
        }
    }

    /** Sends one text frame to Codex; {@code then} runs once it is out (backpressure), also when it failed. */
    void send(String json, Runnable then) {
        Session s = session;
        if (s == null || closed) {
            then.run();
            return;
        }
        s.sendText(json, Callback.from(then, x -> then.run()));
    }

    /** The upstream socket to {@code account} this socket holds, if open; a socket to another account is closed. */
    synchronized UpstreamSocketLink linkFor(String account) {
        if (link != null && (!link.isOpen() || !link.account.equals(account))) {
            dropLink();
        }
        return link;
    }

    synchronized void bind(UpstreamSocketLink l) {
        if (link != null && link != l) dropLink();
        link = l;
        if (closed) dropLink();
    }

    /** Closes the bound upstream socket (its anchors go with it). */
    synchronized void dropLink() {
        UpstreamSocketLink l = link;
        link = null;
        if (l != null) {
            book.linkClosed(l);
            l.close(1000, "codex-relay: done with this socket");
        }
    }

    /** The upstream closed the bound socket by itself. */
    void linkClosed(UpstreamSocketLink l) {
        synchronized (this) {
            if (link == l) link = null;
        }
        book.linkClosed(l);
    }

    void close(int code, String reason) {
        Session s = session;
        if (s != null && s.isOpen()) s.close(code, reason, Callback.NOOP);
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        gone(null);
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        log.debug("Codex socket failed: {}", cause.toString());
        gone(cause);
    }

    private void gone(Throwable cause) {
        SocketRequest r;
        synchronized (this) {
            if (closed) return;
            closed = true;
            waiting.clear();
            r = running;
        }
        if (r != null) r.clientGone(cause);
        synchronized (this) {
            dropLink();
        }
        door.closed(this);
    }
}
