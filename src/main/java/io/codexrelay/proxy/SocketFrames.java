package io.codexrelay.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.pool.QuotaHeaders;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON of Responses-over-WebSocket frames (docs/websocket.md): reading an event's type cheaply, the relay's own
 * error frames (always with {@code status}: one without makes Codex wait 300 s), and the {@code codex.rate_limits}
 * event as the {@code x-codex-*} headers the pool already reads from HTTP answers.
 */
final class SocketFrames {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = JSON.getFactory();

    private SocketFrames() {}

    /** The top-level {@code "type"} of an event, read with a streaming parser (usually the first field); null if none. */
    static String type(String json) {
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if ("type".equals(name)) return v == JsonToken.VALUE_STRING ? p.getText() : null;
                if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) p.skipChildren();
            }
            return null;
        } catch (Exception e) {
            return null;
        }
    }

    static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            return JSON.createObjectNode();
        }
    }

    /** An error frame of the relay's own: {@code {"type":"error","status":S,"error":{type,code,message}}}. */
    static String error(int status, String type, String code, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "error");
        n.put("status", status);
        ObjectNode e = n.putObject("error");
        e.put("type", type);
        if (code != null) e.put("code", code);
        e.put("message", message);
        return n.toString();
    }

    /** The 429 {@code usage_limit_reached} frame, when every account is out (Codex shows it and stops the turn). */
    static String usageLimit(String message, Instant resetsAt, Instant now) {
        ObjectNode n = (ObjectNode) tree(RelayErrors.usageLimit(message, resetsAt, now));
        ObjectNode out = JSON.createObjectNode();
        out.put("type", "error");
        out.put("status", 429);
        out.set("error", n.path("error"));
        return out.toString();
    }

    /** The frame's HTTP-like status ({@code status} or {@code status_code}), or 0 when it has none. */
    static int status(JsonNode frame) {
        JsonNode s = frame.has("status") ? frame.get("status") : frame.get("status_code");
        return s != null && s.canConvertToInt() ? s.asInt() : 0;
    }

    /** An upstream error frame as Codex may see it: one without a status gets 500 (retried), never none (a hang). */
    static String withStatus(String json, JsonNode frame) {
        if (status(frame) != 0 || !(frame instanceof ObjectNode o)) return json;
        ObjectNode copy = o.deepCopy();
        copy.put("status", 500);
        return copy.toString();
    }

    /** An error frame's {@code headers} object as a case-insensitive lookup. */
    static java.util.function.Function<String, String> headers(JsonNode frame) {
        Map<String, String> h = new LinkedHashMap<>();
        frame.path("headers").fields().forEachRemaining(e -> h.put(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue().asText()));
        return name -> h.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * A {@code codex.rate_limits} event as the {@code x-codex-*} headers an HTTP answer carries (used percent, window
     * minutes, reset time of the primary and secondary windows; credits), so the pool reads both transports alike.
     */
    static Map<String, String> rateLimitHeaders(JsonNode event) {
        Map<String, String> h = new LinkedHashMap<>();
        JsonNode rl = event.path("rate_limits");
        for (QuotaHeaders names : QuotaHeaders.WINDOWS) {
            JsonNode win = rl.path(names.window());
            if (!win.isObject()) continue;
            if (win.has("used_percent")) h.put(names.usedPercent(), win.get("used_percent").asText());
            if (win.has("window_minutes")) h.put(names.windowMinutes(), win.get("window_minutes").asText());
            if (win.has("reset_at")) h.put(names.resetAt(), win.get("reset_at").asText());
            if (win.has("reset_after_seconds")) h.put(names.resetAfterSeconds(), win.get("reset_after_seconds").asText());
        }
        JsonNode c = event.path("credits");
        if (c.isObject()) {
            if (c.has("has_credits")) h.put(QuotaHeaders.HAS_CREDITS, c.get("has_credits").asText());
            if (c.has("unlimited")) h.put(QuotaHeaders.UNLIMITED, c.get("unlimited").asText());
            if (c.has("balance") && !c.get("balance").isNull()) h.put(QuotaHeaders.BALANCE, c.get("balance").asText());
        }
        return h;
    }
}
