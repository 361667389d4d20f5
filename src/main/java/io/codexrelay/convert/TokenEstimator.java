package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Answers {@code POST /v1/messages/count_tokens} without calling upstream: an estimate, not a tokenizer.
 *
 * <p>How: every text the model would read (system, message text, tool inputs and results, tool names, descriptions
 * and schemas as JSON) is counted as one token per 4 ASCII characters plus one token per non-ASCII character
 * (CJK and emoji are about one token each, and often more); each message adds 4 tokens of framing, each tool 8,
 * each image a flat 1,600 (Anthropic's figure for a ~1.15-megapixel image). Claude Code uses the number to decide
 * when to compact, so a slight over-estimate is the safe side.
 */
public final class TokenEstimator {
    static final int PER_MESSAGE = 4;
    static final int PER_TOOL = 8;
    static final int PER_IMAGE = 1600;

    private TokenEstimator() {}

    /** The count_tokens answer: {@code {"input_tokens": n}}. */
    public static ObjectNode countTokens(JsonNode anthropicRequest) {
        return Json.object().put("input_tokens", estimate(anthropicRequest));
    }

    public static long estimate(JsonNode req) {
        Counter c = new Counter();
        JsonNode system = req.get("system");
        if (system != null) c.content(system);
        for (JsonNode m : req.path("messages")) {
            c.tokens += PER_MESSAGE;
            c.content(m.get("content"));
        }
        for (JsonNode t : req.path("tools")) {
            c.tokens += PER_TOOL;
            c.text(Json.text(t, "name"));
            c.text(Json.text(t, "description"));
            if (t.has("input_schema")) c.text(Json.write(t.get("input_schema")));
        }
        return (c.tokens + c.asciiChars / 4 + (c.asciiChars % 4 == 0 ? 0 : 1));
    }

    private static final class Counter {
        long tokens;
        long asciiChars;

        void content(JsonNode content) {
            if (content == null || content.isNull()) return;
            if (content.isTextual()) {
                text(content.asText());
                return;
            }
            for (JsonNode b : content) {
                String type = String.valueOf(Json.text(b, "type"));
                switch (type) {
                    case "text" -> text(Json.text(b, "text"));
                    case "thinking" -> text(Json.text(b, "thinking"));
                    case "image", "document" -> tokens += PER_IMAGE;
                    case "tool_use" -> {
                        text(Json.text(b, "name"));
                        if (b.has("input")) text(Json.write(b.get("input")));
                    }
                    case "tool_result" -> content(b.get("content"));
                    default -> { }
                }
            }
        }

        void text(String s) {
            if (s == null) return;
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (ch < 128) asciiChars++;
                else if (!Character.isLowSurrogate(ch)) tokens++;
            }
        }
    }
}
