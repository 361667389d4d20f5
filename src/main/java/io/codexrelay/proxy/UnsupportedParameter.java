package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a provider's 400 for the name of a request parameter it does not support. OpenAI-compatible servers name it
 * in {@code error.param} or in the message ("Unrecognized request argument supplied: reasoning_effort", "tools is
 * not supported"); Anthropic in the message ("temperature: Extra inputs are not permitted"). Only parameters that may
 * be left out without making the request meaningless are learned; the request's messages, model and the like never.
 */
final class UnsupportedParameter {
    /** What may be learned and left out (top-level names in Chat Completions and Anthropic bodies). */
    static final Set<String> LEARNABLE = Set.of("tools", "tool_choice", "parallel_tool_calls", "reasoning_effort", "reasoning",
            "temperature", "top_p", "stream_options", "response_format", "thinking", "max_tokens", "max_completion_tokens",
            "metadata", "user", "seed", "stop", "frequency_penalty", "presence_penalty", "service_tier", "store");

    /** Words that say a parameter is refused (the message must say one of these about the name). */
    private static final Pattern REFUSAL = Pattern.compile(
            "(unsupported|not supported|unrecognized|unknown|not permitted|not allowed|extra inputs|invalid|does not support|unexpected)",
            Pattern.CASE_INSENSITIVE);

    private UnsupportedParameter() {}

    /** The refused parameter among {@code sent}, or null when the body names none that may be left out. */
    static String named(byte[] body, Set<String> sent) {
        JsonNode root;
        try {
            root = ConvertingUpstream.JSON.readTree(body);
        } catch (Exception e) {
            root = null;
        }
        String message;
        if (root != null) {
            JsonNode err = root.path("error");
            String param = err.path("param").asText(null);
            if (param != null) {
                String top = topLevel(param);
                if (sent.contains(top) && LEARNABLE.contains(top)) return top;
            }
            message = err.isTextual() ? err.asText() : err.path("message").asText(root.path("message").asText(""));
        } else {
            message = new String(body, StandardCharsets.UTF_8);
        }
        if (message == null || message.isEmpty() || !REFUSAL.matcher(message).find()) return null;
        String lower = message.toLowerCase(Locale.ROOT);
        String best = null;
        int at = Integer.MAX_VALUE;
        for (String p : sent) {
            if (!LEARNABLE.contains(p)) continue;
            var m = Pattern.compile("(?<![a-z0-9_])" + Pattern.quote(p) + "(?![a-z0-9_])").matcher(lower);
            if (m.find() && m.start() < at) {
                at = m.start();
                best = p;
            }
        }
        return best;
    }

    /** {@code tools[0].function} -> {@code tools}; {@code tools.0.custom} -> {@code tools}. */
    private static String topLevel(String param) {
        int i = 0;
        while (i < param.length() && (Character.isLetterOrDigit(param.charAt(i)) || param.charAt(i) == '_')) i++;
        return param.substring(0, i);
    }
}
