package io.codexrelay.codex.sessions;

import io.codexrelay.config.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reverts journal steps. {@link #conflicts} first checks that everything is still as the repair left it (so an undo
 * never overwrites what Codex wrote since); {@link #revert} then puts it back.
 */
public final class StepReverter {
    public StepReverter() {
    }

    /** Why this step cannot be reverted now; empty when it can. */
    public List<String> conflicts(Journal.Step step) {
        List<String> out = new ArrayList<>();
        try {
            if (step instanceof Journal.FileRewrite r) {
                Path p = Path.of(r.path());
                if (!Files.exists(Path.of(r.backup()))) out.add("the backup " + r.backup() + " is gone");
                else if (!Files.exists(p)) out.add(p + " no longer exists");
                else if (!sha(Files.readAllBytes(p)).equals(r.shaAfter())) {
                    byte[] now = Files.readAllBytes(p);
                    if (r.firstLineShaAfter() == null || !sha(SessionMetaEditor.firstLine(now)).equals(r.firstLineShaAfter())) {
                        out.add(p + " was changed after the repair");
                    }
                }
            } else if (step instanceof Journal.IndexEdit r) {
                if (!Files.exists(Path.of(r.backup()))) out.add("the backup " + r.backup() + " is gone");
            } else if (step instanceof Journal.FileMove m) {
                Path from = Path.of(m.from()), to = Path.of(m.to());
                if (!Files.exists(to)) out.add(to + " is gone");
                else if (Files.exists(from)) out.add(from + " exists again (something else was put there)");
                else if (m.sha() != null && !sha(Files.readAllBytes(to)).equals(m.sha())) out.add(to + " was changed after the repair");
            } else if (step instanceof Journal.FileCopy c) {
                Path to = Path.of(c.to());
                if (!Files.exists(to)) out.add(to + " is gone");
                else if (!sha(Files.readAllBytes(to)).equals(c.sha())) {
                    out.add(to + " was changed after the copy (the session was continued there); removing it would lose that");
                }
            } else if (step instanceof Journal.DbBatch b) {
                Path db = Path.of(b.db());
                if (!Files.exists(db)) {
                    out.add(db + " no longer exists");
                } else {
                    try (Connection c = StateDb.openReadOnly(db)) {
                        for (Journal.RowOp op : b.ops()) dbConflicts(c, op, out);
                    }
                }
            }
        } catch (IOException | SQLException e) {
            out.add("could not check: " + e.getMessage());
        }
        return out;
    }

    private static void dbConflicts(Connection c, Journal.RowOp op, List<String> out) throws SQLException {
        if (op instanceof Journal.RowUpdate u) {
            Map<String, Object> now = select(c, u.table(), RepairJournal.decode(u.key()), u.after().keySet());
            if (now == null) out.add("the " + u.table() + " row " + u.key() + " is gone");
            else {
                for (var e : RepairJournal.decode(u.after()).entrySet()) {
                    if (!same(now.get(e.getKey()), e.getValue())) {
                        out.add(u.table() + "." + e.getKey() + " of " + u.key() + " was changed after the repair");
                    }
                }
            }
        } else if (op instanceof Journal.RowInsert i) {
            Map<String, Object> inserted = RepairJournal.decode(i.row());
            Map<String, Object> now = select(c, i.table(), RepairJournal.decode(i.key()), inserted.keySet());
            if (now == null) {
                out.add("the inserted " + i.table() + " row " + i.key() + " is gone");
            } else {
                for (var e : inserted.entrySet()) {
                    if (!same(now.get(e.getKey()), e.getValue())) {
                        out.add(i.table() + "." + e.getKey() + " of the inserted row " + i.key() + " was changed after the repair");
                        break;
                    }
                }
            }
        } else if (op instanceof Journal.RowDelete d) {
            if (select(c, d.table(), RepairJournal.decode(d.key()), d.key().keySet()) != null) {
                out.add("a " + d.table() + " row " + d.key() + " exists again");
            }
        }
    }

    /** Puts the step back. Call {@link #conflicts} first unless the step was done a moment ago. */
    public void revert(Journal.Step step) throws IOException, SQLException {
        if (step instanceof Journal.FileRewrite r) {
            Path p = Path.of(r.path());
            byte[] backup = Files.readAllBytes(Path.of(r.backup()));
            byte[] now = Files.exists(p) ? Files.readAllBytes(p) : null;
            if (now == null || sha(now).equals(r.shaAfter())) {
                AtomicFiles.write(p, backup, false);
            } else {
                // Codex appended since: put back only the first line the repair changed.
                AtomicFiles.write(p, SessionMetaEditor.replaceFirstLine(now, SessionMetaEditor.firstLine(backup)), false);
            }
            // The backup was copied with its attributes: its mtime is the original one, to the last digit.
            Files.setLastModifiedTime(p, Files.getLastModifiedTime(Path.of(r.backup())));
        } else if (step instanceof Journal.IndexEdit r) {
            Path p = Path.of(r.path());
            byte[] backup = Files.readAllBytes(Path.of(r.backup()));
            byte[] now = Files.exists(p) ? Files.readAllBytes(p) : new byte[0];
            if (sha(now).equals(r.shaAfter())) {
                AtomicFiles.write(p, backup, false);
            } else {
                List<SessionIndex.Line> lines = r.removed().stream()
                        .map(l -> new SessionIndex.Line(l.number(), null, null, l.raw())).toList();
                AtomicFiles.writeString(p, SessionIndex.textWithRestored(new String(now, StandardCharsets.UTF_8), lines), false);
            }
        } else if (step instanceof Journal.FileMove m) {
            move(Path.of(m.to()), Path.of(m.from()));
        } else if (step instanceof Journal.FileCopy c) {
            // Only the copy goes, and only while it is the bytes copied: the original is still where it was.
            Path to = Path.of(c.to());
            if (Files.exists(to)) {
                if (!sha(Files.readAllBytes(to)).equals(c.sha())) throw new IOException(to + " was changed after the copy; left in place");
                Files.delete(to);
            }
        } else if (step instanceof Journal.DbBatch b) {
            try (Connection c = StateDb.openForRepair(Path.of(b.db()))) {
                c.setAutoCommit(false);
                try {
                    List<Journal.RowOp> ops = new ArrayList<>(b.ops());
                    java.util.Collections.reverse(ops);
                    for (Journal.RowOp op : ops) revertOp(c, op);
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    c.rollback();
                    throw e;
                }
            }
        }
    }

    private static void revertOp(Connection c, Journal.RowOp op) throws SQLException {
        if (op instanceof Journal.RowUpdate u) {
            StateDb.update(c, u.table(), RepairJournal.decode(u.key()), RepairJournal.decode(u.before()));
        } else if (op instanceof Journal.RowInsert i) {
            deleteByKey(c, i.table(), RepairJournal.decode(i.key()));
        } else if (op instanceof Journal.RowDelete d) {
            StateDb.insert(c, d.table(), RepairJournal.decode(d.row()));
        } else if (op instanceof Journal.OffsetShift s) {
            shift(c, s.table(), s.column(), s.keyColumn(), s.keyValue(), s.min() + s.delta(), -s.delta());
        }
    }

    static int shift(Connection c, String table, String column, String keyColumn, Object keyValue, long min, long delta) throws SQLException {
        String q = "UPDATE " + StateDb.quote(table) + " SET " + StateDb.quote(column) + " = " + StateDb.quote(column) + " + ? WHERE "
                + StateDb.quote(keyColumn) + " = ? AND " + StateDb.quote(column) + " >= ?";
        try (PreparedStatement ps = c.prepareStatement(q)) {
            ps.setLong(1, delta);
            ps.setObject(2, keyValue);
            ps.setLong(3, min);
            return ps.executeUpdate();
        }
    }

    static void deleteByKey(Connection c, String table, Map<String, Object> key) throws SQLException {
        StringBuilder sql = new StringBuilder("DELETE FROM ").append(StateDb.quote(table)).append(" WHERE ");
        int i = 0;
        for (String k : key.keySet()) sql.append(i++ > 0 ? " AND " : "").append(StateDb.quote(k)).append(" IS ?");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            i = 1;
            for (Object v : key.values()) ps.setObject(i++, v);
            ps.executeUpdate();
        }
    }

    static Map<String, Object> select(Connection c, String table, Map<String, Object> key, java.util.Collection<String> cols) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT ");
        int i = 0;
        for (String col : cols) sql.append(i++ > 0 ? ", " : "").append(StateDb.quote(col));
        sql.append(" FROM ").append(StateDb.quote(table)).append(" WHERE ");
        i = 0;
        for (String k : key.keySet()) sql.append(i++ > 0 ? " AND " : "").append(StateDb.quote(k)).append(" IS ?");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            i = 1;
            for (Object v : key.values()) ps.setObject(i++, v);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return null;
                Map<String, Object> out = new java.util.LinkedHashMap<>();
                int n = 1;
                for (String col : cols) out.put(col, rs.getObject(n++));
                return out;
            }
        }
    }

    /** SQLite hands back Integer or Long for the same column; JSON gives back either. Compare by value. */
    static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            if ((x instanceof Double || x instanceof Float) || (y instanceof Double || y instanceof Float)) {
                return x.doubleValue() == y.doubleValue();
            }
            return x.longValue() == y.longValue();
        }
        if (a instanceof byte[] x && b instanceof byte[] y) return java.util.Arrays.equals(x, y);
        return Objects.equals(a, b);
    }

    /** Renames {@code from} to {@code to}, creating the parent; across file systems copies then deletes. */
    public static void move(Path from, Path to) throws IOException {
        Files.createDirectories(to.toAbsolutePath().getParent());
        if (Files.exists(to)) throw new IOException(to + " already exists");
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
            try (var ch = java.nio.channels.FileChannel.open(to, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.delete(from);
        }
    }

    /** Copies {@code from} to {@code to} (new), through a temp file in the target directory and an atomic rename. */
    public static void copy(Path from, Path to) throws IOException {
        Path dir = to.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        if (Files.exists(to)) throw new IOException(to + " already exists");
        Path tmp = Files.createTempFile(dir, "." + to.getFileName(), ".tmp");
        try {
            Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static String sha(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
