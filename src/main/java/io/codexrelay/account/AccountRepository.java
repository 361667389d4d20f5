package io.codexrelay.account;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.store.Database;
import io.codexrelay.store.StoreException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Accounts in {@code relay.db}. Names are unique; a ChatGPT account id appears at most once. */
public final class AccountRepository {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "id, name, kind, enabled, priority, max_concurrent, base_url, secret_json, "
            + "chatgpt_account_id, email, plan, source_codex_home, created_at_ms, updated_at_ms, wire, model_rules, clients, balance_source, websocket";

    private final Database db;
    private final Clock clock;

    public AccountRepository(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** All accounts, by priority then name. */
    public List<Account> list() throws StoreException {
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("SELECT " + COLUMNS + " FROM accounts ORDER BY priority, name");
                 var rs = ps.executeQuery()) {
                List<Account> out = new ArrayList<>();
                while (rs.next()) out.add(read(rs));
                return out;
            }
        });
    }

    public Optional<Account> findByName(String name) throws StoreException {
        return findBy("name", name);
    }

    public Optional<Account> findByChatGptAccountId(String accountId) throws StoreException {
        return findBy("chatgpt_account_id", accountId);
    }

    private Optional<Account> findBy(String column, String value) throws StoreException {
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("SELECT " + COLUMNS + " FROM accounts WHERE " + column + " = ?")) {
                ps.setString(1, value);
                try (var rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    /** Inserts a new account; fails with a clear message when the name is taken. Returns it with its id. */
    public Account insert(Account a) throws StoreException {
        if (findByName(a.name()).isPresent()) {
            throw new StoreException("An account named '" + a.name() + "' already exists. Choose another --name, or remove it first.");
        }
        long now = clock.millis();
        long id = db.withConnection(c -> {
            try (var ps = c.prepareStatement("INSERT INTO accounts (name, kind, enabled, priority, max_concurrent, base_url, "
                    + "secret_json, chatgpt_account_id, email, plan, source_codex_home, created_at_ms, updated_at_ms, wire, model_rules, "
                    + "websocket) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", PreparedStatement.RETURN_GENERATED_KEYS)) {
                bind(ps, a);
                ps.setLong(12, now);
                ps.setLong(13, now);
                bindWire(ps, a, 14);
                // an API key's own transport when it comes with one (an imported or synced account)
                bindWebsocket(ps, 16, a.credentials() instanceof Credentials.ApiKey k ? k.websocket() : null);
                ps.executeUpdate();
                try (var keys = ps.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        });
        return findByName(a.name()).orElseThrow(() -> new StoreException("account " + id + " vanished after insert"));
    }

    /** Replaces every stored field of the account with this id. */
    public Account update(Account a) throws StoreException {
        int n = db.withConnection(c -> {
            try (var ps = c.prepareStatement("UPDATE accounts SET name=?, kind=?, enabled=?, priority=?, max_concurrent=?, "
                    + "base_url=?, secret_json=?, chatgpt_account_id=?, email=?, plan=?, source_codex_home=?, updated_at_ms=?, "
                    + "wire=?, model_rules=? WHERE id=?")) {
                bind(ps, a);
                ps.setLong(12, clock.millis());
                bindWire(ps, a, 13);
                ps.setLong(15, a.id());
                return ps.executeUpdate();
            }
        });
        if (n == 0) throw new StoreException("Account '" + a.name() + "' no longer exists.");
        return findByName(a.name()).orElseThrow();
    }

    /** Stores new tokens after a refresh, touching nothing else. */
    public void updateCredentials(long id, Credentials creds) throws StoreException {
        db.withConnection(c -> {
            try (var ps = c.prepareStatement("UPDATE accounts SET secret_json=?, updated_at_ms=? WHERE id=?")) {
                ps.setString(1, secretJson(creds));
                ps.setLong(2, clock.millis());
                ps.setLong(3, id);
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Stores whether the relay speaks WebSocket to this API-key account's upstream: true, false, or null for the
     * pool-wide {@code websocket.api_key_upstream}. Like the client list, only this call changes it ({@link #insert} stores
     * what a new account comes with; {@link #update} leaves it).
     */
    public void setWebsocket(long id, Boolean websocket) throws StoreException {
        db.withConnection(c -> {
            try (var ps = c.prepareStatement("UPDATE accounts SET websocket=?, updated_at_ms=? WHERE id=?")) {
                bindWebsocket(ps, 1, websocket);
                ps.setLong(2, clock.millis());
                ps.setLong(3, id);
                return ps.executeUpdate();
            }
        });
    }

    private static Boolean websocket(ResultSet rs) throws SQLException {
        int v = rs.getInt("websocket");
        return rs.wasNull() ? null : v != 0;
    }

    /** Stores which kinds of tool the account serves (empty: every tool). */
    public void setClients(long id, java.util.Set<ClientKind> clients) throws StoreException {
        String text = clients == null || clients.isEmpty() ? null : ClientKind.format(clients);
        setColumn(id, "clients", text);
    }

    /** Stores where the account's balance is read (null: nowhere). */
    public void setBalanceSource(long id, BalanceSource source) throws StoreException {
        String json = null;
        if (source != null) {
            ObjectNode n = JSON.createObjectNode();
            n.put("url", source.url());
            n.put("remaining_path", source.remainingPath());
            if (source.limitPath() != null) n.put("limit_path", source.limitPath());
            n.put("interval_seconds", source.interval().toSeconds());
            json = n.toString();
        }
        setColumn(id, "balance_source", json);
    }

    private void setColumn(long id, String column, String value) throws StoreException {
        int n = db.withConnection(c -> {
            try (var ps = c.prepareStatement("UPDATE accounts SET " + column + "=?, updated_at_ms=? WHERE id=?")) {
                if (value == null) ps.setNull(1, Types.VARCHAR); else ps.setString(1, value);
                ps.setLong(2, clock.millis());
                ps.setLong(3, id);
                return ps.executeUpdate();
            }
        });
        if (n == 0) throw new StoreException("Account " + id + " no longer exists.");
    }

    public boolean delete(String name) throws StoreException {
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("DELETE FROM accounts WHERE name = ?")) {
                ps.setString(1, name);
                return ps.executeUpdate() > 0;
            }
        });
    }

    /** The websocket column: 1, 0, or NULL for the pool-wide setting. */
    private static void bindWebsocket(PreparedStatement ps, int index, Boolean websocket) throws SQLException {
        if (websocket == null) ps.setNull(index, Types.INTEGER);
        else ps.setInt(index, websocket ? 1 : 0);
    }

    private static void bind(PreparedStatement ps, Account a) throws SQLException {
        ps.setString(1, a.name());
        ps.setString(2, a.kind().label());
        ps.setInt(3, a.enabled() ? 1 : 0);
        ps.setInt(4, a.priority());
        if (a.maxConcurrent() == null) ps.setNull(5, Types.INTEGER); else ps.setInt(5, a.maxConcurrent());
        ps.setString(6, a.credentials() instanceof Credentials.ApiKey k ? k.baseUrl() : null);
        ps.setString(7, secretJson(a.credentials()));
        ps.setString(8, a.chatgptAccountId());
        ps.setString(9, a.email());
        ps.setString(10, a.plan());
        ps.setString(11, a.sourceCodexHome());
    }

    /** The wire and the model rules (two parameters from {@code index}). */
    private static void bindWire(PreparedStatement ps, Account a, int index) throws SQLException {
        if (a.credentials() instanceof Credentials.ApiKey k) {
            ps.setString(index, k.wire().label());
            if (k.modelRules().isEmpty()) ps.setNull(index + 1, Types.VARCHAR);
            else {
                var arr = JSON.createArrayNode();
                for (ModelRule r : k.modelRules()) arr.addObject().put("pattern", r.pattern()).put("target", r.target());
                ps.setString(index + 1, arr.toString());
            }
        } else {
            ps.setString(index, Wire.RESPONSES.label());
            ps.setNull(index + 1, Types.VARCHAR);
        }
    }

    private static List<ModelRule> modelRules(String json) throws SQLException {
        if (json == null || json.isBlank()) return List.of();
        try {
            List<ModelRule> out = new ArrayList<>();
            for (JsonNode n : JSON.readTree(json)) out.add(new ModelRule(n.path("pattern").asText(), n.path("target").asText()));
            return out;
        } catch (Exception e) {
            throw new SQLException("stored model rules are unreadable: " + e.getMessage());
        }
    }

    private static String secretJson(Credentials creds) {
        ObjectNode n = JSON.createObjectNode();
        if (creds instanceof Credentials.ChatGptTokens t) {
            n.put("id_token", t.idToken());
            n.put("access_token", t.accessToken());
            n.put("refresh_token", t.refreshToken());
            n.put("account_id", t.accountId());
            if (t.lastRefresh() != null) n.put("last_refresh", t.lastRefresh().toString());
        } else if (creds instanceof Credentials.ApiKey k) {
            n.put("key", k.key());
        }
        return n.toString();
    }

    private static Account read(ResultSet rs) throws SQLException {
        Account.Kind kind = Account.Kind.fromLabel(rs.getString("kind"));
        JsonNode s;
        try {
            s = JSON.readTree(rs.getString("secret_json"));
        } catch (Exception e) {
            throw new SQLException("stored credentials of account '" + rs.getString("name") + "' are unreadable");
        }
        Credentials creds = kind == Account.Kind.CHATGPT
                ? new Credentials.ChatGptTokens(text(s, "id_token"), text(s, "access_token"), text(s, "refresh_token"),
                    text(s, "account_id"), s.hasNonNull("last_refresh") ? Instant.parse(s.get("last_refresh").asText()) : null)
                : new Credentials.ApiKey(text(s, "key"), rs.getString("base_url"), Wire.fromLabel(rs.getString("wire")),
                    modelRules(rs.getString("model_rules")), websocket(rs));
        int mc = rs.getInt("max_concurrent");
        Integer maxConcurrent = rs.wasNull() ? null : mc;
        java.util.Set<ClientKind> clients;
        try {
            String c = rs.getString("clients");
            clients = c == null ? java.util.Set.of() : ClientKind.parseList(List.of(c));
        } catch (IllegalArgumentException e) {
            throw new SQLException("stored clients of account '" + rs.getString("name") + "' are unreadable: " + e.getMessage());
        }
        return new Account(rs.getLong("id"), rs.getString("name"), kind, rs.getInt("enabled") != 0, rs.getInt("priority"),
                maxConcurrent, creds, rs.getString("email"), rs.getString("plan"), rs.getString("source_codex_home"),
                Instant.ofEpochMilli(rs.getLong("created_at_ms")), Instant.ofEpochMilli(rs.getLong("updated_at_ms")),
                clients, balanceSource(rs.getString("balance_source"), rs.getString("name")));
    }

    private static BalanceSource balanceSource(String json, String account) throws SQLException {
        if (json == null || json.isBlank()) return null;
        try {
            JsonNode n = JSON.readTree(json);
            return new BalanceSource(n.path("url").asText(), n.path("remaining_path").asText(),
                    n.hasNonNull("limit_path") ? n.get("limit_path").asText() : null,
                    java.time.Duration.ofSeconds(n.path("interval_seconds").asLong(BalanceSource.DEFAULT_INTERVAL.toSeconds())));
        } catch (Exception e) {
            throw new SQLException("stored balance source of account '" + account + "' is unreadable: " + e.getMessage());
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** For callers that need several statements in one transaction. */
    public Database database() { return db; }

    @SuppressWarnings("unused")
    private static void unused(Connection c) {}
}
