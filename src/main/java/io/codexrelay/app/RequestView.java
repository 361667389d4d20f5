package io.codexrelay.app;

import io.codexrelay.store.LogText;

import java.time.Instant;
import java.util.List;

/**
 * One request of the log as the UI and the CLI see it: what {@code app} hands out instead of the database row, so the
 * windows and commands do not depend on {@code store}. Token counts are null when the upstream did not report them;
 * {@code failoverChain} lists "account:outcome" for each attempt in order, e.g. ["A:429 usage_limit_reached", "B:200"].
 * {@code client}: the client key's name the request came with (codex, a per-tool key, home:NAME, run:PID COMMAND;
 * null on rows from before it was recorded). The field names are the admin API's JSON.
 */
public record RequestView(long id, Instant startedAt, String account, String model, String path, int status,
                          Long ttfbMs, long durationMs, Long inputTokens, Long cachedTokens, Long outputTokens,
                          Long reasoningTokens, List<String> failoverChain, String failureClass, String sessionId,
                          String error, String client) {

    /** Without the client. */
    public RequestView(long id, Instant startedAt, String account, String model, String path, int status,
                       Long ttfbMs, long durationMs, Long inputTokens, Long cachedTokens, Long outputTokens,
                       Long reasoningTokens, List<String> failoverChain, String failureClass, String sessionId,
                       String error) {
        this(id, startedAt, account, model, path, status, ttfbMs, durationMs, inputTokens, cachedTokens, outputTokens,
                reasoningTokens, failoverChain, failureClass, sessionId, error, null);
    }

    /** The error on one line, safe to print to a terminal (control characters shown as escapes, length bounded). */
    public String errorOneLine() {
        return error == null ? null : LogText.clean(error, LogText.ERROR_MAX);
    }
}
