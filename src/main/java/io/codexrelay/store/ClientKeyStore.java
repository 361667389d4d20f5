package io.codexrelay.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Client keys in {@code client_keys}: per-tool keys ({@code keys create}) and the keys of {@code codex-relay run}
 * processes. Name, the key's SHA-256, the account its requests go to first (strict: only there), optional limits,
 * created / revoked times, and for a run key the process that holds it.
 */
public final class ClientKeyStore {

    /**
     * One stored key; {@code keyHash} is the hex SHA-256 of the key, never the key. {@code account} null: the pool
     * chooses. {@code runPid}: set on a run key (its row is deleted when the run ends, not kept as revoked).
     */
    public record StoredKey(String name, String keyHash, Integer rpm, Integer maxConcurrent, Instant created, Instant revoked,
                            String account, boolean strict, Long runPid) {
        public StoredKey(String name, String keyHash, Integer rpm, Integer maxConcurrent, Instant created, Instant revoked) {
            this(name, keyHash, rpm, maxConcurrent, created, revoked, null, false, null);
        }

        public boolean active() { return revoked == null; }
    }

    private final Database db;

    public ClientKeyStore(Database db) { this.db = db; }

    public void insert(StoredKey k) throws StoreException {
        db.withConnection(c -> {
            try (var ps = c.prepareStatement("INSERT INTO client_keys(name, key_hash, rpm, max_concurrent, created_ms, revoked_ms, "
                    + "account, strict, run_pid) VALUES(?, ?, ?, ?, ?, NULL, ?, ?, ?)")) {
                ps.setString(1, k.name());
                ps.setString(2, k.keyHash());
                ps.setObject(3, k.rpm());
                ps.setObject(4, k.maxConcurrent());
                ps.setLong(5, k.created().toEpochMilli());
                ps.setString(6, k.account());
                ps.setInt(7, k.strict() ? 1 : 0);
                ps.setObject(8, k.runPid());
                return ps.executeUpdate();
            }
        });
    }

    /** Every key, revoked ones too, oldest first. */
    public List<StoredKey> list() throws StoreException {
        return db.withConnection(c -> {
            List<StoredKey> out = new ArrayList<>();
            try (var rs = c.createStatement().executeQuery("SELECT name, key_hash, rpm, max_concurrent, created_ms, revoked_ms, "
                    + "account, strict, run_pid FROM client_keys ORDER BY created_ms, name")) {
                while (rs.next()) {
                    long revoked = rs.getLong(6);
                    boolean wasNull = rs.wasNull();
                    long pid = rs.getLong(9);
                    Long runPid = rs.wasNull() ? null : pid;
                    out.add(new StoredKey(rs.getString(1), rs.getString(2), (Integer) intOrNull(rs.getObject(3)),
                            (Integer) intOrNull(rs.getObject(4)), Instant.ofEpochMilli(rs.getLong(5)),
                            wasNull ? null : Instant.ofEpochMilli(revoked), rs.getString(7), rs.getInt(8) != 0, runPid));
                }
            }
            return out;
        });
    }

    /** Marks a key revoked; false when no active key has that name. */
    public boolean revoke(String name, Instant at) throws StoreException {
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("UPDATE client_keys SET revoked_ms = ? WHERE name = ? AND revoked_ms IS NULL")) {
                ps.setLong(1, at.toEpochMilli());
                ps.setString(2, name);
                return ps.executeUpdate() > 0;
            }
        });
    }

    /** Deletes a run key (a run's key is gone with its run; nothing to keep); false when there was none. */
    public boolean deleteRun(String name) throws StoreException {
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("DELETE FROM client_keys WHERE name = ? AND run_pid IS NOT NULL")) {
                ps.setString(1, name);
                return ps.executeUpdate() > 0;
            }
        });
    }

    private static Object intOrNull(Object o) {
        return o == null ? null : ((Number) o).intValue();
    }
}
