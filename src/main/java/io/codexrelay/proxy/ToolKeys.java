package io.codexrelay.proxy;

import io.codexrelay.config.ClientKey;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-tool client keys the relay accepts on other tools' routes, held in memory (the request path never reads
 * the database): the key hashes from relay.db, replaced whole by the app whenever a key is made or revoked, so a
 * revoked key is refused from the next request on. Each key may carry a requests-per-minute and a concurrency limit,
 * held here per key name; Codex's own key ({@code client.key}, named {@value #CODEX}) has no limits.
 */
public final class ToolKeys {
    public static final String CODEX = "codex";

    /** An active key as the relay needs it: its name, the hex SHA-256 of the key, optional limits. */
    public record Key(String name, String hash, Integer rpm, Integer maxConcurrent) {}

    /** A key's use since the relay started: requests admitted, in flight now, refused by its limits. */
    public record Usage(long requests, int inFlight, long limited) {}

    /** The outcome of presenting a key: admitted under a name (release when the request ends), or refused. */
    sealed interface Admission permits Admitted, Refused {}

    record Admitted(String name, Runnable release) implements Admission {}

    record Refused(RequestGuard.Refusal refusal) implements Admission {}

    private final ClientKey codex;
    private volatile Map<String, Key> byHash = Map.of();
    private final Map<String, Limits> limits = new ConcurrentHashMap<>();

    public ToolKeys(ClientKey codex) {
        this.codex = codex;
    }

    /** The active keys from now on (a revoked key is simply not in the list). */
    public void replace(List<Key> keys) {
        Map<String, Key> m = new HashMap<>();
        for (Key k : keys) m.put(k.hash(), k);
        byHash = Map.copyOf(m);
    }

    /** Whether any per-tool key is active (a non-loopback listen needs one). */
    public boolean hasKeys() { return !byHash.isEmpty(); }

    /** Each key's use since start, by name (Codex's key included once used). */
    public Map<String, Usage> usage() {
        Map<String, Usage> out = new HashMap<>();
        limits.forEach((name, l) -> out.put(name, new Usage(l.requests.get(), l.inFlight.get(), l.limited.get())));
        return out;
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
        Key key;
        if (codex != null && codex.matches(presented)) {
            if (remotePeer) {
                return new Refused(new RequestGuard.Refusal(403, "relay_remote_needs_tool_key", "Requests from other "
                        + "machines need a per-tool key (`codex-relay keys create NAME`), not Codex's own key."));
            }
            key = new Key(CODEX, null, null, null);
        } else {
            key = byHash.get(ClientKey.hashOf(presented));
            if (key == null) {
                return new Refused(new RequestGuard.Refusal(401, "relay_bad_key", "This key is not an active codex-relay "
                        + "client key (never made, or revoked). `codex-relay keys list` shows the keys; make a new one with "
                        + "`codex-relay keys create NAME`."));
            }
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
            return new Admitted(key.name(), () -> {
                if (released.getAndIncrement() == 0) inFlight.decrementAndGet();
            });
        }
    }
}
