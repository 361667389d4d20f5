package io.codexrelay.config;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One {@code [[redact]]} table of {@code config.toml} (issue 12): text matching {@code pattern} (a regular expression,
 * or a {@code literal} text quoted into one) in what a client sends is replaced by {@code replacement} (inserted as it
 * is: {@code $} and {@code \} have no special meaning; empty removes the match) before the request leaves for an
 * upstream. {@code accounts} and {@code clients} narrow it to some accounts (by name) and kinds of tool
 * ({@code codex}, {@code claude}, {@code chat}); empty means all. {@code label} names the rule in messages (its
 * {@code name}, else its position and line), never its pattern, which may itself be a secret.
 */
public record RedactionRule(String label, Pattern pattern, String replacement, List<String> accounts, List<String> clients) {

    /** The kinds of tool a rule may be scoped to, with the names the CLI also accepts for them. */
    static final List<String> CLIENT_NAMES = List.of("codex", "claude", "chat");

    public RedactionRule {
        accounts = accounts == null ? List.of() : List.copyOf(accounts);
        clients = clients == null ? List.of() : List.copyOf(clients);
        replacement = replacement == null ? "" : replacement;
    }

    /** Whether this rule applies to a request served by {@code account} for a tool of kind {@code client}. */
    public boolean appliesTo(String account, String client) {
        return (accounts.isEmpty() || accounts.contains(account)) && (clients.isEmpty() || clients.contains(client));
    }

    /** A scope entry as one of {@link #CLIENT_NAMES}, or null when it names no known tool. */
    static String clientName(String s) {
        return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
            case "codex", "responses" -> "codex";
            case "claude", "claude-code", "anthropic" -> "claude";
            case "chat", "openai", "chat-completions" -> "chat";
            default -> null;
        };
    }

    @Override public String toString() { return "RedactionRule[" + label + "]"; }
}
