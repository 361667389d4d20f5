package io.codexrelay.codex.sessions;

import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Codex's SQLite databases in a Codex home: {@code state_N.sqlite} (table {@code threads}) and
 * {@code thread_history_N.sqlite} (the paginated history projection, which records byte offsets into rollouts).
 *
 * <p>Reading opens the file read-only. Columns are read by name and may be missing: the schema grows with every Codex
 * release. Writing is only for an explicit repair: {@link #openForRepair} gives a connection with a busy timeout, and
 * the caller runs its changes in one transaction. Codex's journal mode is never changed.
 */
public final class StateDb {
    private static final Pattern STATE = Pattern.compile("state_(\\d+)\\.sqlite");
    private static final Pattern HISTORY = Pattern.compile("thread_history_(\\d+)\\.sqlite");
    /** How long a repair waits for Codex to release a write lock. */
    public static final int BUSY_TIMEOUT_MS = 5000;

    private StateDb() {}

    /** The newest {@code state_N.sqlite} in the home, or null. */
    public static Path locate(Path codexHome) {
        return newest(codexHome, STATE);
    }

    /** The newest {@code thread_history_N.sqlite} in the home, or null. */
    public static Path locateHistory(Path codexHome) {
        return newest(codexHome, HISTORY);
    }

    private static Path newest(Path dir, Pattern p) {
        if (!Files.isDirectory(dir)) return null;
        Path best = null;
        int bestN = -1;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.sqlite")) {
            for (Path f : ds) {
                Matcher m = p.matcher(f.getFileName().toString());
                if (m.matches() && Integer.parseInt(m.group(1)) > bestN) {
                    bestN = Integer.parseInt(m.group(1));
                    best = f;
                }
            }
        } catch (IOException e) {
            return null;
        }
        return best;
    }

    public static Connection openReadOnly(Path db) throws SQLException {
        if (!Files.isRegularFile(db)) throw new SQLException("file not found: " + db);
        if (!Files.isReadable(db)) throw new SQLException("no permission to read " + db);
        SQLiteConfig cfg = new SQLiteConfig();
        cfg.setReadOnly(true);
        cfg.setOpenMode(SQLiteOpenMode.READONLY);
        cfg.setBusyTimeout(BUSY_TIMEOUT_MS);
        Connection c = cfg.createConnection("jdbc:sqlite:" + db.toAbsolutePath());
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA query_only = 1");
        }
        return c;
    }

    /** A read-write connection for one repair. Foreign keys stay off so a delete never cascades beyond what we saved. */
    public static Connection openForRepair(Path db) throws SQLException {
        return openForRepair(db, false);
    }

    /**
     * As {@link #openForRepair(Path)}; {@code immediate} makes each transaction take the write lock when it begins, so a
     * repair waits for Codex (busy timeout) before it reads the rows it is about to change, never half-way through.
     */
    public static Connection openForRepair(Path db, boolean immediate) throws SQLException {
        if (!Files.isRegularFile(db)) throw new SQLException("file not found: " + db);
        SQLiteConfig cfg = new SQLiteConfig();
        cfg.setBusyTimeout(BUSY_TIMEOUT_MS);
        cfg.enforceForeignKeys(false);
        if (immediate) cfg.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        return cfg.createConnection("jdbc:sqlite:" + db.toAbsolutePath());
    }

    public static Set<String> columns(Connection c, String table) throws SQLException {
        return new LinkedHashSet<>(columnNames(c, table, ""));
    }

    /** Columns an insert must fill: NOT NULL, no default, not the primary key. */
    public static List<String> requiredColumns(Connection c, String table) throws SQLException {
        return columnNames(c, table, " WHERE \"notnull\" = 1 AND dflt_value IS NULL AND pk = 0");
    }

    /** The primary key's columns in key order; empty for a table without one (rowid only). */
    public static List<String> primaryKey(Connection c, String table) throws SQLException {
        return columnNames(c, table, " WHERE pk > 0 ORDER BY pk");
    }

    private static List<String> columnNames(Connection c, String table, String condition) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT name FROM pragma_table_info(?)" + condition)) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        }
        return out;
    }

    public static List<String> tables(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")) {
            while (rs.next()) out.add(rs.getString(1));
        }
        return out;
    }

    /** Every thread row of the database. Throws when the file is not a readable SQLite database with a threads table. */
    public static List<ThreadRow> readThreads(Path db) throws SQLException {
        try (Connection c = openReadOnly(db)) {
            return readThreads(c);
        }
    }

    public static List<ThreadRow> readThreads(Connection c) throws SQLException {
        Set<String> cols = columns(c, "threads");
        if (cols.isEmpty()) throw new SQLException("no table named threads");
        if (!cols.contains("id")) throw new SQLException("the threads table has no id column");
        String[] wanted = {"id", "rollout_path", "created_at", "created_at_ms", "updated_at", "updated_at_ms", "source",
                "model_provider", "cwd", "title", "tokens_used", "archived", "archived_at", "git_sha", "git_branch",
                "git_origin_url", "cli_version", "first_user_message", "model", "reasoning_effort", "preview", "name",
                "originator", "thread_source"};
        List<String> sel = new ArrayList<>();
        for (String w : wanted) if (cols.contains(w)) sel.add(w);
        // Long texts (a pasted log as first message) are cut in SQL: the list needs a line, not the whole prompt.
        List<String> exprs = new ArrayList<>();
        for (String col : sel) {
            exprs.add(col.equals("title") || col.equals("first_user_message") || col.equals("preview") || col.equals("name")
                    ? "substr(" + col + ", 1, " + RolloutReader.MAX_TEXT + ")" : col);
        }
        List<ThreadRow> out = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + String.join(", ", exprs) + " FROM threads")) {
            Map<String, Integer> idx = new LinkedHashMap<>();
            for (int i = 0; i < sel.size(); i++) idx.put(sel.get(i), i + 1);
            while (rs.next()) {
                out.add(new ThreadRow(str(rs, idx, "id"), str(rs, idx, "rollout_path"),
                        time(rs, idx, "created_at_ms", "created_at"), time(rs, idx, "updated_at_ms", "updated_at"),
                        str(rs, idx, "source"), str(rs, idx, "model_provider"), str(rs, idx, "cwd"),
                        str(rs, idx, "title"), lng(rs, idx, "tokens_used"), lng(rs, idx, "archived") != 0,
                        time(rs, idx, null, "archived_at"), str(rs, idx, "git_sha"), str(rs, idx, "git_branch"),
                        str(rs, idx, "git_origin_url"), str(rs, idx, "cli_version"),
                        str(rs, idx, "first_user_message"), str(rs, idx, "model"), str(rs, idx, "reasoning_effort"),
                        str(rs, idx, "preview"), str(rs, idx, "name"), str(rs, idx, "originator"),
                        str(rs, idx, "thread_source")));
            }
        }
        return out;
    }

    private static String str(ResultSet rs, Map<String, Integer> idx, String col) throws SQLException {
        Integer i = idx.get(col);
        return i == null ? null : rs.getString(i);
    }

    private static long lng(ResultSet rs, Map<String, Integer> idx, String col) throws SQLException {
        Integer i = idx.get(col);
        return i == null ? 0 : rs.getLong(i);
    }

    private static Instant time(ResultSet rs, Map<String, Integer> idx, String msCol, String secCol) throws SQLException {
        if (msCol != null && idx.containsKey(msCol)) {
            long ms = rs.getLong(idx.get(msCol));
            if (!rs.wasNull() && ms > 0) return Instant.ofEpochMilli(ms);
        }
        if (secCol != null && idx.containsKey(secCol)) {
            long s = rs.getLong(idx.get(secCol));
            if (!rs.wasNull() && s > 0) return Instant.ofEpochSecond(s);
        }
        return null;
    }

    // ---- generic row access, used to move a session's rows to the trash and back exactly ------------------------

    /** Rows of {@code table} where {@code column = value}, every column by name, in rowid order when there is one. */
    public static List<Map<String, Object>> rowsWhere(Connection c, String table, String column, Object value) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + quote(table) + " WHERE " + quote(column) + " = ?")) {
            ps.setObject(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                var md = rs.getMetaData();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) row.put(md.getColumnName(i), rs.getObject(i));
                    out.add(row);
                }
            }
        }
        return out;
    }

    public static void insert(Connection c, String table, Map<String, Object> row) throws SQLException {
        List<String> cols = new ArrayList<>(row.keySet());
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(quote(table)).append(" (");
        for (int i = 0; i < cols.size(); i++) sql.append(i > 0 ? ", " : "").append(quote(cols.get(i)));
        sql.append(") VALUES (").append("?, ".repeat(Math.max(0, cols.size() - 1))).append(cols.isEmpty() ? "" : "?").append(")");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < cols.size(); i++) ps.setObject(i + 1, row.get(cols.get(i)));
            ps.executeUpdate();
        }
    }

    public static int deleteWhere(Connection c, String table, String column, Object value) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + quote(table) + " WHERE " + quote(column) + " = ?")) {
            ps.setObject(1, value);
            return ps.executeUpdate();
        }
    }

    /** Updates the given columns of the rows matching every key column; returns the number of rows changed. */
    public static int update(Connection c, String table, Map<String, Object> key, Map<String, Object> values) throws SQLException {
        StringBuilder sql = new StringBuilder("UPDATE ").append(quote(table)).append(" SET ");
        List<Object> args = new ArrayList<>();
        int i = 0;
        for (var e : values.entrySet()) {
            sql.append(i++ > 0 ? ", " : "").append(quote(e.getKey())).append(" = ?");
            args.add(e.getValue());
        }
        sql.append(" WHERE ");
        i = 0;
        for (var e : key.entrySet()) {
            sql.append(i++ > 0 ? " AND " : "").append(quote(e.getKey())).append(" IS ?");
            args.add(e.getValue());
        }
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int a = 0; a < args.size(); a++) ps.setObject(a + 1, args.get(a));
            return ps.executeUpdate();
        }
    }

    /** Columns of {@code table} that hold a thread id: {@code thread_id}, and the spawn-edge columns. */
    public static List<String> threadIdColumns(Connection c, String table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (String col : columns(c, table)) {
            if (col.equals("thread_id") || col.equals("parent_thread_id") || col.equals("child_thread_id")) out.add(col);
        }
        return out;
    }

    static String quote(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }
}
