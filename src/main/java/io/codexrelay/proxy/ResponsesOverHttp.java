package io.codexrelay.proxy;

import io.codexrelay.account.Account;

/**
 * The Responses API over HTTP: the body goes as it is (after the redaction rules, when any apply), the answer (SSE)
 * comes back as it is. One instance per attempt when redaction rules exist (it keeps the attempt's count).
 */
final class ResponsesOverHttp implements UpstreamDialect {
    private final UpstreamClient upstream;
    private final Redactions redactions;
    private int redacted;

    ResponsesOverHttp(UpstreamClient upstream, Redactions redactions) {
        this.upstream = upstream;
        this.redactions = redactions;
    }

    @Override
    public org.eclipse.jetty.client.Request newRequest(Account account, ResponsesForwarder.Incoming in, byte[] body) {
        var r = redactions.apply(account, in.path(), body);
        redacted = r.replacements();
        return upstream.newRequest(account, in.route(), in.query(), in.headers(), r.body());
    }

    @Override
    public int redacted() { return redacted; }
}
