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

    HttpClientSink(Request request, Response response) {
        this.request = request;
        this.response = response;
    }

    @Override
    public void onClientGone(Consumer<Throwable> listener) {
        request.addFailureListener(listener);
        request.addIdleTimeoutListener(t -> true);
    }

    @Override public void status(int status) { response.setStatus(status); }

    @Override public HttpFields.Mutable headers() { return response.getHeaders(); }

    @Override public void write(boolean last, ByteBuffer buf, Callback callback) { response.write(last, buf, callback); }

    @Override
    public void writeJson(int status, String json, Callback callback) {
        RelayErrors.write(response, status, json, callback); // the one writer of the relay's own JSON answers
    }
}
