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
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
    private final ScheduledExecutorService delay;
    private final Duration linger;
    /** Counts not yet written, per account-hour (see {@link #record}). */
    private final ConcurrentHashMap<HourKey, Counts> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean flushQueued = new AtomicBoolean();

    /** Every request's counts are handed to {@code writer} at once (tests, tools). */
    public UsageHistory(Database db, Executor writer) {
        this(db, writer, null, Duration.ZERO);
    }

    /**
     * Counts gather in memory for {@code linger} (timed by {@code delay}) and go to {@code writer} in one transaction:
     * a chart of hours does not need each request in the database the moment it ends, and one write per request
     * cost the relay about a tenth of its CPU per request (docs/benchmarks.md).
     */
    public UsageHistory(Database db, Executor writer, ScheduledExecutorService delay, Duration linger) {
        this.db = db;
        this.writer = writer;
        this.delay = delay;
        this.linger = linger;
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
        pending.merge(new HourKey(accountId, hour), new Counts(1, failed ? 1 : 0, n(input), n(cached), n(output), n(reasoning)),
                Counts::plus);
        // One write at a time: requests that finish while it waits are added to the same rows, so a busy relay
        // writes one transaction per linger instead of one per request.
        if (!flushQueued.compareAndSet(false, true)) return;
        if (delay == null || linger.isZero()) {
            flushSoon();
            return;
        }
        try {
            delay.schedule(this::flushSoon, linger.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            flushSoon();
        }
    }

    /** Hands what is pending to the writer now (also at shutdown, for counts whose delayed write was cancelled). */
    public void flushSoon() {
        WriteBehind.submit(writer, "usage history", this::flush);
    }

    /** Writes what is pending (on the writer executor), one upsert per account-hour, in one transaction. */
    private void flush() throws StoreException {
        flushQueued.set(false); // from here on a new record queues the next flush; what it adds is not lost
        List<Map.Entry<HourKey, Counts>> rows = new ArrayList<>();
        for (HourKey k : List.copyOf(pending.keySet())) {
            Counts c = pending.remove(k);
            if (c != null) rows.add(Map.entry(k, c));
        }
        if (rows.isEmpty()) return;
        try {
            db.inTransaction(c -> {
                try (var ps = c.prepareStatement(UPSERT)) {
                    for (var row : rows) {
                        bind(ps, row.getKey(), row.getValue());
                        ps.addBatch();
                    }
                    return ps.executeBatch().length;
                }
            });
        } catch (StoreException e) {
            if (rows.size() > 1) { // one removed account (foreign key) must not lose the others' counts
                for (var row : rows) {
                    pending.merge(row.getKey(), row.getValue(), Counts::plus);
                }
                retrySingly();
            }
            throw e;
        }
    }

    /** After a failed batch: each pending row in its own statement, so that only the refused ones are dropped. */
    private void retrySingly() {
        for (HourKey k : List.copyOf(pending.keySet())) {
            Counts n = pending.remove(k);
            if (n == null) continue;
            try {
                db.withConnection(c -> {
                    try (var ps = c.prepareStatement(UPSERT)) {
                        bind(ps, k, n);
                        return ps.executeUpdate();
                    }
                });
            } catch (StoreException refused) {
                // a row of an account removed meanwhile: nothing to keep
            }
        }
    }

    private static void bind(java.sql.PreparedStatement ps, HourKey k, Counts n) throws java.sql.SQLException {
        ps.setLong(1, k.accountId());
        ps.setLong(2, k.hourStartMs());
        ps.setLong(3, n.requests());
        ps.setLong(4, n.failed());
        ps.setLong(5, n.input());
        ps.setLong(6, n.cached());
        ps.setLong(7, n.output());
        ps.setLong(8, n.reasoning());
    }

    private static final String UPSERT = "INSERT INTO usage_hourly (account_id, hour_start_ms, requests, failed, "
            + "input_tokens, cached_tokens, output_tokens, reasoning_tokens) VALUES (?,?,?,?,?,?,?,?) "
            + "ON CONFLICT(account_id, hour_start_ms) DO UPDATE SET requests = requests + excluded.requests, "
            + "failed = failed + excluded.failed, input_tokens = input_tokens + excluded.input_tokens, "
            + "cached_tokens = cached_tokens + excluded.cached_tokens, "
            + "output_tokens = output_tokens + excluded.output_tokens, "
            + "reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens";

    private record HourKey(long accountId, long hourStartMs) {}

    private record Counts(long requests, long failed, long input, long cached, long output, long reasoning) {
        Counts plus(Counts o) {
            return new Counts(requests + o.requests, failed + o.failed, input + o.input, cached + o.cached,
                    output + o.output, reasoning + o.reasoning);
        }
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
