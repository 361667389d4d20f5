package io.codexrelay.app;

import io.codexrelay.account.Credentials;

import java.time.Instant;

/**
 * The tokens of a finished ChatGPT login, as {@link ControlApi#addChatGptLogin} takes them (and the admin API carries
 * them to a running daemon). Never printed: {@link #toString} names the account only.
 */
public record LoginTokens(String idToken, String accessToken, String refreshToken, String accountId, Instant lastRefresh) {
    @Override public String toString() { return "LoginTokens[accountId=" + accountId + "]"; }

    static LoginTokens of(Credentials.ChatGptTokens t) {
        return new LoginTokens(t.idToken(), t.accessToken(), t.refreshToken(), t.accountId(), t.lastRefresh());
    }

    Credentials.ChatGptTokens credentials() {
        return new Credentials.ChatGptTokens(idToken, accessToken, refreshToken, accountId, lastRefresh);
    }
}
