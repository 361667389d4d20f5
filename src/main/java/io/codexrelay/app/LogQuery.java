package io.codexrelay.app;

import io.codexrelay.store.RequestLogQuery;
import io.codexrelay.store.RequestRecord;

import java.time.Instant;

/**
 * The words of a request-log question as {@code app} owns them: which rows ({@link Filter}), by outcome
 * ({@link StatusClass}), and the chart's sums ({@link UsageBucket}). The answers come from SQL in the daemon's
 * {@code store}; these records keep that package out of the UI and the CLI.
 */
public final class LogQuery {
    private LogQuery() {}

    /** Which rows by outcome. */
    public enum StatusClass {
        ALL("All outcomes"), OK("Succeeded"), CLIENT_ERROR("Request errors (4xx)"), RATE_LIMITED("Limited (429)"),
        SERVER_ERROR("Upstream failures (5xx, no answer)"), FAILED_OVER("Failed over");

        private final String label;
        StatusClass(String label) { this.label = label; }
        @Override public String toString() { return label; }
    }

    /**
     * A filter: {@code account} exact (null = any), {@code text} matched case-insensitively against model, path,
     * error, failure class, session and failover chain (null/blank = any), and {@code maxId}: only rows up to this id,
     * which keeps row positions stable while new rows arrive (null = up to the newest); {@code client}: the client
     * key's name exact (codex, a tool key, home:NAME, run:PID COMMAND; null = any).
     */
    public record Filter(String account, StatusClass status, String text, Long maxId, String client) {
        public static final Filter ALL = new Filter(null, StatusClass.ALL, null, null);

        public Filter {
            if (status == null) status = StatusClass.ALL;
            if (text != null && text.isBlank()) text = null;
            if (client != null && client.isBlank()) client = null;
        }

        /** Any client. */
        public Filter(String account, StatusClass status, String text, Long maxId) {
            this(account, status, text, maxId, null);
        }

        public Filter withMaxId(Long id) { return new Filter(account, status, text, id, client); }
    }

    /**
     * Requests and tokens of one account and one model in one time bucket ({@code model} null: unknown, e.g. rows without
     * one or a daemon of an older version). An account with several models has one bucket per model.
     */
    public record UsageBucket(Instant start, String account, long requests, long inputTokens, long cachedTokens,
                              long outputTokens, long reasoningTokens, String model) {
        /** A bucket whose model is not known. */
        public UsageBucket(Instant start, String account, long requests, long inputTokens, long cachedTokens,
                           long outputTokens, long reasoningTokens) {
            this(start, account, requests, inputTokens, cachedTokens, outputTokens, reasoningTokens, null);
        }

        public long totalTokens() { return inputTokens + outputTokens; }
    }

    /** Requests and tokens of one client key (codex, a tool key, home:NAME, run:PID COMMAND) in one time bucket. */
    public record ClientBucket(Instant start, String client, long requests, long inputTokens, long outputTokens) {
        public long totalTokens() { return inputTokens + outputTokens; }
    }

    /** The store's filter for {@code f} (the same rule, answered in SQL). */
    public static RequestLogQuery.Filter toStore(Filter f) {
        if (f == null) return RequestLogQuery.Filter.ALL;
        return new RequestLogQuery.Filter(f.account(), RequestLogQuery.StatusClass.valueOf(f.status().name()), f.text(), f.maxId(), f.client());
    }

    /** A log row as the UI and the CLI see it. */
    public static RequestView view(RequestRecord r) {
        return new RequestView(r.id(), r.startedAt(), r.account(), r.model(), r.path(), r.status(), r.ttfbMs(), r.durationMs(),
                r.inputTokens(), r.cachedTokens(), r.outputTokens(), r.reasoningTokens(), r.failoverChain(), r.failureClass(),
                r.sessionId(), r.error(), r.client());
    }

    static UsageBucket view(RequestLogQuery.UsageBucket b) {
        return new UsageBucket(b.start(), b.account(), b.requests(), b.inputTokens(), b.cachedTokens(), b.outputTokens(),
                b.reasoningTokens(), b.model());
    }

    static ClientBucket view(RequestLogQuery.ClientBucket b) {
        return new ClientBucket(b.start(), b.client(), b.requests(), b.inputTokens(), b.outputTokens());
    }
}
