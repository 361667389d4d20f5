package io.codexrelay.account;

import java.util.Locale;

/**
 * What an API-key account's upstream speaks. Codex always speaks Responses to the relay; for the other wires the
 * relay converts the request and the answer ({@code io.codexrelay.convert}).
 */
public enum Wire {
    /** The OpenAI Responses API ({@code POST {base}/responses}): the request goes as Codex sent it. */
    RESPONSES("responses"),
    /** OpenAI-compatible Chat Completions ({@code POST {base}/chat/completions}): DeepSeek, Qwen, OpenRouter, Ollama, ... */
    CHAT("chat"),
    /** Anthropic Messages ({@code POST {base}/v1/messages}, {@code x-api-key}). */
    ANTHROPIC("anthropic");

    private final String label;

    Wire(String label) { this.label = label; }

    public String label() { return label; }

    /** The wire named {@code s} (case-insensitive); null or blank is {@link #RESPONSES}. */
    public static Wire fromLabel(String s) {
        if (s == null || s.isBlank()) return RESPONSES;
        String t = s.trim().toLowerCase(Locale.ROOT);
        for (Wire w : values()) if (w.label.equals(t)) return w;
        throw new IllegalArgumentException("unknown wire '" + s + "': use responses, chat or anthropic");
    }
}
