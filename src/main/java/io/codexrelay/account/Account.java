package io.codexrelay.account;

import java.time.Instant;

/**
 * One account of the pool. {@code maxConcurrent} null means the configured default for its kind.
 * {@code sourceCodexHome} is the Codex home it was imported from (used to adopt tokens Codex refreshed).
 * {@code clients}: the kinds of tool it serves (empty: every tool); {@code balance}: where its provider tells the
 * remaining balance (null: nowhere). Both are stored by their own repository calls ({@link AccountRepository#setClients},
 * {@link AccountRepository#setBalanceSource}), so code that rebuilds an account with the short constructor to change
 * something else never clears them.
 */
public record Account(long id, String name, Kind kind, boolean enabled, int priority, Integer maxConcurrent,
                      Credentials credentials, String email, String plan, String sourceCodexHome,
                      Instant createdAt, Instant updatedAt, java.util.Set<ClientKind> clients, BalanceSource balance) {

    public Account {
        clients = clients == null ? java.util.Set.of() : java.util.Set.copyOf(clients);
    }

    /** An account that serves every client and has no balance endpoint. */
    public Account(long id, String name, Kind kind, boolean enabled, int priority, Integer maxConcurrent,
                   Credentials credentials, String email, String plan, String sourceCodexHome,
                   Instant createdAt, Instant updatedAt) {
        this(id, name, kind, enabled, priority, maxConcurrent, credentials, email, plan, sourceCodexHome, createdAt,
                updatedAt, java.util.Set.of(), null);
    }

    /** Whether this account may serve requests of that kind of tool. */
    public boolean serves(ClientKind client) {
        return clients.isEmpty() || client == null || clients.contains(client);
    }

    public enum Kind {
        CHATGPT("chatgpt"), API_KEY("api-key");

        private final String label;
        Kind(String label) { this.label = label; }
        public String label() { return label; }

        public static Kind fromLabel(String s) {
            for (Kind k : values()) if (k.label.equals(s)) return k;
            throw new IllegalArgumentException("unknown account kind '" + s + "' (chatgpt or api-key)");
        }
    }

    public String chatgptAccountId() {
        return credentials instanceof Credentials.ChatGptTokens t ? t.accountId() : null;
    }

    public Account withCredentials(Credentials c) {
        return new Account(id, name, kind, enabled, priority, maxConcurrent, c, email, plan, sourceCodexHome, createdAt,
                updatedAt, clients, balance);
    }

    @Override public String toString() {
        return "Account[" + name + " (" + kind.label + ")]";
    }
}
