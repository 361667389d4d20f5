package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/** A final Responses {@code response} object to an Anthropic {@code message} object (non-streaming clients). */
public final class ResponsesToAnthropicMessage {
    private ResponsesToAnthropicMessage() {}

    public static ObjectNode convert(JsonNode response, String clientModel) {
        return convert(response, clientModel, List.of());
    }

    /** @param stopSequences the client's {@code stop_sequences}: text is cut at the first one, later blocks dropped */
    public static ObjectNode convert(JsonNode response, String clientModel, List<String> stopSequences) {
        String stoppedAt = null;
        ObjectNode m = Json.object();
        String rid = Json.text(response, "id");
        m.put("id", "msg_" + (rid == null ? "relay" : rid.startsWith("resp_") ? rid.substring(5) : rid));
        m.put("type", "message");
        m.put("role", "assistant");
        m.put("model", clientModel);
        ArrayNode content = m.putArray("content");
        boolean toolUse = false;
        for (JsonNode item : response.path("output")) {
            if (stoppedAt != null) break;
            switch (String.valueOf(Json.text(item, "type"))) {
                case "reasoning" -> {
                    StringBuilder b = new StringBuilder();
                    for (JsonNode s : item.path("summary")) {
                        if (b.length() > 0) b.append("\n\n");
                        b.append(s.path("text").asText());
                    }
                    if (b.length() > 0) content.addObject().put("type", "thinking").put("thinking", b.toString())
                            .put("signature", String.valueOf(Json.text(item, "id")));
                }
                case "message" -> {
                    StringBuilder b = new StringBuilder();
                    for (JsonNode p : item.path("content")) {
                        String t = "refusal".equals(Json.text(p, "type")) ? Json.text(p, "refusal") : Json.text(p, "text");
                        if (t != null) b.append(t);
                    }
                    stoppedAt = StopSequences.firstIn(b.toString(), stopSequences);
                    String t = stoppedAt == null ? b.toString() : StopSequences.cut(b.toString(), stopSequences);
                    if (!t.isEmpty()) content.addObject().put("type", "text").put("text", t);
                }
                case "function_call", "custom_tool_call" -> {
                    toolUse = true;
                    ObjectNode t = content.addObject().put("type", "tool_use");
                    t.put("id", Json.text(item, "call_id"));
                    t.put("name", Json.text(item, "name"));
                    t.set("input", "function_call".equals(Json.text(item, "type"))
                            ? Json.parseArguments(Json.text(item, "arguments"))
                            : Json.object().put("input", item.path("input").asText("")));
                }
                default -> { }
            }
        }
        String stop = "incomplete".equals(Json.text(response, "status")) ? "max_tokens" : toolUse ? "tool_use" : "end_turn";
        if (stoppedAt != null) {
            m.put("stop_reason", "stop_sequence");
            m.put("stop_sequence", stoppedAt);
        } else {
            m.put("stop_reason", stop);
            m.putNull("stop_sequence");
        }
        m.set("usage", TokenUsage.fromResponses(response.get("usage")).toAnthropic());
        return m;
    }
}
