package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Errors in the Anthropic shape {@code {"type":"error","error":{"type":...,"message":...}}} with the HTTP status
 * Claude Code acts on: 429 {@code rate_limit_error} (waits and retries, shows the message), 529
 * {@code overloaded_error} (retries), 401 {@code authentication_error}, 400 {@code invalid_request_error}, 500
 * {@code api_error}. A context overflow says "prompt is too long", the words Claude Code looks for to compact.
 */
public final class AnthropicErrors {
    private AnthropicErrors() {}

    public record ErrorReply(int status, ObjectNode body) {
        public String json() {
            return Json.write(body);
        }
    }

    public static ErrorReply error(int status, String type, String message) {
        ObjectNode root = Json.object().put("type", "error");
        root.putObject("error").put("type", type).put("message", message);
        return new ErrorReply(status, root);
    }

    public static ErrorReply invalidRequest(ConversionException e) {
        return error(400, "invalid_request_error", e.getMessage());
    }

    /** An upstream (or relay) HTTP error answer, usually in OpenAI's shape, in Anthropic's. */
    public static ErrorReply fromUpstream(int status, String body) {
        JsonNode e = null;
        try {
            JsonNode parsed = body == null || body.isBlank() ? null : Json.MAPPER.readTree(body);
            e = parsed == null ? null : parsed.get("error");
        } catch (Exception notJson) {
            // an HTML page or plain text: the status decides
        }
        String code = e == null ? null : firstNonNull(Json.text(e, "code"), Json.text(e, "type"));
        String message = e == null ? null : Json.text(e, "message");
        if (message == null) message = "upstream answered HTTP " + status;
        if (code != null && code.contains("context_length")) return error(400, "invalid_request_error", "prompt is too long: " + message);
        return switch (status) {
            case 400, 404, 422 -> error(status == 404 ? 404 : 400, status == 404 ? "not_found_error" : "invalid_request_error", message);
            case 401 -> error(401, "authentication_error", message);
            case 403 -> error(403, "permission_error", message);
            case 413 -> error(413, "request_too_large", message);
            case 429 -> error(429, "rate_limit_error", message);
            case 503, 529 -> error(529, "overloaded_error", message);
            default -> status >= 500 ? error(500, "api_error", message) : error(status, "invalid_request_error", message);
        };
    }

    /** The {@code error} of a Responses {@code response.failed} (or {@code error}) event, sent mid-stream. */
    public static ErrorReply fromResponsesError(JsonNode error) {
        String code = String.valueOf(Json.text(error, "code"));
        String message = Json.text(error, "message");
        if (message == null) message = "the upstream failed the response";
        if (code.contains("context_length")) return error(400, "invalid_request_error", "prompt is too long: " + message);
        return switch (code) {
            case "rate_limit_exceeded", "usage_limit_reached", "insufficient_quota", "usage_not_included" ->
                    error(429, "rate_limit_error", message);
            case "server_is_overloaded", "slow_down" -> error(529, "overloaded_error", message);
            case "invalid_prompt", "invalid_request_error" -> error(400, "invalid_request_error", message);
            default -> error(500, "api_error", message);
        };
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }
}
