package io.codexrelay.proxy;

import io.codexrelay.account.Account;

/** The Responses API over HTTP: the body goes as it is, the answer (SSE) comes back as it is. */
final class ResponsesOverHttp implements UpstreamDialect {
    private final UpstreamClient upstream;

    ResponsesOverHttp(UpstreamClient upstream) { this.upstream = upstream; }

    @Override
    public org.eclipse.jetty.client.Request newRequest(Account account, ResponsesForwarder.Incoming in, byte[] body) {
        return upstream.newRequest(account, in.route(), in.query(), in.headers(), body);
    }
}
