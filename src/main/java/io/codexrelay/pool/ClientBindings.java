package io.codexrelay.pool;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Client keys that choose an account: each named Codex home (docs/cli.md, {@code homes}) gets its own key in its
 * provider entry, and the relay serves that home's requests from the account it is bound to. Other Codex processes
 * keep the pool's choice. The bound account goes first; failover to the rest still applies unless the binding is strict.
 * Replaced whole by {@link #replace} when homes change; read on the request path without locks.
 */
public final class ClientBindings {

    /** One key's binding: the home it belongs to and its account (null: the pool chooses, only the key is accepted). */
    public record Binding(String key, String home, String account, boolean strict) {
        @Override public String toString() { return "Binding[" + home + " -> " + account + (strict ? ", strict" : "") + "]"; }
    }

    private volatile Map<String, Binding> byKey = Map.of();

    public void replace(List<Binding> bindings) {
        Map<String, Binding> m = new ConcurrentHashMap<>();
        for (Binding b : bindings) m.put(b.key(), b);
        byKey = Map.copyOf(m);
    }

    /** The binding of a presented key, or null; constant-time per stored key, so timing tells nothing about the keys. */
    public Binding find(String presented) {
        if (presented == null || presented.isBlank()) return null;
        byte[] p = presented.trim().getBytes(StandardCharsets.UTF_8);
        Binding found = null;
        for (Binding b : byKey.values()) {
            if (MessageDigest.isEqual(b.key().getBytes(StandardCharsets.UTF_8), p)) found = b;
        }
        return found;
    }

    public boolean knows(String presented) { return find(presented) != null; }

    /** The pool's view of a request that came with {@code presentedKey}: its bound account, if any. */
    public RouteRequest route(String presentedKey, String sessionId, String model, String path) {
        Binding b = find(presentedKey);
        return b == null || b.account() == null ? new RouteRequest(sessionId, model, path)
                : new RouteRequest(sessionId, model, path, b.account(), b.strict());
    }
}
