package io.codexrelay.account;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which kind of tool sent a request, for accounts restricted to some clients (issue 12): Codex (the Responses API,
 * HTTP or WebSocket), Claude Code (Anthropic Messages) or a Chat Completions tool. Known from the path the request
 * came in on, so it needs no header the tool might not send.
 */
public enum ClientKind {
    CODEX("codex"), CLAUDE("claude"), CHAT("chat");

    private final String label;

    ClientKind(String label) { this.label = label; }

    public String label() { return label; }

    /** The kind named {@code s}; also accepts the dialect names (responses, anthropic, openai, chat-completions). */
    public static ClientKind fromLabel(String s) {
        String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "codex", "responses" -> CODEX;
            case "claude", "claude-code", "anthropic" -> CLAUDE;
            case "chat", "openai", "chat-completions" -> CHAT;
            default -> throw new IllegalArgumentException("unknown client '" + s + "': use codex, claude or chat "
                    + "(several separated by commas, e.g. codex,claude)");
        };
    }

    /** The kind of a request by its relay path: Chat Completions and Anthropic Messages paths, else Codex. */
    public static ClientKind ofPath(String path) {
        if (path == null) return CODEX;
        if (path.endsWith("/chat/completions")) return CHAT;
        if (path.endsWith("/messages") || path.endsWith("/messages/count_tokens")) return CLAUDE;
        return CODEX;
    }

    /** Parses {@code codex,claude} (or a list of such items); blank or {@code all}/{@code any} means every client. */
    public static Set<ClientKind> parseList(List<String> items) {
        EnumSet<ClientKind> out = EnumSet.noneOf(ClientKind.class);
        if (items == null) return Set.of();
        for (String item : items) {
            if (item == null) continue;
            for (String part : item.split(",")) {
                String p = part.trim();
                if (p.isEmpty()) continue;
                if (p.equalsIgnoreCase("all") || p.equalsIgnoreCase("any")) return Set.of();
                out.add(fromLabel(p));
            }
        }
        // every kind listed is the same as no restriction
        return out.size() == values().length ? Set.of() : Set.copyOf(out);
    }

    /** {@code codex,claude} in declaration order; empty for no restriction. */
    public static String format(Set<ClientKind> kinds) {
        List<String> out = new ArrayList<>();
        for (ClientKind k : values()) if (kinds != null && kinds.contains(k)) out.add(k.label);
        return String.join(",", out);
    }
}
