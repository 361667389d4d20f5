package io.codexrelay.app;

import java.time.Instant;

/**
 * One client key as the front ends show it (never the key itself): its name, limits, when it was made and revoked,
 * and its use since the daemon started (requests admitted, running now, refused by its limits; zero offline), and the
 * account its requests go to first ({@code strict}: only there; null: the pool chooses).
 * {@code codex} is Codex's own key in client.key; {@code run:PID COMMAND} the key of a running {@code codex-relay run}.
 */
public record ToolKeyView(String name, Integer rpm, Integer maxConcurrent, Instant created, Instant revoked,
                          long requests, int inFlight, long limited, String account, boolean strict) {
    /** A key without an account. */
    public ToolKeyView(String name, Integer rpm, Integer maxConcurrent, Instant created, Instant revoked,
                       long requests, int inFlight, long limited) {
        this(name, rpm, maxConcurrent, created, revoked, requests, inFlight, limited, null, false);
    }

    public boolean active() { return revoked == null; }
}
