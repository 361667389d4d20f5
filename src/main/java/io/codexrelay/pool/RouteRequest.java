package io.codexrelay.pool;

/**
 * What the pool knows about a request when it chooses an account: the Codex session (thread) id, the model and the
 * relay path. Routing policies and affinity may use any of them; each may be null. {@code account}: the account the
 * request's client is bound to (proxy's ClientKeys: a key with an account), tried first (only it when {@code strict}); null for the pool's choice.
 */
public record RouteRequest(String sessionId, String model, String path, String account, boolean strict) {
    public RouteRequest(String sessionId, String model, String path) {
        this(sessionId, model, path, null, false);
    }

    public static RouteRequest none() { return new RouteRequest(null, null, null); }
}
