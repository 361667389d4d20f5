package io.codexrelay.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The read side of the request log for the log window: filtered, paged (newest first) and aggregated queries.
 * Runs on its own connection, so a long count or export never holds up the account store or the log writer
 * (SQLite WAL lets readers and the writer proceed together).
 */
public final class RequestLogQuery implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

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

        /** The same test in Java, for callers that filter rows they already hold. */
        public boolean matches(RequestRecord r) {
            if (maxId != null && r.id() > maxId) return false;
            if (account != null && !account.equals(r.account())) return false;
            if (client != null && !client.equals(r.client())) return false;
            boolean ok = switch (status) {
                case ALL -> true;
                case OK -> r.status() >= 200 && r.status() < 400;
                case CLIENT_ERROR -> r.status() >= 400 && r.status() < 500 && r.status() != 429;
                case RATE_LIMITED -> r.status() == 429;
                case SERVER_ERROR -> r.status() >= 500 || r.status() < 100;
                case FAILED_OVER -> r.failoverChain() != null && r.failoverChain().size() > 1;
            };
            if (!ok) return false;
            if (text == null) return true;
            String t = text.toLowerCase(Locale.ROOT);
            for (String f : new String[] {r.model(), r.path(), r.error(), r.failureClass(), r.sessionId(), r.account(), r.client(),
                    r.failoverChain() == null ? null : String.join(" ", r.failoverChain())}) {
                if (f != null && f.toLowerCase(Locale.ROOT).contains(t)) return true;
            }
            return false;
        }
    }

    /**
     * Requests and tokens of one account and one model in one time bucket ({@code model} null: the rows had none). The
     * model is what prices the tokens (API-price equivalents), so the sums are kept apart per model.
     */
    public record UsageBucket(Instant start, String account, long requests, long inputTokens, long cachedTokens,
                              long outputTokens, long reasoningTokens, String model) {
        public long totalTokens() { return inputTokens + outputTokens; }
    }

    static final String COLUMNS = "id, started_at_ms, account, model, path, status, ttfb_ms, duration_ms, input_tokens, "
            + "cached_tokens, output_tokens, reasoning_tokens, failover_chain, failure_class, session_id, error, client";

    private final Database db;
    private Connection conn;

    public RequestLogQuery(Database db) {
        this.db = db;
    }

    /** Rows matching {@code f}, newest first, skipping {@code offset}. */
    public synchronized List<RequestRecord> page(Filter f, long offset, int limit) throws StoreException {
        var where = where(f);
        String sql = "SELECT " + COLUMNS + " FROM request_log" + where.sql + " ORDER BY id DESC LIMIT ? OFFSET ?";
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = where.bind(ps);
                ps.setInt(i++, limit);
                ps.setLong(i, offset);
                List<RequestRecord> out = new ArrayList<>(limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(map(rs));
                }
                return out;
            }
        });
    }

    public synchronized long count(Filter f) throws StoreException {
        var where = where(f);
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM request_log" + where.sql)) {
                where.bind(ps);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0L;
                }
            }
        });
    }

    /** The newest id, or 0 when the log is empty. */
    public synchronized long maxId() throws StoreException {
        return run(c -> {
            try (var rs = c.createStatement().executeQuery("SELECT COALESCE(MAX(id), 0) FROM request_log")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    /** Usage per account per bucket since {@code from}; buckets are aligned to multiples of {@code bucket} since the epoch. */
    public List<UsageBucket> usage(Instant from, Duration bucket) throws StoreException {
        return usage(from, bucket, false);
    }

    /**
     * Usage per account and model per bucket since {@code from} (the model prices the tokens: API-price equivalents).
     * Answered from the request log's {@code model} column, so it reaches back as far as the log's retention
     * ({@code log.retention_days}, {@code log.max_rows}).
     */
    public List<UsageBucket> usageByModel(Instant from, Duration bucket) throws StoreException {
        return usage(from, bucket, true);
    }

    private synchronized List<UsageBucket> usage(Instant from, Duration bucket, boolean byModel) throws StoreException {
        long ms = bucket.toMillis();
        String sql = "SELECT (started_at_ms / ?) AS b, COALESCE(account, ''), COUNT(*), SUM(COALESCE(input_tokens, 0)), "
                + "SUM(COALESCE(cached_tokens, 0)), SUM(COALESCE(output_tokens, 0)), SUM(COALESCE(reasoning_tokens, 0)), "
                + (byModel ? "model FROM request_log WHERE started_at_ms >= ? GROUP BY b, account, model ORDER BY b, account, model"
                        : "NULL FROM request_log WHERE started_at_ms >= ? GROUP BY b, account ORDER BY b, account");
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setLong(1, ms);
                ps.setLong(2, from.toEpochMilli());
                List<UsageBucket> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new UsageBucket(Instant.ofEpochMilli(rs.getLong(1) * ms), rs.getString(2), rs.getLong(3),
                                rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getString(8)));
                    }
                }
                return out;
            }
        });
    }

    /** Requests and tokens of one client key in one time bucket (rows without a client count as "(unknown)"). */
    public record ClientBucket(Instant start, String client, long requests, long inputTokens, long outputTokens) {}

    /** Like {@link #usage}, per client key instead of per account: the Usage chart "by client key". */
    public synchronized List<ClientBucket> usageByClient(Instant from, Duration bucket) throws StoreException {
        long ms = bucket.toMillis();
        String sql = "SELECT (started_at_ms / ?) AS b, COALESCE(client, '(unknown)') AS c, COUNT(*), SUM(COALESCE(input_tokens, 0)), "
                + "SUM(COALESCE(output_tokens, 0)) FROM request_log WHERE started_at_ms >= ? GROUP BY b, c ORDER BY b, c";
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setLong(1, ms);
                ps.setLong(2, from.toEpochMilli());
                List<ClientBucket> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new ClientBucket(Instant.ofEpochMilli(rs.getLong(1) * ms), rs.getString(2), rs.getLong(3),
                                rs.getLong(4), rs.getLong(5)));
                    }
                }
                return out;
            }
        });
    }

    /** Requests, failures (status 400 and up, or none) and tokens of one client key. */
    public record ClientCount(String client, long requests, long failed, long inputTokens, long outputTokens) {}

    /** Use per client key since {@code from}, most requests first; rows without a client count as "(unknown)". */
    public synchronized List<ClientCount> clients(Instant from) throws StoreException {
        String sql = "SELECT COALESCE(client, '(unknown)') AS c, COUNT(*), SUM(CASE WHEN status >= 400 OR status < 100 THEN 1 ELSE 0 END), "
                + "SUM(COALESCE(input_tokens, 0)), SUM(COALESCE(output_tokens, 0)) FROM request_log WHERE started_at_ms >= ? "
                + "GROUP BY c ORDER BY 2 DESC, c";
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setLong(1, from.toEpochMilli());
                List<ClientCount> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(new ClientCount(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)));
                }
                return out;
            }
        });
    }

    /** Maps one row selected with {@link #COLUMNS}. */
    public static RequestRecord map(ResultSet rs) throws SQLException {
        return new RequestRecord(rs.getLong(1), Instant.ofEpochMilli(rs.getLong(2)), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getInt(6), longOrNull(rs, 7), rs.getLong(8), longOrNull(rs, 9), longOrNull(rs, 10),
                longOrNull(rs, 11), longOrNull(rs, 12), chain(rs.getString(13)), rs.getString(14), rs.getString(15),
                rs.getString(16), rs.getString(17));
    }

    /** The chain column holds a JSON array of strings; older or hand-made rows may hold one attempt per line. */
    static List<String> chain(String s) {
        if (s == null || s.isBlank()) return List.of();
        String t = s.trim();
        if (t.startsWith("[")) {
            try {
                return JSON.readValue(t, new TypeReference<List<String>>() {});
            } catch (Exception ignored) {
                // fall through to the plain form
            }
        }
        return Arrays.stream(t.split("\\R")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    private static Long longOrNull(ResultSet rs, int col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : v;
    }

    private record Where(String sql, List<Object> args) {
        int bind(PreparedStatement ps) throws SQLException {
            int i = 1;
            for (Object a : args) {
                if (a instanceof Long l) ps.setLong(i++, l); else ps.setString(i++, (String) a);
            }
            return i;
        }
    }

    private static Where where(Filter f) {
        List<String> parts = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        if (f.maxId() != null) { parts.add("id <= ?"); args.add(f.maxId()); }
        if (f.account() != null) { parts.add("account = ?"); args.add(f.account()); }
        if (f.client() != null) { parts.add("client = ?"); args.add(f.client()); }
        switch (f.status()) {
            case ALL -> { }
            case OK -> parts.add("status BETWEEN 200 AND 399");
            case CLIENT_ERROR -> parts.add("status BETWEEN 400 AND 499 AND status <> 429");
            case RATE_LIMITED -> parts.add("status = 429");
            case SERVER_ERROR -> parts.add("(status >= 500 OR status < 100)");
            case FAILED_OVER -> parts.add("(failover_chain LIKE '%\",\"%' OR failover_chain LIKE '%' || char(10) || '%')");
        }
        if (f.text() != null) {
            String like = "%" + f.text().toLowerCase(Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
            List<String> ors = new ArrayList<>();
            for (String col : new String[] {"model", "path", "error", "failure_class", "session_id", "account", "client", "failover_chain"}) {
                ors.add("lower(" + col + ") LIKE ? ESCAPE '\\'");
                args.add(like);
            }
            parts.add("(" + String.join(" OR ", ors) + ")");
        }
        return new Where(parts.isEmpty() ? "" : " WHERE " + String.join(" AND ", parts), args);
    }

    private interface Work<T> { T run(Connection c) throws SQLException; }

    private <T> T run(Work<T> w) throws StoreException {
        try {
            if (conn == null) {
                conn = db.openExtraConnection();
            }
            return w.run(conn);
        } catch (SQLException e) {
            throw new StoreException("Could not read the request log: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (conn != null) {
            try {
                conn.close();
            } catch (SQLException ignored) {
            }
            conn = null;
        }
    }
}
