package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Errors in the OpenAI shape Chat Completions clients (and the openai SDKs) read:
 * {@code {"error":{"message","type","param","code"}}}. Relay messages pass through unchanged, so a Chat client reads
 * the same "try again at 14:05" as Codex.
 */
public final class OpenAiErrors {
    private OpenAiErrors() {}

    public record ErrorReply(int status, ObjectNode body) {
        public String json() {
            return Json.write(body);
        }
    }

    public static ObjectNode error(String message, String type, String code, String param) {
        ObjectNode root = Json.object();
        ObjectNode e = root.putObject("error");
        e.put("message", message);
        e.put("type", type);
        e.put("param", param);
        e.put("code", code);
        return root;
    }

    /** A request the converter rejected. */
    public static ErrorReply invalidRequest(ConversionException e) {
        return new ErrorReply(400, error(e.getMessage(), "invalid_request_error", null, null));
    }

    /**
     * An upstream (or relay) error answer: an OpenAI-shaped body keeps its fields (the upstream's words are the
     * most precise); anything else gets a type chosen by status.
     */
    public static ErrorReply fromUpstream(int status, String body) {
        JsonNode parsed = null;
        try {
            parsed = body == null || body.isBlank() ? null : Json.MAPPER.readTree(body);
        } catch (Exception notJson) {
            // an HTML page or plain text: use the status alone
        }
        JsonNode e = parsed == null ? null : parsed.get("error");
        if (e != null && e.isObject()) {
            String message = Json.text(e, "message");
            ObjectNode out = error(message == null ? defaultMessage(status) : message,
                    Json.text(e, "type") != null ? Json.text(e, "type") : typeFor(status),
                    Json.text(e, "code") != null ? Json.text(e, "code") : Json.text(e, "type"), Json.text(e, "param"));
            // keep the reset time of a usage limit: clients that know Codex's body can show it
            if (e.has("resets_at")) ((ObjectNode) out.get("error")).set("resets_at", e.get("resets_at"));
            return new ErrorReply(status, out);
        }
        return new ErrorReply(status, error(defaultMessage(status), typeFor(status), null, null));
    }

    /** The {@code error} of a Responses {@code response.failed} event or a top-level {@code error} event. */
    public static ObjectNode fromResponsesError(JsonNode error) {
        String code = Json.text(error, "code");
        String message = Json.text(error, "message");
        return error(message == null ? "the upstream failed the response" : message,
                code != null && code.contains("context_length") ? "invalid_request_error" : "server_error", code, null);
    }

    static String typeFor(int status) {
        return switch (status) {
            case 400, 404, 413, 422 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }

    private static String defaultMessage(int status) {
        return "upstream answered HTTP " + status;
    }
}
