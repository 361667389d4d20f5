package io.codexrelay.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Per-tool client keys in {@code client_keys}: name, the key's SHA-256, optional limits, created / revoked times. */
public final class ClientKeyStore {

    /** One stored key; {@code keyHash} is the hex SHA-256 of the key, never the key. */
    public record StoredKey(String name, String keyHash, Integer rpm, Integer maxConcurrent, Instant created, Instant revoked) {
        public boolean active() { return revoked == null; }
    }

    private final Database db;

    public ClientKeyStore(Database db) { this.db = db; }

    public void insert(StoredKey k) throws StoreException {
        db.withConnection(c -> {
            try (var ps = c.prepareStatement("INSERT INTO client_keys(name, key_hash, rpm, max_concurrent, created_ms, revoked_ms) "
                    + "VALUES(?, ?, ?, ?, ?, NULL)")) {
                ps.setString(1, k.name());
                ps.setString(2, k.keyHash());
                ps.setObject(3, k.rpm());
                ps.setObject(4, k.maxConcurrent());
                ps.setLong(5, k.created().toEpochMilli());
                return ps.executeUpdate();
            }
        });
    }

    /** Every key, revoked ones too, oldest first. */
    public List<StoredKey> list() throws StoreException {
        return db.withConnection(c -> {
            List<StoredKey> out = new ArrayList<>();
            try (var rs = c.createStatement().executeQuery(
                    "SELECT name, key_hash, rpm, max_concurrent, created_ms, revoked_ms FROM client_keys ORDER BY created_ms, name")) {
                while (rs.next()) {
                    long revoked = rs.getLong(6);
                    boolean wasNull = rs.wasNull();
                    out.add(new StoredKey(rs.getString(1), rs.getString(2), (Integer) intOrNull(rs.getObject(3)),
                            (Integer) intOrNull(rs.getObject(4)), Instant.ofEpochMilli(rs.getLong(5)),
                            wasNull ? null : Instant.ofEpochMilli(revoked)));
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

    private static Object intOrNull(Object o) {
        return o == null ? null : ((Number) o).intValue();
    }
}
