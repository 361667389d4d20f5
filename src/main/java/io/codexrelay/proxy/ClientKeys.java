package io.codexrelay.proxy;

import io.codexrelay.config.ClientKey;
import io.codexrelay.pool.RouteRequest;
import org.eclipse.jetty.http.HttpFields;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every client key the relay accepts, and who each one is: Codex's own key ({@code client.key}, named {@value #CODEX}),
 * the per-tool keys ({@code keys create}), the keys of named Codex homes ({@code home:NAME}) and of
 * {@code codex-relay run} processes ({@code run:PID COMMAND}). One kind of thing, "a client key with an optional
 * account": a key may send its requests to one account first (failover to the others unless strict) and may carry a
 * requests-per-minute and a concurrency limit. Held in memory by hash (the request path never reads the database),
 * replaced whole by the app whenever a key, a home or a run changes, so a revoked key is refused from the next request.
 *
 * <p>Codex sends its key in {@code x-relay-key} (a static header in its provider entry). A process started by
 * {@code codex-relay run} also sends {@value #PROCESS_HEADER}, which Codex fills from the environment variable
 * {@value #PROCESS_ENV} ({@code env_http_headers} in the same entry): that key, when present, says who the request is.
 */
public final class ClientKeys {
    public static final String CODEX = "codex";
    /** The header a {@code codex-relay run} process's requests carry (Codex reads it from {@link #PROCESS_ENV}). */
    public static final String PROCESS_HEADER = "x-relay-process-key";
    /** The environment variable {@code codex-relay run} sets for its process. */
    public static final String PROCESS_ENV = "CODEX_RELAY_PROCESS_KEY";

    /**
     * An active key as the relay needs it: its name, the hex SHA-256 of the key, the account its requests go to first
     * (null: the pool chooses; {@code strict}: only there), optional limits.
     */
    public record Key(String name, String hash, String account, boolean strict, Integer rpm, Integer maxConcurrent) {
        /** A key without an account. */
        public Key(String name, String hash, Integer rpm, Integer maxConcurrent) {
            this(name, hash, null, false, rpm, maxConcurrent);
        }

        /** The pool's view of a request that came with this key. */
        public RouteRequest route(String sessionId, String model, String path) {
            return account == null ? new RouteRequest(sessionId, model, path)
                    : new RouteRequest(sessionId, model, path, account, strict);
        }

        /** Per-tool keys may be used from other machines; Codex's, the homes' and the runs' belong to this one. */
        boolean forTools() { return !name.equals(CODEX) && !name.startsWith("home:") && !name.startsWith("run:"); }
    }

    /** A key's use since the relay started: requests admitted, in flight now, refused by its limits. */
    public record Usage(long requests, int inFlight, long limited) {}

    /** The outcome of presenting a key: admitted as a key (release when the request ends), or refused. */
    sealed interface Admission permits Admitted, Refused {}

    record Admitted(Key key, Runnable release) implements Admission {
        String name() { return key.name(); }
    }

    record Refused(RequestGuard.Refusal refusal) implements Admission {}

    private static final Key CODEX_KEY = new Key(CODEX, null, null, null);

    private final ClientKey codex;
    private volatile Map<String, Key> byHash = Map.of();
    private final Map<String, Limits> limits = new ConcurrentHashMap<>();

    public ClientKeys(ClientKey codex) {
        this.codex = codex;
    }

    /** The active keys from now on (a revoked key is simply not in the list). */
    public void replace(List<Key> keys) {
        Map<String, Key> m = new HashMap<>();
        for (Key k : keys) m.put(k.hash(), k);
        byHash = Map.copyOf(m);
    }

    /** Whether any per-tool key is active (a non-loopback listen needs one). */
    public boolean hasKeys() {
        for (Key k : byHash.values()) if (k.forTools()) return true;
        return false;
    }

    /** Each key's use since start, by name (Codex's key included once used). */
    public Map<String, Usage> usage() {
        Map<String, Usage> out = new HashMap<>();
        limits.forEach((name, l) -> out.put(name, new Usage(l.requests.get(), l.inFlight.get(), l.limited.get())));
        return out;
    }

    /**
     * The key {@code presented} is, or null when it is no active key. Codex's key is compared in constant time; the
     * others are looked up by their SHA-256, so neither the time taken nor the table tells anything about the keys.
     */
    public Key find(String presented) {
        if (presented == null || presented.isBlank()) return null;
        String p = presented.trim();
        if (codex != null && codex.matches(p)) return CODEX_KEY;
        return byHash.get(ClientKey.hashOf(p));
    }

    /** Whether {@code presented} is an active key. */
    public boolean knows(String presented) { return find(presented) != null; }

    /**
     * Who a request on Codex's routes is (its headers passed the guard): the process key of a {@code codex-relay run}
     * when present, else the {@code x-relay-key}; {@link #CODEX}'s key when neither is known (a relay built without a
     * key table).
     */
    public Key forCodex(HttpFields headers) {
        Key k = find(headers.get(PROCESS_HEADER));
        if (k == null) k = find(headers.get(ClientKey.HEADER));
        return k == null ? CODEX_KEY : k;
    }

    /** Checks a presented key (null: none) and takes a slot under its limits; {@code nowMillis} from the relay's clock. */
    Admission admit(String presented, long nowMillis) { return admit(presented, nowMillis, false); }

    /** {@code remotePeer}: the request came from another machine, which must use a per-tool key, never Codex's. */
    Admission admit(String presented, long nowMillis, boolean remotePeer) {
        if (presented == null) {
            return new Refused(new RequestGuard.Refusal(401, "relay_missing_key", "This request carries no key. Send a "
                    + "codex-relay client key as `Authorization: Bearer <key>` or `x-api-key: <key>`; `codex-relay keys "
                    + "create NAME` makes one and `codex-relay connect <tool>` sets it up."));
        }
        Key key = find(presented);
        if (key == null) {
            return new Refused(new RequestGuard.Refusal(401, "relay_bad_key", "This key is not an active codex-relay "
                    + "client key (never made, or revoked). `codex-relay keys list` shows the keys; make a new one with "
                    + "`codex-relay keys create NAME`."));
        }
        if (remotePeer && !key.forTools()) {
            return new Refused(new RequestGuard.Refusal(403, "relay_remote_needs_tool_key", "Requests from other "
                    + "machines need a per-tool key (`codex-relay keys create NAME`), not Codex's own key."));
        }
        Limits l = limits.computeIfAbsent(key.name(), n -> new Limits());
        return l.take(key, nowMillis);
    }

    /** One key's counters: in-flight requests and the start times of the last minute's requests. */
    private static final class Limits {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicLong requests = new AtomicLong();
        final AtomicLong limited = new AtomicLong();
        private final ArrayDeque<Long> lastMinute = new ArrayDeque<>();

        Admission take(Key key, long now) {
            if (key.maxConcurrent() != null && inFlight.incrementAndGet() > key.maxConcurrent()) {
                inFlight.decrementAndGet();
                limited.incrementAndGet();
                return new Refused(new RequestGuard.Refusal(429, "rate_limit_exceeded", "The codex-relay key '"
                        + key.name() + "' already has " + key.maxConcurrent() + " request(s) running, its concurrency "
                        + "limit. Wait for one to finish, or raise it with `codex-relay keys create` (a new key)."));
            }
            if (key.maxConcurrent() == null) inFlight.incrementAndGet();
            if (key.rpm() != null) {
                synchronized (lastMinute) {
                    while (!lastMinute.isEmpty() && lastMinute.peekFirst() <= now - 60_000) lastMinute.pollFirst();
                    if (lastMinute.size() >= key.rpm()) {
                        inFlight.decrementAndGet();
                        limited.incrementAndGet();
                        long retry = Math.max(1, (lastMinute.peekFirst() + 60_000 - now + 999) / 1000);
                        return new Refused(new RequestGuard.Refusal(429, "rate_limit_exceeded", "The codex-relay key '"
                                + key.name() + "' is limited to " + key.rpm() + " requests per minute; try again in "
                                + retry + " s."));
                    }
                    lastMinute.addLast(now);
                }
            }
            requests.incrementAndGet();
            AtomicInteger released = new AtomicInteger();
            return new Admitted(key, () -> {
                if (released.getAndIncrement() == 0) inFlight.decrementAndGet();
            });
        }
    }
}
