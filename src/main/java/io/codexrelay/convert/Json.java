package io.codexrelay.convert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The one shared mapper of the package and the few tree helpers every converter uses. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {}

    static ObjectNode object() {
        return NODES.objectNode();
    }

    static ArrayNode array() {
        return NODES.arrayNode();
    }

    /** The field as text, or null when absent, null or not a scalar. */
    static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() || v.isContainerNode() ? null : v.asText();
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written", e); // cannot happen for trees
        }
    }

    /** Parses a request or event body; malformed JSON is the sender's error, said plainly. */
    static JsonNode parse(String json, String what) {
        try {
            JsonNode n = MAPPER.readTree(json);
            if (n == null || n.isMissingNode()) throw new ConversionException(what + " is empty: send a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            throw new ConversionException(what + " is not valid JSON (" + e.getOriginalMessage() + ")");
        }
    }

    /**
     * An upstream event's data, or null when it is not JSON: a stream converter then ends the stream with its
     * dialect's error instead of throwing on the hot path.
     */
    static JsonNode parseEvent(String data) {
        try {
            JsonNode n = MAPPER.readTree(data);
            return n == null || !n.isObject() ? null : n;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    static boolean isDoneMarker(String data) {
        return data.length() < 16 && data.trim().equals("[DONE]");
    }

    static final String MALFORMED = "the upstream sent an event that is not JSON; the answer was cut there";

    /** Tool-call arguments are JSON text; a model sometimes sends an empty string for "no arguments". */
    static JsonNode parseArguments(String arguments) {
        if (arguments == null || arguments.isBlank()) return object();
        try {
            JsonNode n = MAPPER.readTree(arguments);
            return n == null ? object() : n;
        } catch (JsonProcessingException e) {
            // keep what the model wrote so the tool (and the user) can see it rather than losing the call
            ObjectNode raw = object();
            raw.put("_raw_arguments", arguments);
            return raw;
        }
    }

    /** Joins the text of content parts (any of text / input_text / output_text), or returns a plain string as is. */
    static String joinText(JsonNode content) {
        if (content == null || content.isNull()) return "";
        if (content.isTextual()) return content.asText();
        StringBuilder b = new StringBuilder();
        for (JsonNode part : content) {
            String t = text(part, "text");
            if (t != null) b.append(t);
        }
        return b.toString();
    }
}
