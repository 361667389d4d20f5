package io.codexrelay.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.events.FinishedRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The request log in {@code relay.db}. {@link #append} only queues (it is called from the relay's hot path, via the
 * RequestFinished event); one writer thread with its own connection inserts in batches, one transaction per batch,
 * and prunes by age ({@code log.retention_days}) and count ({@code log.max_rows}) now and then.
 */
public final class RequestLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RequestLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_QUEUED = 100_000;
    private static final int BATCH = 500;
    /** How long the writer waits for more records after the first of a batch (see {@link #lingerForMore}). */
    private static final Duration LINGER = Duration.ofMillis(50);
    private static final Duration PRUNE_INTERVAL = Duration.ofMinutes(10);
    private static final int PRUNE_AFTER_ROWS = 1000;
    private static final String COLUMNS = "id, started_at_ms, account, model, path, status, ttfb_ms, duration_ms, input_tokens, "
            + "cached_tokens, output_tokens, reasoning_tokens, failover_chain, failure_class, session_id, error, client";

    /*
     * The prune's statements, each a search of an index, never a walk over the table: it runs every
     * PRUNE_AFTER_ROWS rows while requests stream. Rows are numbered in the order they were written (AUTOINCREMENT)
     * and only ever deleted from the oldest end, so the newest max_rows rows are those above MAX(id) - max_rows.
     * Finding the cut by position instead (ORDER BY id DESC LIMIT 1 OFFSET max_rows) steps through every row: at
     * 200 000 rows, 13-19 ms per prune (docs/benchmarks.md, round 7).
     */
    static final String DELETE_OLDER = "DELETE FROM request_log WHERE started_at_ms < ?";
    static final String NEWEST_ID = "SELECT MAX(id) FROM request_log";
    static final String DELETE_UP_TO = "DELETE FROM request_log WHERE id <= ?";

    /** Work for the writer other than a record: wait for it (flush), prune, stop. */
    private record Marker(String what, CountDownLatch done) {}

    private final Database db;
    private final Clock clock;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>(MAX_QUEUED + 16);
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private volatile RelayConfig.Log config;
    private volatile boolean closed;
    private Connection conn; // writer thread only

    public RequestLog(Database db, RelayConfig.Log config, Clock clock) {
        this.db = db;
        this.config = config;
        this.clock = clock;
        this.writer = new Thread(this::run, "request-log-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** Queues the row of a finished request (what the relay published); never blocks. */
    public void append(FinishedRequest f) {
        append(new RequestRecord(0, f.startedAt(), f.account(), f.model(), f.path(), f.status(), f.ttfbMs(),
                f.durationMs(), f.inputTokens(), f.cachedTokens(), f.outputTokens(), f.reasoningTokens(),
                f.failoverChain(), f.failureClass(), f.sessionId(), f.error(), f.client()));
    }

    /** Queues a record; never blocks. When the queue is full (the disk is far behind), the record is dropped. */
    public void append(RequestRecord r) {
        if (closed || queue.size() >= MAX_QUEUED || !queue.offer(r)) {
            long n = dropped.incrementAndGet();
            if (n == 1 || n % 1000 == 0) log.warn("Request log is behind; {} record(s) dropped so far", n);
        }
    }

    /** The newest records, newest first (what is queued is written first). */
    public List<RequestRecord> newest(int limit) throws StoreException {
        flush();
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("SELECT " + COLUMNS + " FROM request_log ORDER BY id DESC LIMIT ?")) {
                ps.setInt(1, Math.max(0, limit));
                try (var rs = ps.executeQuery()) {
                    List<RequestRecord> out = new ArrayList<>();
                    while (rs.next()) out.add(read(rs));
                    return out;
                }
            }
        });
    }

    /** Waits until everything queued so far is written (while the writer lives; at most a minute). */
    public void flush() {
        marker("flush");
    }

    /** Applies retention now (the writer also does it every few minutes). */
    public void pruneNow() {
        marker("prune");
    }

    public void applyConfig(RelayConfig.Log config) {
        this.config = config;
    }

    /** Records dropped because the writer was too far behind. */
    public long dropped() { return dropped.get(); }

    private void marker(String what) {
        if (closed || !writer.isAlive()) return;
        CountDownLatch l = new CountDownLatch(1);
        if (!queue.offer(new Marker(what, l))) return;
        // No short fixed timeout: on a loaded machine the disk may take a while, and a flush that gave up early
        // would let the caller read a log that is silently incomplete. It ends early only if the writer died.
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        try {
            while (!l.await(1, TimeUnit.SECONDS)) {
                if (!writer.isAlive() || System.nanoTime() > deadline) {
                    log.warn("Request log: the writer did not finish a {} in time", what);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes everything queued, then stops the writer. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        CountDownLatch l = new CountDownLatch(1);
        queue.offer(new Marker("stop", l));
        try {
            writer.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- writer thread -----------------------------------------------------------------------------------------

    private void run() {
        Instant lastPrune = Instant.EPOCH;
        int sincePrune = 0;
        List<Object> batch = new ArrayList<>(BATCH);
        try {
            while (true) {
                Object first = queue.poll(1, TimeUnit.MINUTES);
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch, BATCH - 1);
                    lingerForMore(batch);
                }
                boolean stop = false;
                List<RequestRecord> records = new ArrayList<>();
                for (Object o : batch) {
                    if (o instanceof RequestRecord r) {
                        records.add(r);
                        continue;
                    }
                    Marker m = (Marker) o;
                    sincePrune += insert(records);
                    records.clear();
                    if (m.what().equals("prune")) {
                        prune();
                        lastPrune = clock.instant();
                        sincePrune = 0;
                    }
                    if (m.what().equals("stop")) stop = true;
                    m.done().countDown();
                }
                sincePrune += insert(records);
                batch.clear();
                if (stop) break;
                Instant now = clock.instant();
                if (sincePrune >= PRUNE_AFTER_ROWS || !now.isBefore(lastPrune.plus(PRUNE_INTERVAL))) {
                    prune();
                    lastPrune = now;
                    sincePrune = 0;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeConnection();
        }
    }

    /**
     * Waits a little for more records before writing, so that a steady trickle of requests (one finishing every few
     * milliseconds) goes in as one transaction per {@link #LINGER} instead of one per request: a commit costs far
     * more than a row. A marker (flush, prune, stop) ends the wait at once, so nobody waits on it.
     */
    private void lingerForMore(List<Object> batch) throws InterruptedException {
        long deadline = System.nanoTime() + LINGER.toNanos();
        int checked = 0;
        while (batch.size() < BATCH) {
            for (; checked < batch.size(); checked++) if (batch.get(checked) instanceof Marker) return;
            long left = deadline - System.nanoTime();
            if (left <= 0) return;
            Object next = queue.poll(left, TimeUnit.NANOSECONDS);
            if (next == null) return;
            batch.add(next);
            queue.drainTo(batch, BATCH - batch.size());
        }
    }

    private Connection connection() throws SQLException {
        if (conn == null || conn.isClosed()) conn = db.openExtraConnection();
        return conn;
    }

    private int insert(List<RequestRecord> records) {
        if (records.isEmpty()) return 0;
        try {
            Connection c = connection();
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO request_log (started_at_ms, account, model, path, status, "
                    + "ttfb_ms, duration_ms, input_tokens, cached_tokens, output_tokens, reasoning_tokens, failover_chain, "
                    + "failure_class, session_id, error, client) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                for (RequestRecord r : records) {
                    ps.setLong(1, r.startedAt().toEpochMilli());
                    ps.setString(2, r.account());
                    ps.setString(3, r.model());
                    ps.setString(4, r.path() == null ? "" : r.path());
                    ps.setInt(5, r.status());
                    setLong(ps, 6, r.ttfbMs());
                    ps.setLong(7, r.durationMs());
                    setLong(ps, 8, r.inputTokens());
                    setLong(ps, 9, r.cachedTokens());
                    setLong(ps, 10, r.outputTokens());
                    setLong(ps, 11, r.reasoningTokens());
                    ps.setString(12, r.failoverChain() == null ? null : JSON.writeValueAsString(r.failoverChain()));
                    ps.setString(13, r.failureClass());
                    ps.setString(14, r.sessionId());
                    ps.setString(15, r.error());
                    ps.setString(16, r.client());
                    ps.addBatch();
                }
                ps.executeBatch();
                c.commit();
                return records.size();
            } catch (Exception e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (Exception e) {
            log.warn("Could not write {} request-log record(s): {}", records.size(), e.getMessage());
            closeConnection();
            return 0;
        }
    }

    private void prune() {
        RelayConfig.Log cfg = config;
        try {
            Connection c = connection();
            long cutoff = clock.instant().minus(Duration.ofDays(cfg.retentionDays())).toEpochMilli();
            int old;
            try (var ps = c.prepareStatement(DELETE_OLDER)) {
                ps.setLong(1, cutoff);
                old = ps.executeUpdate();
            }
            long newest;
            try (var st = c.createStatement(); var rs = st.executeQuery(NEWEST_ID)) {
                newest = rs.next() ? rs.getLong(1) : 0;
            }
            int excess = 0;
            if (newest > cfg.maxRows()) {
                try (var ps = c.prepareStatement(DELETE_UP_TO)) {
                    ps.setLong(1, newest - cfg.maxRows());
                    excess = ps.executeUpdate();
                }
            }
            if (old + excess > 0) log.debug("Request log pruned: {} older than {} days, {} beyond {} rows", old, cfg.retentionDays(), excess, cfg.maxRows());
        } catch (SQLException e) {
            log.warn("Could not prune the request log: {}", e.getMessage());
            closeConnection();
        }
    }

    private void closeConnection() {
        if (conn == null) return;
        try {
            conn.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
        conn = null;
    }

    private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) ps.setNull(i, Types.INTEGER);
        else ps.setLong(i, v);
    }

    private static Long getLong(ResultSet rs, String col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : v;
    }

    private static RequestRecord read(ResultSet rs) throws SQLException {
        List<String> chain = List.of();
        String chainJson = rs.getString("failover_chain");
        if (chainJson != null) {
            try {
                chain = JSON.readValue(chainJson, new TypeReference<List<String>>() { });
            } catch (Exception e) {
                chain = List.of(chainJson);
            }
        }
        return new RequestRecord(rs.getLong("id"), Instant.ofEpochMilli(rs.getLong("started_at_ms")), rs.getString("account"),
                rs.getString("model"), rs.getString("path"), rs.getInt("status"), getLong(rs, "ttfb_ms"), rs.getLong("duration_ms"),
                getLong(rs, "input_tokens"), getLong(rs, "cached_tokens"), getLong(rs, "output_tokens"),
                getLong(rs, "reasoning_tokens"), chain, rs.getString("failure_class"), rs.getString("session_id"),
                rs.getString("error"), rs.getString("client"));
    }
}
