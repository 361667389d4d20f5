package io.codexrelay.account;

import io.codexrelay.store.Database;
import io.codexrelay.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Request parameters an upstream refused (a 400 naming the parameter), per account and upstream model, kept in
 * {@code relay.db} ({@code learned_params}) so later requests leave them out. Read from the database on every
 * converted request (one indexed query) rather than cached, so a reset from the CLI — offline or through the
 * daemon — takes effect on the next request.
 */
public final class LearnedParameters {
    private static final Logger log = LoggerFactory.getLogger(LearnedParameters.class);

    /** One learned parameter, for the CLI. */
    public record Learned(String model, String param, long learnedAtMs) {}

    private final Database db;
    private final Clock clock;

    public LearnedParameters(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** The parameters to leave out of requests for {@code model} on this account (empty when none). */
    public Set<String> dropped(long accountId, String model) {
        String m = model == null ? "" : model;
        try {
            return db.withConnection(c -> {
                try (var ps = c.prepareStatement("SELECT param FROM learned_params WHERE account_id = ? AND model = ?")) {
                    ps.setLong(1, accountId);
                    ps.setString(2, m);
                    try (var rs = ps.executeQuery()) {
                        Set<String> out = new TreeSet<>();
                        while (rs.next()) out.add(rs.getString(1));
                        return out;
                    }
                }
            });
        } catch (StoreException e) {
            log.warn("Could not read the learned parameters of account {}: {}", accountId, e.getMessage());
            return Set.of();
        }
    }

    /** Remembers that {@code model} on this account refuses {@code param}. */
    public void learn(long accountId, String model, String param) {
        String m = model == null ? "" : model;
        try {
            db.withConnection(c -> {
                try (var ps = c.prepareStatement("INSERT OR REPLACE INTO learned_params (account_id, model, param, learned_at_ms) VALUES (?,?,?,?)")) {
                    ps.setLong(1, accountId);
                    ps.setString(2, m);
                    ps.setString(3, param);
                    ps.setLong(4, clock.millis());
                    return ps.executeUpdate();
                }
            });
        } catch (StoreException e) {
            log.warn("Could not store the learned parameter {} of account {}: {}", param, accountId, e.getMessage());
        }
    }

    /** What this account has learned, by model then parameter. */
    public List<Learned> list(long accountId) throws StoreException {
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("SELECT model, param, learned_at_ms FROM learned_params WHERE account_id = ? ORDER BY model, param")) {
                ps.setLong(1, accountId);
                try (var rs = ps.executeQuery()) {
                    List<Learned> out = new ArrayList<>();
                    while (rs.next()) out.add(new Learned(rs.getString(1), rs.getString(2), rs.getLong(3)));
                    return out;
                }
            }
        });
    }

    /** Forgets everything this account learned; returns how many parameters were forgotten. */
    public int reset(long accountId) throws StoreException {
        int n = db.withConnection(c -> {
            try (var ps = c.prepareStatement("DELETE FROM learned_params WHERE account_id = ?")) {
                ps.setLong(1, accountId);
                return ps.executeUpdate();
            }
        });
        return n;
    }

}
