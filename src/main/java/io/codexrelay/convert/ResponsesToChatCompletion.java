package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/** A final Responses {@code response} object to a {@code chat.completion} object (non-streaming Chat clients). */
public final class ResponsesToChatCompletion {
    private ResponsesToChatCompletion() {}

    public static ObjectNode convert(JsonNode response, String clientModel, boolean reasoningContent) {
        return convert(response, clientModel, reasoningContent, List.of());
    }

    /** @param stopSequences the client's {@code stop}: the text is cut at the first one and tool calls after it dropped */
    public static ObjectNode convert(JsonNode response, String clientModel, boolean reasoningContent, List<String> stopSequences) {
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        String refusal = null;
        ArrayNode calls = Json.array();
        for (JsonNode item : response.path("output")) {
            switch (String.valueOf(Json.text(item, "type"))) {
                case "message" -> {
                    for (JsonNode part : item.path("content")) {
                        if ("output_text".equals(Json.text(part, "type"))) text.append(part.path("text").asText());
                        else if ("refusal".equals(Json.text(part, "type"))) refusal = Json.text(part, "refusal");
                    }
                }
                case "function_call", "custom_tool_call" -> {
                    ObjectNode c = calls.addObject();
                    c.put("id", Json.text(item, "call_id"));
                    c.put("type", "function");
                    ObjectNode f = c.putObject("function");
                    f.put("name", Json.text(item, "name"));
                    f.put("arguments", "function_call".equals(Json.text(item, "type"))
                            ? item.path("arguments").asText("{}")
                            : Json.write(Json.object().put("input", item.path("input").asText(""))));
                }
                case "reasoning" -> {
                    for (JsonNode s : item.path("summary")) {
                        if (reasoning.length() > 0) reasoning.append("\n\n");
                        reasoning.append(s.path("text").asText());
                    }
                }
                default -> { }
            }
        }
        boolean stopped = false;
        if (!stopSequences.isEmpty() && StopSequences.firstIn(text.toString(), stopSequences) != null) {
            String cut = StopSequences.cut(text.toString(), stopSequences);
            text.setLength(0);
            text.append(cut);
            calls.removeAll();
            stopped = true;
        }
        ObjectNode message = Json.object();
        message.put("role", "assistant");
        if (text.length() > 0 || calls.isEmpty()) message.put("content", text.toString());
        else message.putNull("content");
        message.put("refusal", refusal);
        if (reasoningContent && reasoning.length() > 0) message.put("reasoning_content", reasoning.toString());
        if (!calls.isEmpty()) message.set("tool_calls", calls);

        String finish;
        if (stopped) {
            finish = "stop";
        } else if ("incomplete".equals(Json.text(response, "status"))) {
            finish = "content_filter".equals(Json.text(response.path("incomplete_details"), "reason")) ? "content_filter" : "length";
        } else {
            finish = calls.isEmpty() ? "stop" : "tool_calls";
        }
        ObjectNode out = Json.object();
        String rid = Json.text(response, "id");
        out.put("id", "chatcmpl-" + (rid == null ? "relay" : rid.startsWith("resp_") ? rid.substring(5) : rid));
        out.put("object", "chat.completion");
        out.put("created", response.path("created_at").asLong());
        out.put("model", clientModel);
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("message", message);
        choice.putNull("logprobs");
        choice.put("finish_reason", finish);
        out.set("usage", TokenUsage.fromResponses(response.get("usage")).toChat());
        out.putNull("system_fingerprint");
        return out;
    }
}
