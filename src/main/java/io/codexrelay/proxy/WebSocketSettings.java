package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import io.codexrelay.config.RelayConfig;

import java.time.Duration;

/**
 * The {@code [websocket]} settings (docs/configuration.md): whether Codex may upgrade at all, how long a quiet socket
 * lives, and whether API-key accounts are spoken to over WebSocket too (ChatGPT accounts always are: their upstream
 * supports it; an arbitrary OpenAI-compatible endpoint may not).
 */
record WebSocketSettings(boolean enabled, Duration idleTimeout, boolean apiKeyUpstream) {

    static WebSocketSettings of(RelayConfig config) {
        var v = config.values();
        Object idle = v.get("websocket.idle_timeout_seconds");
        return new WebSocketSettings(!Boolean.FALSE.equals(v.get("websocket.enabled")),
                Duration.ofSeconds(idle instanceof Number n ? n.longValue() : 900L),
                Boolean.TRUE.equals(v.get("websocket.api_key_upstream")));
    }

    /** Whether a request for {@code account} goes over an upstream WebSocket (else over HTTP SSE). */
    boolean upstreamSocketFor(Account account) {
        if (account.kind() == Account.Kind.CHATGPT) return true;
        // Chat Completions and Anthropic upstreams have no Responses WebSocket: always HTTP, through their dialect.
        boolean responsesWire = !(account.credentials() instanceof io.codexrelay.account.Credentials.ApiKey k)
                || k.wire() == io.codexrelay.account.Wire.RESPONSES;
        if (!responsesWire) return false;
        // the account's own setting (accounts set --websocket on|off), else the pool-wide websocket.api_key_upstream
        Boolean own = account.credentials() instanceof io.codexrelay.account.Credentials.ApiKey k ? k.websocket() : null;
        return own != null ? own : apiKeyUpstream;
    }
}
