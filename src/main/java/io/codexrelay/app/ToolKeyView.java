package io.codexrelay.app;

import java.time.Instant;

/**
 * One client key as the front ends show it (never the key itself): its name, limits, when it was made and revoked,
 * and its use since the daemon started (requests admitted, running now, refused by its limits; zero offline).
 * {@code codex} is Codex's own key in client.key.
 */
public record ToolKeyView(String name, Integer rpm, Integer maxConcurrent, Instant created, Instant revoked,
                          long requests, int inFlight, long limited) {
    public boolean active() { return revoked == null; }
}
