package io.codexrelay.proxy;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Notices a client that closes its HTTP/1.1 connection while the relay waits for the upstream, before anything has
 * been written to it. Jetty itself does not: once a request's body has been read the connection is not read again
 * until the answer is done, so a closed socket stays unnoticed until the first write fails (seen: 120 s, the
 * upstream's first-byte timeout, with the account's permit held and the request then failed over for nobody). This is
 * what nginx does for its 499: read interest on the client's socket while waiting, EOF = the client gave up.
 *
 * <p>The watch is the connection's read interest while it runs; {@link #stop()} gives it back before the first byte is
 * written, because Jetty ends a keep-alive connection whose read interest is still taken when an answer completes.
 * Bytes from a client that sends more while its request is unanswered (pipelining, which Codex's HTTP clients do not
 * do) cannot be put back: the answer then closes the connection, and the client resends on a new one.
 */
final class ClientCloseWatch implements Callback, Invocable {
    private static final Logger log = LoggerFactory.getLogger(ClientCloseWatch.class);

    private static final int IDLE = 0, WATCHING = 1, STOPPED = 2;
    /** The failure a stopped watch is ended with: not the client's doing. */
    private static final Exception STOP = new Exception("close watch stopped", null, false, false) {};

    private final AbstractEndPoint endPoint;
    private final Response response;
    private final Consumer<Throwable> gone;
    private final AtomicInteger state = new AtomicInteger(IDLE);

    private ClientCloseWatch(AbstractEndPoint endPoint, Response response, Consumer<Throwable> gone) {
        this.endPoint = endPoint;
        this.response = response;
        this.gone = gone;
    }

    /**
     * Starts watching {@code request}'s connection (its body must have been read to the end); {@code gone} runs once
     * if the client closes before {@link #stop()}. Returns a watch that does nothing where the transport cannot be
     * watched this way.
     */
    static ClientCloseWatch start(Request request, Response response, Consumer<Throwable> gone) {
        EndPoint ep = request.getConnectionMetaData().getConnection().getEndPoint();
        if (!(ep instanceof AbstractEndPoint aep) || !"HTTP/1.1".equals(request.getConnectionMetaData().getProtocol())) {
            return new ClientCloseWatch(null, response, gone);
        }
        return watching(aep, response, gone);
    }

    /** Watches {@code endPoint} (an HTTP/1.1 connection whose request body has been read). */
    static ClientCloseWatch watching(AbstractEndPoint endPoint, Response response, Consumer<Throwable> gone) {
        ClientCloseWatch w = new ClientCloseWatch(endPoint, response, gone);
        w.watch();
        return w;
    }

    private void watch() {
        if (endPoint == null) return;
        synchronized (this) { // against stop(), as in succeeded()
            if (!state.compareAndSet(IDLE, WATCHING) && state.get() != WATCHING) return;
            if (!endPoint.tryFillInterested(this)) {
                // Someone else reads the connection (it should not happen once the body is read): nothing to watch.
                state.compareAndSet(WATCHING, IDLE);
                log.debug("Connection {} is read by someone else; not watching for a close", endPoint);
            }
        }
    }

    /**
     * Gives the connection's read interest back (before the answer's first byte). Idempotent. Once it returns the
     * watch holds no read interest and takes none again: the answer that follows may complete at once, and Jetty
     * aborts a connection whose read interest is taken when its answer completes ("Pending read in onCompleted"),
     * quietly, after the client has read a whole answer without {@code Connection: close}; the client's next request
     * on that kept-alive connection then meets a closed socket (an EOF, seen about once in 4 000 converted answers).
     */
    void stop() {
        if (endPoint == null) return;
        synchronized (this) {
            int was = state.getAndSet(STOPPED);
            if (was == WATCHING) endPoint.getFillInterest().onFail(STOP);
        }
    }

    /**
     * The connection is readable: EOF means the client gave up. The read happens under the lock {@link #stop()} takes,
     * with the state checked there: a read after stop() returned would take the first byte of the client's next
     * request (the answer that follows stop() can complete and the client send again while this thread is held up
     * between a check and the read), and that request would reach the relay without it ("OST /v1/responses": a 405
     * about once in 100 000 requests in the benchmark).
     */
    @Override
    public void succeeded() {
        Throwable gaveUp = null;
        synchronized (this) {
            if (state.get() != WATCHING) return;
            ByteBuffer one = BufferUtil.allocate(1); // empty, in Jetty's flush mode: fill() appends
            int n;
            try {
                n = endPoint.fill(one);
            } catch (IOException e) {
                n = -1;
                gaveUp = e;
            }
            if (n < 0) {
                if (gaveUp == null) gaveUp = new EofException("the client closed the connection");
            } else if (n == 0) {
                // Woken with nothing to read: watch again. Registered under this lock, so a registration can never
                // land after stop() returned (it used to: stop() found no interest to fail, this thread registered,
                // the answer completed before it gave the interest back, and Jetty closed the kept-alive connection).
                if (!endPoint.tryFillInterested(this)) state.compareAndSet(WATCHING, IDLE);
                return;
            } else {
                // Pipelined bytes: they are lost to the next request, so this connection must not serve another.
                state.set(STOPPED);
                response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
                log.debug("Client sent bytes while its request was unanswered; the connection closes after the answer");
                return;
            }
        }
        clientGone(gaveUp);
    }

    @Override
    public void failed(Throwable x) {
        if (x == STOP) return;
        if (state.get() == WATCHING) clientGone(x);
    }

    private void clientGone(Throwable why) {
        if (state.compareAndSet(WATCHING, STOPPED)) gone.accept(why);
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }
}
