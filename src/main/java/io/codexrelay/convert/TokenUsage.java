package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Token counts in the relay's own terms, read from and written to each dialect's usage object.
 * {@code inputTokens} includes the cached ones (as in Responses and Chat Completions; Anthropic counts cache reads
 * apart, so they are added on the way in and taken out on the way out).
 */
public record TokenUsage(long inputTokens, long cachedTokens, long outputTokens, long reasoningTokens) {
    public static final TokenUsage ZERO = new TokenUsage(0, 0, 0, 0);

    /** Responses {@code usage}. */
    public static TokenUsage fromResponses(JsonNode u) {
        if (u == null || !u.isObject()) return ZERO;
        return new TokenUsage(u.path("input_tokens").asLong(), u.path("input_tokens_details").path("cached_tokens").asLong(),
                u.path("output_tokens").asLong(), u.path("output_tokens_details").path("reasoning_tokens").asLong());
    }

    /** Chat Completions {@code usage} (DeepSeek reports cache hits as {@code prompt_cache_hit_tokens}). */
    public static TokenUsage fromChat(JsonNode u) {
        if (u == null || !u.isObject()) return ZERO;
        long cached = u.path("prompt_tokens_details").path("cached_tokens").asLong(u.path("prompt_cache_hit_tokens").asLong());
        return new TokenUsage(u.path("prompt_tokens").asLong(), cached, u.path("completion_tokens").asLong(),
                u.path("completion_tokens_details").path("reasoning_tokens").asLong());
    }

    /** Anthropic {@code usage}: {@code input_tokens} excludes cache reads and cache writes. */
    public static TokenUsage fromAnthropic(JsonNode u) {
        if (u == null || !u.isObject()) return ZERO;
        long cacheRead = u.path("cache_read_input_tokens").asLong();
        long input = u.path("input_tokens").asLong() + cacheRead + u.path("cache_creation_input_tokens").asLong();
        return new TokenUsage(input, cacheRead, u.path("output_tokens").asLong(), 0);
    }

    public TokenUsage withOutput(long output) {
        return new TokenUsage(inputTokens, cachedTokens, output, reasoningTokens);
    }

    public ObjectNode toResponses() {
        ObjectNode o = Json.object();
        o.put("input_tokens", inputTokens);
        o.putObject("input_tokens_details").put("cached_tokens", cachedTokens);
        o.put("output_tokens", outputTokens);
        o.putObject("output_tokens_details").put("reasoning_tokens", reasoningTokens);
        o.put("total_tokens", inputTokens + outputTokens);
        return o;
    }

    public ObjectNode toChat() {
        ObjectNode o = Json.object();
        o.put("prompt_tokens", inputTokens);
        o.put("completion_tokens", outputTokens);
        o.put("total_tokens", inputTokens + outputTokens);
        o.putObject("prompt_tokens_details").put("cached_tokens", cachedTokens);
        o.putObject("completion_tokens_details").put("reasoning_tokens", reasoningTokens);
        return o;
    }

    public ObjectNode toAnthropic() {
        ObjectNode o = Json.object();
        o.put("input_tokens", Math.max(0, inputTokens - cachedTokens));
        o.put("cache_creation_input_tokens", 0);
        o.put("cache_read_input_tokens", cachedTokens);
        o.put("output_tokens", outputTokens);
        return o;
    }
}
