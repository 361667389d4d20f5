package io.codexrelay.pool;

import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.store.Database;
import io.codexrelay.events.FinishedRequest;
import io.codexrelay.store.StoreException;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Requests and tokens per account per hour ({@code usage_hourly} in {@code relay.db}), for charts. Kept apart from
 * the request log so its retention does not erase history. Writes go to the writer executor, never the caller.
 */
public final class UsageHistory {

    /** One hour of one account. */
    public record Hour(long accountId, Instant hourStart, long requests, long failed, long inputTokens, long cachedTokens,
                       long outputTokens, long reasoningTokens) {
        public long totalTokens() { return inputTokens + outputTokens; }
    }

    private final Database db;
    private final Executor writer;

    public UsageHistory(Database db, Executor writer) {
        this.db = db;
        this.writer = writer;
    }

    /**
     * Counts every finished request on the account it ended on. {@code idByName} resolves an account name
     * (empty when the account is gone).
     */
    public AutoCloseable subscribe(EventBus bus, Function<String, OptionalLong> idByName) {
        return bus.subscribe(RelayEvent.RequestFinished.class, e -> {
            FinishedRequest r = e.record();
            if (r.account() == null) return;
            OptionalLong id = idByName.apply(r.account());
            if (id.isEmpty()) return;
            boolean failed = r.status() >= 400 || r.failureClass() != null;
            record(id.getAsLong(), r.startedAt(), failed, r.inputTokens(), r.cachedTokens(), r.outputTokens(), r.reasoningTokens());
        });
    }

    /** Adds one request to its hour. Null token counts count as 0. */
    public void record(long accountId, Instant at, boolean failed, Long input, Long cached, Long output, Long reasoning) {
        long hour = at.truncatedTo(ChronoUnit.HOURS).toEpochMilli();
        WriteBehind.submit(writer, "usage history", () -> db.withConnection(c -> {
            try (var ps = c.prepareStatement("INSERT INTO usage_hourly (account_id, hour_start_ms, requests, failed, "
                    + "input_tokens, cached_tokens, output_tokens, reasoning_tokens) VALUES (?,?,1,?,?,?,?,?) "
                    + "ON CONFLICT(account_id, hour_start_ms) DO UPDATE SET requests = requests + 1, "
                    + "failed = failed + excluded.failed, input_tokens = input_tokens + excluded.input_tokens, "
                    + "cached_tokens = cached_tokens + excluded.cached_tokens, "
                    + "output_tokens = output_tokens + excluded.output_tokens, "
                    + "reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens")) {
                ps.setLong(1, accountId);
                ps.setLong(2, hour);
                ps.setInt(3, failed ? 1 : 0);
                ps.setLong(4, n(input));
                ps.setLong(5, n(cached));
                ps.setLong(6, n(output));
                ps.setLong(7, n(reasoning));
                return ps.executeUpdate();
            }
        }));
    }

    /** Hours of one account from {@code since} (inclusive), oldest first. */
    public List<Hour> history(long accountId, Instant since) throws StoreException {
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("SELECT * FROM usage_hourly WHERE account_id = ? AND hour_start_ms >= ? "
                    + "ORDER BY hour_start_ms")) {
                ps.setLong(1, accountId);
                ps.setLong(2, since.truncatedTo(ChronoUnit.HOURS).toEpochMilli());
                try (var rs = ps.executeQuery()) {
                    List<Hour> out = new ArrayList<>();
                    while (rs.next()) {
                        out.add(new Hour(rs.getLong("account_id"), Instant.ofEpochMilli(rs.getLong("hour_start_ms")),
                                rs.getLong("requests"), rs.getLong("failed"), rs.getLong("input_tokens"),
                                rs.getLong("cached_tokens"), rs.getLong("output_tokens"), rs.getLong("reasoning_tokens")));
                    }
                    return out;
                }
            }
        });
    }

    /** Deletes hours older than {@code keep} before {@code now}; returns the rows removed. */
    public int prune(Instant now, Duration keep) throws StoreException {
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("DELETE FROM usage_hourly WHERE hour_start_ms < ?")) {
                ps.setLong(1, now.minus(keep).toEpochMilli());
                return ps.executeUpdate();
            }
        });
    }

    private static long n(Long v) { return v == null ? 0 : v; }
}
