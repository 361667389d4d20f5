package io.codexrelay.proxy;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.WebSocketTimeoutException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How an upstream socket's drop reaches the request it carries: once, however many ways it is noticed, and as a closed
 * connection (what the failover policy retries once on the same account). Two reports of one drop once moved a
 * request to the next account after its same-account retry had started (SocketFailoverTest, under load).
 */
class UpstreamSocketLinkTest {

    /** Records what the link reports. */
    private static final class Recorder implements UpstreamLeg.Listener {
        final List<Throwable> gone = new CopyOnWriteArrayList<>();
        @Override public void onEvent(String json) { }
        @Override public void onRefused(int status, Function<String, String> headers, byte[] body) { }
        @Override public void onGone(Throwable cause) { gone.add(cause); }
    }

    /** An open Jetty session that keeps the last send's callback, so a test decides how the send ends. */
    private static Session openSession(AtomicReference<Callback> lastSend) {
        return (Session) Proxy.newProxyInstance(Session.class.getClassLoader(), new Class<?>[] {Session.class}, (p, m, a) -> {
            switch (m.getName()) {
                case "sendText" -> lastSend.set((Callback) a[1]);
                case "isOpen" -> { return true; }
                case "hashCode" -> { return System.identityHashCode(p); }
                case "equals" -> { return p == a[0]; }
                case "toString" -> { return "test session"; }
                default -> { }
            }
            Class<?> t = m.getReturnType();
            if (t == boolean.class) return Boolean.FALSE;
            if (t == long.class) return Long.valueOf(0);
            if (t == int.class) return Integer.valueOf(0);
            return null;
        });
    }

    private static String outcome(Throwable t) { return FailureClassifier.ofTransport(t).outcome(); }

    @Test
    void aFailedSendAndTheCloseThatFollowsAreOneDropReportedAsAClosedConnection() {
        AtomicReference<Callback> send = new AtomicReference<>();
        List<UpstreamSocketLink> closedLinks = new CopyOnWriteArrayList<>();
        UpstreamSocketLink link = new UpstreamSocketLink("A", closedLinks::add);
        link.onWebSocketOpen(openSession(send));
        Recorder r = new Recorder();
        link.send("{}", r);

        send.get().fail(new IOException("Broken pipe"));
        link.onWebSocketError(new IOException("Connection reset by peer"));
        link.onWebSocketClose(1006, "Disconnected");

        assertThat(r.gone).hasSize(1);
        assertThat(outcome(r.gone.get(0))).isEqualTo(FailoverPolicy.CONNECTION_CLOSED);
        assertThat(link.isOpen()).isFalse();
        assertThat(closedLinks).contains(link);
    }

    @Test
    void aCloseNoticedBeforeTheSendFailsIsReportedOnceToo() {
        AtomicReference<Callback> send = new AtomicReference<>();
        UpstreamSocketLink link = new UpstreamSocketLink("A", l -> { });
        link.onWebSocketOpen(openSession(send));
        Recorder r = new Recorder();
        link.send("{}", r);

        link.onWebSocketError(new IOException("Connection reset by peer"));
        send.get().fail(new IOException("Broken pipe"));

        assertThat(r.gone).hasSize(1);
        assertThat(outcome(r.gone.get(0))).isEqualTo(FailoverPolicy.CONNECTION_CLOSED);
    }

    @Test
    void aRequestSentOnALinkThatHasJustClosedHearsAClosedConnection() {
        UpstreamSocketLink link = new UpstreamSocketLink("A", l -> { });
        link.onWebSocketOpen(openSession(new AtomicReference<>()));
        link.onWebSocketClose(1006, "Disconnected");
        Recorder r = new Recorder();
        link.send("{}", r);
        assertThat(r.gone).singleElement().satisfies(t -> assertThat(outcome(t)).isEqualTo(FailoverPolicy.CONNECTION_CLOSED));
    }

    @Test
    void anIdleTimeoutStaysATimeoutAndAReleasedRequestHearsNothing() {
        UpstreamSocketLink link = new UpstreamSocketLink("A", l -> { });
        link.onWebSocketOpen(openSession(new AtomicReference<>()));
        Recorder released = new Recorder();
        link.send("{}", released);
        link.release(released);
        Recorder r = new Recorder();
        link.send("{}", r);
        link.onWebSocketError(new WebSocketTimeoutException("Connection Idle Timeout"));

        assertThat(released.gone).isEmpty();
        assertThat(r.gone).singleElement().isInstanceOf(WebSocketTimeoutException.class);
    }
}
