package io.codexrelay.app;

import io.codexrelay.events.QuotaSnapshot;

import java.time.Instant;

/**
 * One account as shown to the user. {@code state} is one of "ready", "busy", "cooling", "exhausted",
 * "relogin", "key_rejected" (the upstream rejected the API key: replace it), "disabled"; {@code stateUntil} is when
 * cooling/exhausted ends. {@code secretHint} shows at most the last 4 characters. {@code quota} may be null when
 * nothing is known yet. {@code wire} is what the account's upstream speaks ({@code responses}, {@code chat},
 * {@code anthropic}); {@code modelRules} are its model rules as {@code pattern=target}; {@code clients} the kinds of tool
 * it is kept for ({@code codex}, {@code claude}, {@code chat}; empty: every tool); {@code balance} where its balance is
 * polled (null: nowhere). State "unhealthy": its health probe failed (issue 12), it serves only when no other can.
 */
public record AccountStatus(String name, String kind, String email, String plan, String baseUrl, boolean enabled,
                            int priority, int maxConcurrent, String secretHint, String state, Instant stateUntil,
                            String stateReason, int inFlight, boolean pinned, QuotaSnapshot quota, String wire,
                            java.util.List<String> modelRules, java.util.List<String> clients, ControlApi.BalanceSetting balance,
                            Boolean websocket) {
    public AccountStatus {
        wire = wire == null ? "responses" : wire;
        modelRules = modelRules == null ? java.util.List.of() : java.util.List.copyOf(modelRules);
        clients = clients == null ? java.util.List.of() : java.util.List.copyOf(clients);
    }

    /** An account whose upstream transport follows the pool (websocket null: websocket.api_key_upstream, or always for ChatGPT). */
    public AccountStatus(String name, String kind, String email, String plan, String baseUrl, boolean enabled,
                         int priority, int maxConcurrent, String secretHint, String state, Instant stateUntil,
                         String stateReason, int inFlight, boolean pinned, QuotaSnapshot quota, String wire,
                         java.util.List<String> modelRules, java.util.List<String> clients, ControlApi.BalanceSetting balance) {
        this(name, kind, email, plan, baseUrl, enabled, priority, maxConcurrent, secretHint, state, stateUntil, stateReason,
                inFlight, pinned, quota, wire, modelRules, clients, balance, null);
    }

    /** An account that serves every tool and has no balance source. */
    public AccountStatus(String name, String kind, String email, String plan, String baseUrl, boolean enabled,
                         int priority, int maxConcurrent, String secretHint, String state, Instant stateUntil,
                         String stateReason, int inFlight, boolean pinned, QuotaSnapshot quota, String wire,
                         java.util.List<String> modelRules) {
        this(name, kind, email, plan, baseUrl, enabled, priority, maxConcurrent, secretHint, state, stateUntil, stateReason,
                inFlight, pinned, quota, wire, modelRules, java.util.List.of(), null);
    }

    /** An account of the Responses wire without model rules. */
    public AccountStatus(String name, String kind, String email, String plan, String baseUrl, boolean enabled,
                         int priority, int maxConcurrent, String secretHint, String state, Instant stateUntil,
                         String stateReason, int inFlight, boolean pinned, QuotaSnapshot quota) {
        this(name, kind, email, plan, baseUrl, enabled, priority, maxConcurrent, secretHint, state, stateUntil, stateReason,
                inFlight, pinned, quota, "responses", java.util.List.of());
    }
}
