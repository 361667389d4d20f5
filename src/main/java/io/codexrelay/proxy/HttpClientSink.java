package io.codexrelay.proxy;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;

/** The HTTP transport's {@link ClientSink}: Jetty's response, written as it comes (SSE or a whole body). */
final class HttpClientSink implements ClientSink {
    private final Response response;

    HttpClientSink(Response response) { this.response = response; }

    @Override public void status(int status) { response.setStatus(status); }

    @Override public HttpFields.Mutable headers() { return response.getHeaders(); }

    @Override public void write(boolean last, ByteBuffer buf, Callback callback) { response.write(last, buf, callback); }

    @Override
    public void writeJson(int status, String json, Callback callback) {
        RelayErrors.write(response, status, json, callback); // the one writer of the relay's own JSON answers
    }
}
