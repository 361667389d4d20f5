package io.codexrelay.events;

import java.time.Instant;
import java.util.List;

/**
 * What became of one proxied request, as the relay tells its observers (request log, usage history, UI). The request
 * log maps it to its row; nothing here knows about storage. Token counts are null when the upstream did not report
 * them; {@code failoverChain} lists "account:outcome" for each attempt in order, e.g.
 * ["A:429 usage_limit_reached", "B:200"]; {@code failureClass} is the failure class's label (null: none);
 * {@code client} is the name of the client key the request came with (codex, a per-tool key, home:NAME,
 * run:PID COMMAND; null: not known).
 */
public record FinishedRequest(Instant startedAt, String account, String model, String path, int status,
                              Long ttfbMs, long durationMs, Long inputTokens, Long cachedTokens, Long outputTokens,
                              Long reasoningTokens, List<String> failoverChain, String failureClass, String sessionId,
                              String error, String client) {
    /** Without the client. */
    public FinishedRequest(Instant startedAt, String account, String model, String path, int status,
                           Long ttfbMs, long durationMs, Long inputTokens, Long cachedTokens, Long outputTokens,
                           Long reasoningTokens, List<String> failoverChain, String failureClass, String sessionId,
                           String error) {
        this(startedAt, account, model, path, status, ttfbMs, durationMs, inputTokens, cachedTokens, outputTokens,
                reasoningTokens, failoverChain, failureClass, sessionId, error, null);
    }
}
