package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Builds the final Responses {@code response} object from a Responses SSE stream, for clients that asked for one
 * JSON answer. The terminal event's {@code response} is used; when its {@code output} is empty (the ChatGPT backend
 * sends the items only in {@code output_item.done} events) the finished items collected on the way fill it.
 */
public final class ResponsesCollector {
    private final ArrayNode items = Json.array();
    private ObjectNode response;
    private JsonNode error;

    /** One upstream event's data. */
    public void onEvent(String data) {
        if (Json.isDoneMarker(data)) return; // some Responses-compatible servers end with [DONE] too
        JsonNode e = Json.parseEvent(data);
        if (e == null) {
            error = Json.object().put("code", "server_error").put("message", Json.MALFORMED);
            return;
        }
        String type = Json.text(e, "type");
        if (type == null) return;
        switch (type) {
            case "response.output_item.done" -> items.add(e.path("item"));
            case "response.completed", "response.incomplete" -> {
                JsonNode r = e.get("response");
                response = r != null && r.isObject() ? (ObjectNode) r : Json.object();
                JsonNode output = response.get("output");
                if (output == null || !output.isArray() || output.isEmpty()) response.set("output", items);
            }
            case "response.failed" -> error = e.path("response").path("error");
            case "error" -> error = e.has("error") ? e.get("error") : e;
            default -> { }
        }
    }

    /** The final response, or null when the stream failed or ended early. */
    public ObjectNode response() {
        return response;
    }

    /** The upstream's error ({@code code}, {@code message}) when the stream failed, else null. */
    public JsonNode error() {
        return error;
    }
}
