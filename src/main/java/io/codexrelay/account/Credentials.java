package io.codexrelay.account;

import java.time.Instant;

/** An account's secret material. {@code toString} never shows a secret. */
public sealed interface Credentials permits Credentials.ChatGptTokens, Credentials.ApiKey {

    /** Last 4 characters at most, for lists and logs. */
    String hint();

    /** Tokens of a ChatGPT subscription, as Codex keeps them in {@code auth.json}. */
    record ChatGptTokens(String idToken, String accessToken, String refreshToken, String accountId, Instant lastRefresh)
            implements Credentials {
        @Override public String hint() { return Secrets.hint(accessToken); }
        @Override public String toString() {
            return "ChatGptTokens[accountId=" + accountId + ", access=" + hint() + ", lastRefresh=" + lastRefresh + "]";
        }
        /** Expiry of the access token from its {@code exp} claim, or null when unknown. */
        public Instant accessTokenExpiry() { return Jwt.expiry(accessToken); }
    }

    /**
     * A key for an API endpoint that speaks {@code wire} (Responses unless said otherwise), with the account's model
     * rules (empty: every model goes upstream as asked).
     */
    /**
     * {@code websocket}: whether the relay speaks WebSocket to this account's Responses upstream (true), HTTP (false),
     * or as {@code websocket.api_key_upstream} says (null). Stored by {@link AccountRepository#setWebsocket}.
     */
    record ApiKey(String key, String baseUrl, Wire wire, java.util.List<ModelRule> modelRules, Boolean websocket) implements Credentials {
        public ApiKey {
            wire = wire == null ? Wire.RESPONSES : wire;
            modelRules = modelRules == null ? java.util.List.of() : java.util.List.copyOf(modelRules);
        }
        /** A key whose WebSocket use follows the pool-wide setting. */
        public ApiKey(String key, String baseUrl, Wire wire, java.util.List<ModelRule> modelRules) {
            this(key, baseUrl, wire, modelRules, null);
        }
        /** A key for an OpenAI-compatible Responses endpoint, without model rules. */
        public ApiKey(String key, String baseUrl) { this(key, baseUrl, Wire.RESPONSES, java.util.List.of()); }
        @Override public String hint() { return Secrets.hint(key); }
        @Override public String toString() { return "ApiKey[" + hint() + " @ " + baseUrl + " (" + wire.label() + ")]"; }
    }
}
