package io.codexrelay.store;

import io.codexrelay.config.RelayHome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The relay's SQLite database ({@code relay.db}, WAL, mode 0600). Migrations are the resources
 * {@code db/V1.sql}, {@code db/V2.sql}, ... applied in order inside a transaction each; {@code PRAGMA user_version}
 * records the last one applied. A migration is never edited after it ships: add the next number instead.
 *
 * <p>Access is serialised through {@link #withConnection}: SQLite allows one writer anyway, and the relay's
 * hot path never touches the database (the request log has its own writer thread and connection).
 */
public final class Database implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Database.class);

    private final Path file;
    private final Connection conn;

    @FunctionalInterface
    public interface SqlWork<T> { T run(Connection c) throws SQLException; }

    private final java.util.List<String> notices = new java.util.ArrayList<>();

    public Database(Path file) throws StoreException {
        this.file = file;
        try {
            if (Files.exists(file) && Files.size(file) == 0 && !hasWal(file)) {
                // SQLite takes an empty file for a new database: the accounts would silently be gone (issue 9,
                // fault 7). Keep the empty file aside, start a fresh database and say what happened.
                Path aside = file.resolveSibling(file.getFileName() + ".empty-" + System.currentTimeMillis());
                Files.move(file, aside);
                notices.add(file + " was empty (0 bytes), so the relay started with no accounts. The empty file was kept as "
                        + aside.getFileName() + ". If you have a backup of relay.db, stop the relay and put it back; "
                        + "otherwise add your accounts again (codex-relay accounts add).");
            }
            boolean fresh = !Files.exists(file);
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (fresh) {
                Files.createFile(file);
                RelayHome.restrictToOwner(file, false);
            } else {
                String was = RelayHome.tightenIfLoose(file);
                if (was != null) notices.add(file + " could be read by other users (" + was + "); it holds account secrets, so "
                        + "its mode is now rw------- (only you).");
            }
            this.conn = open(file);
            checkIntegrity();
            migrate();
            for (String side : new String[] {"-wal", "-shm"}) {
                Path p = Path.of(file + side);
                if (Files.exists(p)) RelayHome.restrictToOwner(p, false);
            }
        } catch (IOException | SQLException e) {
            throw new StoreException("Could not open the relay database " + file + ": " + e.getMessage()
                    + ". " + moveAsideHelp(file), e);
        }
        for (String n : notices) log.warn("{}", n);
    }

    private static boolean hasWal(Path file) throws IOException {
        Path wal = Path.of(file + "-wal");
        return Files.exists(wal) && Files.size(wal) > 0;
    }

    /** What to do with a damaged database, the same words for a bad header and a bad page. */
    static String moveAsideHelp(Path file) {
        return "If it is damaged, stop the relay, move it aside (mv " + file + " " + file + ".damaged) and start again: "
                + "a new database is made and the accounts need to be added again (or restore relay.db from a backup).";
    }

    /**
     * A corrupt page deep in the file is not noticed by opening it, only by the query that reads that page. A quick
     * check at start (milliseconds for the relay's small database) turns it into the same clear "move it aside" help as
     * a damaged header instead of a "malformed" error in the middle of a request.
     */
    private void checkIntegrity() throws SQLException {
        try (Statement st = conn.createStatement(); var rs = st.executeQuery("PRAGMA quick_check(1)")) {
            String result = rs.next() ? rs.getString(1) : "no result";
            if (!"ok".equalsIgnoreCase(result)) throw new SQLException("the database is damaged (" + result + ")");
        }
    }

    /** Things the user should be told about that happened while opening (an empty file set aside, a mode tightened). */
    public java.util.List<String> notices() {
        return java.util.List.copyOf(notices);
    }

    /** Opens a further connection to the same file (for a dedicated writer thread). */
    public Connection openExtraConnection() throws SQLException {
        return open(file);
    }

    private static Connection open(Path file) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode=WAL");
            st.execute("PRAGMA synchronous=NORMAL");
            st.execute("PRAGMA foreign_keys=ON");
            st.execute("PRAGMA busy_timeout=5000");
        }
        return c;
    }

    public Path file() { return file; }

    public synchronized <T> T withConnection(SqlWork<T> work) throws StoreException {
        try {
            return work.run(conn);
        } catch (SQLException e) {
            String msg = e.getMessage() == null ? "" : e.getMessage();
            boolean corrupt = msg.contains("malformed") || msg.contains("SQLITE_CORRUPT") || msg.contains("SQLITE_NOTADB");
            throw new StoreException("Database error in " + file.getFileName() + ": " + msg + (corrupt ? ". " + moveAsideHelp(file) : ""), e);
        }
    }

    /** Runs {@code work} in one transaction: all of it lands, or none of it. */
    public synchronized <T> T inTransaction(SqlWork<T> work) throws StoreException {
        try {
            conn.setAutoCommit(false);
            try {
                T result = work.run(conn);
                conn.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                conn.rollback();
                throw e;
            } finally {
                conn.setAutoCommit(true);
            }
        } catch (SQLException e) {
            String msg = e.getMessage() == null ? "" : e.getMessage();
            boolean corrupt = msg.contains("malformed") || msg.contains("SQLITE_CORRUPT") || msg.contains("SQLITE_NOTADB");
            throw new StoreException("Database error in " + file.getFileName() + ": " + msg + (corrupt ? ". " + moveAsideHelp(file) : ""), e);
        }
    }

    private void migrate() throws SQLException, IOException {
        int version;
        try (var rs = conn.createStatement().executeQuery("PRAGMA user_version")) {
            version = rs.next() ? rs.getInt(1) : 0;
        }
        for (int v = version + 1; ; v++) {
            String sql = migrationText(v);
            if (sql == null) break;
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                for (String part : sql.split(";\\s*(\\r?\\n|$)")) {
                    String stmt = stripComments(part).trim();
                    if (!stmt.isEmpty()) st.execute(stmt);
                }
                st.execute("PRAGMA user_version = " + v);
                conn.commit();
                log.info("Database {} migrated to schema version {}", file.getFileName(), v);
            } catch (SQLException e) {
                conn.rollback();
                throw new SQLException("migration V" + v + " failed: " + e.getMessage(), e);
            } finally {
                conn.setAutoCommit(true);
            }
        }
    }

    private static String stripComments(String sql) {
        StringBuilder sb = new StringBuilder();
        for (String line : sql.split("\n")) {
            if (!line.trim().startsWith("--")) sb.append(line).append('\n');
        }
        return sb.toString();
    }

    private static String migrationText(int v) throws IOException {
        try (InputStream in = Database.class.getResourceAsStream("/db/V" + v + ".sql")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public synchronized void close() {
        try {
            conn.close();
        } catch (SQLException e) {
            log.warn("Closing {} failed: {}", file, e.getMessage());
        }
    }
}
