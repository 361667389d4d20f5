package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import org.eclipse.jetty.io.Content;

/**
 * The upstream side of a wire format (P2S and S2P): how one attempt's canonical request is sent to an account's
 * upstream. {@link ResponsesOverHttp} is the first (the Responses API over HTTP, answered with SSE); an account whose
 * upstream speaks Chat Completions or Anthropic gets its own implementation, chosen per account by
 * {@link ResponsesForwarder#upstreamFor}, and converts the answer back to canonical events as the attempt reads it
 * ({@link #canonicalAnswer}).
 */
interface UpstreamDialect {

    /** A ready-to-send upstream request for one attempt; throws on an unusable account URL. */
    org.eclipse.jetty.client.Request newRequest(Account account, ResponsesForwarder.Incoming in, byte[] canonicalBody);

    /**
     * The answer's body in the canonical form (Responses events, or an error body the {@link FailureClassifier}
     * reads), pulled chunk by chunk from the upstream's: the same source when the upstream speaks Responses.
     */
    default Content.Source canonicalAnswer(Content.Source upstreamAnswer) {
        return upstreamAnswer;
    }

    /** How many redaction matches ({@link Redactions}) were replaced in the body {@link #newRequest} built. */
    default int redacted() {
        return 0;
    }
}
