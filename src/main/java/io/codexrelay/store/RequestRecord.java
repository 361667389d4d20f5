package io.codexrelay.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One row of the request log. Token counts are null when the upstream did not report them.
 * {@code failoverChain} lists "account:outcome" for each attempt in order, e.g. ["A:429 usage_limit_reached", "B:200"].
 * {@code client}: the name of the client key the request came with (codex, a per-tool key, home:NAME,
 * run:PID COMMAND); null on rows from before the column existed.
 */
public record RequestRecord(long id, Instant startedAt, String account, String model, String path, int status,
                            Long ttfbMs, long durationMs, Long inputTokens, Long cachedTokens, Long outputTokens,
                            Long reasoningTokens, List<String> failoverChain, String failureClass, String sessionId,
                            String error, String client) {
    /** A row without a client (made before the client was recorded). */
    public RequestRecord(long id, Instant startedAt, String account, String model, String path, int status,
                         Long ttfbMs, long durationMs, Long inputTokens, Long cachedTokens, Long outputTokens,
                         Long reasoningTokens, List<String> failoverChain, String failureClass, String sessionId,
                         String error) {
        this(id, startedAt, account, model, path, status, ttfbMs, durationMs, inputTokens, cachedTokens, outputTokens,
                reasoningTokens, failoverChain, failureClass, sessionId, error, null);
    }

    /**
     * Every text field is bounded and stripped of control characters here, so both the log writer (what is stored)
     * and every reader ({@code logs tail}, the log window, rows stored before this rule) only ever see safe text.
     */
    public RequestRecord {
        account = LogText.clean(account, LogText.FIELD_MAX);
        model = LogText.clean(model, LogText.MODEL_MAX);
        path = LogText.clean(path, LogText.FIELD_MAX);
        failureClass = LogText.clean(failureClass, LogText.FIELD_MAX);
        sessionId = LogText.clean(sessionId, LogText.FIELD_MAX);
        client = LogText.clean(client, LogText.FIELD_MAX);
        error = LogText.cleanMultiline(error, LogText.ERROR_MAX); // lines kept for the log window; logs tail flattens them
        if (failoverChain != null) { // a loop, not a stream: this runs for every request
            List<String> cleaned = new ArrayList<>(failoverChain.size());
            for (String s : failoverChain) cleaned.add(LogText.clean(s, LogText.FIELD_MAX));
            failoverChain = Collections.unmodifiableList(cleaned);
        }
    }
}
