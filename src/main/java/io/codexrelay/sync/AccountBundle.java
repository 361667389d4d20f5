package io.codexrelay.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.account.Account;
import io.codexrelay.account.Credentials;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What the encrypted accounts file holds (before {@link SealedFile} seals it): every account with its secrets and
 * settings, who wrote the file and when, and per ChatGPT account which machine last refreshed its tokens (so two
 * machines that both refresh one refresh token get a warning: the rotation makes one of them fail).
 */
public record AccountBundle(String writtenBy, Instant writtenAt, List<Entry> accounts) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One account. {@code identity} is what import and sync match on: {@code chatgpt:<account id>} for a ChatGPT
     * login, {@code key:<sha-256 prefix of the key>} for an API key (the key itself never serves as a name).
     * {@code refreshedBy} names the machine that last refreshed the tokens (null for an API key).
     */
    public record Entry(String identity, String name, Account.Kind kind, boolean enabled, int priority, Integer maxConcurrent,
                        String email, String plan, Credentials credentials, Instant settingsChangedAt, String refreshedBy) {
        /** When the tokens were last refreshed; null for an API key or when unknown. */
        public Instant tokensRefreshedAt() {
            return credentials instanceof Credentials.ChatGptTokens t ? t.lastRefresh() : null;
        }

        @Override public String toString() { return "Entry[" + name + " " + identity + "]"; }
    }

    /** The identity import and sync match accounts by. */
    public static String identity(Account a) {
        return identity(a.credentials());
    }

    public static String identity(Credentials c) {
        if (c instanceof Credentials.ChatGptTokens t) return "chatgpt:" + t.accountId();
        Credentials.ApiKey k = (Credentials.ApiKey) c;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(k.key().getBytes(StandardCharsets.UTF_8));
            return "key:" + HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Entry entryOf(Account a, String refreshedBy) {
        return new Entry(identity(a), a.name(), a.kind(), a.enabled(), a.priority(), a.maxConcurrent(), a.email(), a.plan(),
                a.credentials(), a.updatedAt(), a.kind() == Account.Kind.CHATGPT ? refreshedBy : null);
    }

    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("writtenBy", writtenBy).put("writtenAt", writtenAt.toString());
        ArrayNode arr = root.putArray("accounts");
        for (Entry e : accounts) {
            ObjectNode n = arr.addObject();
            n.put("identity", e.identity()).put("name", e.name()).put("kind", e.kind().label()).put("enabled", e.enabled())
                    .put("priority", e.priority());
            if (e.maxConcurrent() != null) n.put("maxConcurrent", e.maxConcurrent());
            n.put("email", e.email()).put("plan", e.plan());
            if (e.settingsChangedAt() != null) n.put("settingsChangedAt", e.settingsChangedAt().toString());
            n.put("refreshedBy", e.refreshedBy());
            ObjectNode s = n.putObject("secret");
            if (e.credentials() instanceof Credentials.ChatGptTokens t) {
                s.put("id_token", t.idToken()).put("access_token", t.accessToken()).put("refresh_token", t.refreshToken())
                        .put("account_id", t.accountId());
                if (t.lastRefresh() != null) s.put("last_refresh", t.lastRefresh().toString());
            } else if (e.credentials() instanceof Credentials.ApiKey k) {
                s.put("key", k.key()).put("base_url", k.baseUrl()).put("wire", k.wire().label());
                var rules = s.putArray("model_rules");
                for (var r : k.modelRules()) rules.add(r.toString());
                if (k.websocket() != null) s.put("websocket", k.websocket()); // absent: the pool-wide setting
            }
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (Exception x) {
            throw new IllegalStateException(x);
        }
    }

    /** Reads the decrypted JSON; a malformed one is an {@link SealedFile.OpenException} that says so. */
    public static AccountBundle fromJson(byte[] json) throws SealedFile.OpenException {
        try {
            JsonNode root = JSON.readTree(json);
            List<Entry> list = new ArrayList<>();
            for (JsonNode n : root.path("accounts")) {
                Account.Kind kind = Account.Kind.fromLabel(n.path("kind").asText());
                JsonNode s = n.path("secret");
                Credentials c = kind == Account.Kind.CHATGPT
                        ? new Credentials.ChatGptTokens(text(s, "id_token"), text(s, "access_token"), text(s, "refresh_token"),
                            text(s, "account_id"), instant(s, "last_refresh"))
                        : new Credentials.ApiKey(text(s, "key"), text(s, "base_url"),
                            io.codexrelay.account.Wire.fromLabel(text(s, "wire")), modelRules(s.path("model_rules")),
                            s.hasNonNull("websocket") ? s.get("websocket").asBoolean() : null);
                String identity = identity(c);
                if (!identity.equals(n.path("identity").asText())) throw new IllegalArgumentException("identity mismatch");
                list.add(new Entry(identity, text(n, "name"), kind, n.path("enabled").asBoolean(true), n.path("priority").asInt(100),
                        n.hasNonNull("maxConcurrent") ? n.get("maxConcurrent").asInt() : null, text(n, "email"), text(n, "plan"), c,
                        instant(n, "settingsChangedAt"), text(n, "refreshedBy")));
            }
            return new AccountBundle(text(root, "writtenBy"), instant(root, "writtenAt"), List.copyOf(list));
        } catch (Exception e) {
            throw new SealedFile.OpenException("The accounts file decrypted but its content is not a list of accounts this "
                    + "codex-relay can read. Nothing was changed here. Export it anew with `codex-relay accounts export`.");
        }
    }

    private static String text(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Instant instant(JsonNode n, String f) {
        String s = text(n, f);
        return s == null ? null : Instant.parse(s);
    }

    /** An API key's model rules as exported ({@code pattern=target} each); none in bundles from before issue 12. */
    private static java.util.List<io.codexrelay.account.ModelRule> modelRules(JsonNode arr) {
        java.util.List<io.codexrelay.account.ModelRule> out = new java.util.ArrayList<>();
        for (JsonNode r : arr) out.add(io.codexrelay.account.ModelRule.parse(r.asText()));
        return out;
    }
}
