package io.codexrelay.proxy;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/** The HTTP transport's {@link ClientSink}: Jetty's response, written as it comes (SSE or a whole body). */
final class HttpClientSink implements ClientSink {
    private final Request request;
    private final Response response;
    /** Notices a close while nothing has been written yet (see {@link ClientCloseWatch}); null until asked. */
    private volatile ClientCloseWatch closeWatch;

    HttpClientSink(Request request, Response response) {
        this.request = request;
        this.response = response;
    }

    @Override
    public void onClientGone(Consumer<Throwable> listener) {
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        Consumer<Throwable> first = x -> {
            if (once.compareAndSet(false, true)) listener.accept(x);
        };
        request.addFailureListener(first);
        request.addIdleTimeoutListener(t -> true);
        // Jetty's failure listener hears of a close only once something is read or written; before the first byte
        // nothing is, so the connection is watched for EOF until then.
        closeWatch = ClientCloseWatch.start(request, response, first);
    }

    /** Before the first byte goes out the watch gives the connection's read interest back to Jetty. */
    private void stopWatch() {
        ClientCloseWatch w = closeWatch;
        if (w != null) w.stop();
    }

    @Override public void status(int status) { stopWatch(); response.setStatus(status); }

    @Override public HttpFields.Mutable headers() { return response.getHeaders(); }

    @Override public void write(boolean last, ByteBuffer buf, Callback callback) {
        stopWatch();
        response.write(last, buf, callback);
    }

    @Override
    public void writeJson(int status, String json, Callback callback) {
        stopWatch();
        RelayErrors.write(response, status, json, callback); // the one writer of the relay's own JSON answers
    }
}
