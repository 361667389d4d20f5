package io.codexrelay.proxy;

/**
 * The client side of a wire format (C2P and P2C): how a client's request becomes the relay's canonical form (a
 * Responses API request body) and how the canonical answer goes back to it. Everything between (the pool, failover,
 * the upstream attempt) sees only the canonical form. Adding Chat Completions or Anthropic Messages clients means
 * adding an implementation and choosing it by route in {@link RelayServer}; nothing in the forwarder changes.
 */
interface InboundDialect {

    /** The canonical Responses request body for the client's body (may be the same array: no copy). */
    byte[] toCanonical(byte[] clientBody);

    /**
     * The client's headers as they may go upstream. Codex's headers pass (the upstream client drops hop-by-hop and
     * auth headers); another tool's are replaced by a neutral set, since they carry its key under other names
     * ({@code x-api-key}) and its own protocol's headers ({@code anthropic-beta}) that mean nothing upstream.
     */
    default org.eclipse.jetty.http.HttpFields upstreamHeaders(org.eclipse.jetty.http.HttpFields client) { return client; }

    /** Where the canonical answer goes: {@code client} itself, or a wrapper that converts the events on the way. */
    ClientSink answerTo(ClientSink client);

    /** Responses clients (Codex): the body and the events pass through unchanged (the same array, the same sink). */
    InboundDialect RESPONSES = new InboundDialect() {
        @Override public byte[] toCanonical(byte[] clientBody) { return clientBody; }

        @Override public ClientSink answerTo(ClientSink client) { return client; }

        @Override public String toString() { return "responses"; }
    };
}
