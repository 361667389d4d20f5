package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Chat Completions request ({@code POST /v1/chat/completions}) to a Responses request.
 *
 * <p>Leading system and developer messages become {@code instructions}; the remaining messages become input items in
 * order (a later system or developer message as a {@code developer} message), assistant {@code tool_calls} become {@code function_call} items and
 * {@code tool} messages {@code function_call_output} items. {@code stop} has no Responses equivalent and is left out
 * {@code stop} has no Responses equivalent: it is returned in {@link TranslatedRequest#stopSequences()} and enforced
 * on the answer. Sampling knobs Responses does not have are dropped (named in {@link TranslatedRequest#dropped()}).
 */
public final class ChatToResponsesRequest {
    /** Fields with no Responses equivalent; they only tune sampling or output details, so dropping them is logged. */
    private static final Set<String> DROPPED = Set.of("seed", "frequency_penalty", "presence_penalty",
            "logit_bias", "logprobs", "top_logprobs", "modalities", "audio", "prediction", "web_search_options");

    /** Sent as {@code instructions} when the client gave no system prompt (the ChatGPT backend requires one). */
    public static final String DEFAULT_INSTRUCTIONS = "You are a helpful assistant.";

    /** Fields this converter reads; anything else a client sends is named in {@code dropped}. */
    private static final Set<String> KNOWN = Set.of("model", "messages", "tools", "functions", "tool_choice",
            "parallel_tool_calls", "temperature", "top_p", "user", "metadata", "service_tier", "max_tokens",
            "max_completion_tokens", "reasoning_effort", "response_format", "stream", "stream_options", "n", "stop",
            "store");

    private final UnaryOperator<String> modelMapping;
    private final boolean reasoningSummaries;

    /**
     * @param modelMapping       client model name to the pool's model name
     * @param reasoningSummaries ask for reasoning summaries when the client sets {@code reasoning_effort}, so they
     *                           can be streamed back as {@code reasoning_content}
     */
    public ChatToResponsesRequest(UnaryOperator<String> modelMapping, boolean reasoningSummaries) {
        this.modelMapping = modelMapping;
        this.reasoningSummaries = reasoningSummaries;
    }

    public TranslatedRequest translate(JsonNode chat) {
        if (chat == null || !chat.isObject()) throw new ConversionException("the request body must be a JSON object");
        String model = Json.text(chat, "model");
        if (model == null || model.isBlank()) throw new ConversionException("'model' is required");
        JsonNode messages = chat.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty())
            throw new ConversionException("'messages' must be a non-empty array");
        if (chat.path("n").asInt(1) != 1)
            throw new ConversionException("'n' other than 1 is not supported: send one request per choice");

        List<String> dropped = new ArrayList<>();
        ObjectNode out = Json.object();
        out.put("model", modelMapping.apply(model));
        // The ChatGPT backend refuses a request without top-level instructions ("Instructions are required"), so
        // the leading system/developer messages travel there; later ones stay in place as developer messages.
        StringBuilder instructions = new StringBuilder();
        int first = 0;
        while (first < messages.size() && isSystem(messages.get(first))) {
            if (instructions.length() > 0) instructions.append("\n\n");
            instructions.append(Json.joinText(messages.get(first++).get("content")));
        }
        out.put("instructions", instructions.length() > 0 ? instructions.toString() : DEFAULT_INSTRUCTIONS);
        ArrayNode input = out.putArray("input");
        for (int i = first; i < messages.size(); i++) addMessage(messages.get(i), input);

        JsonNode tools = chat.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) out.set("tools", tools(tools, dropped));
        else if (chat.path("functions").isArray()) out.set("tools", legacyFunctions(chat.get("functions")));
        JsonNode choice = chat.get("tool_choice");
        if (choice != null && !choice.isNull()) out.set("tool_choice", toolChoice(choice));
        copy(chat, "parallel_tool_calls", out, "parallel_tool_calls");
        copy(chat, "temperature", out, "temperature");
        copy(chat, "top_p", out, "top_p");
        copy(chat, "user", out, "user");
        copy(chat, "metadata", out, "metadata");
        copy(chat, "service_tier", out, "service_tier");
        JsonNode max = chat.has("max_completion_tokens") ? chat.get("max_completion_tokens") : chat.get("max_tokens");
        if (max != null && max.isNumber()) out.put("max_output_tokens", max.asInt());

        String effort = Json.text(chat, "reasoning_effort");
        if (effort != null) {
            ObjectNode reasoning = out.putObject("reasoning");
            reasoning.put("effort", effort);
            if (reasoningSummaries && !"none".equals(effort)) reasoning.put("summary", "auto");
        }
        JsonNode format = chat.get("response_format");
        if (format != null && format.isObject()) out.putObject("text").set("format", textFormat(format));
        out.put("stream", true);
        out.put("store", false);

        chat.fieldNames().forEachRemaining(f -> {
            if (chat.hasNonNull(f) && (DROPPED.contains(f) || !KNOWN.contains(f))) dropped.add(f);
        });
        boolean stream = chat.path("stream").asBoolean(false);
        boolean includeUsage = stream && chat.path("stream_options").path("include_usage").asBoolean(false);
        List<String> stops = new ArrayList<>();
        JsonNode stop = chat.get("stop");
        if (stop != null && stop.isTextual()) stops.add(stop.asText());
        else if (stop != null && stop.isArray()) stop.forEach(s -> stops.add(s.asText()));
        return new TranslatedRequest(out, model, stream, includeUsage, stops, dropped);
    }

    private static boolean isSystem(JsonNode m) {
        String role = Json.text(m, "role");
        return "system".equals(role) || "developer".equals(role);
    }

    private static void addMessage(JsonNode m, ArrayNode input) {
        String role = Json.text(m, "role");
        if (role == null) throw new ConversionException("every message needs a 'role'");
        switch (role) {
            case "system", "developer" -> input.add(message("developer", inputContent(m.get("content"))));
            case "user" -> input.add(message("user", inputContent(m.get("content"))));
            case "assistant" -> addAssistant(m, input);
            case "tool" -> {
                String callId = Json.text(m, "tool_call_id");
                if (callId == null) throw new ConversionException("a 'tool' message needs its 'tool_call_id'");
                ObjectNode o = input.addObject();
                o.put("type", "function_call_output");
                o.put("call_id", callId);
                o.put("output", Json.joinText(m.get("content")));
            }
            case "function" -> throw new ConversionException(
                    "'function' messages (the deprecated functions API) are not supported: use 'tools' and 'tool' messages");
            default -> throw new ConversionException("unknown message role '" + role + "'");
        }
    }

    private static void addAssistant(JsonNode m, ArrayNode input) {
        JsonNode content = m.get("content");
        ArrayNode parts = Json.array();
        if (content != null && content.isTextual() && !content.asText().isEmpty()) {
            parts.add(outputText(content.asText()));
        } else if (content != null && content.isArray()) {
            for (JsonNode p : content) {
                String t = "refusal".equals(Json.text(p, "type")) ? Json.text(p, "refusal") : Json.text(p, "text");
                if (t != null) parts.add(outputText(t));
            }
        }
        if (!parts.isEmpty()) input.add(message("assistant", parts));
        JsonNode calls = m.get("tool_calls");
        if (calls != null && calls.isArray()) {
            for (JsonNode c : calls) {
                ObjectNode o = input.addObject();
                o.put("type", "function_call");
                o.put("call_id", Json.text(c, "id"));
                o.put("name", Json.text(c.path("function"), "name"));
                String args = Json.text(c.path("function"), "arguments");
                o.put("arguments", args == null ? "{}" : args);
            }
        }
    }

    private static ObjectNode message(String role, ArrayNode content) {
        ObjectNode o = Json.object();
        o.put("type", "message");
        o.put("role", role);
        o.set("content", content);
        return o;
    }

    private static ObjectNode outputText(String text) {
        ObjectNode o = Json.object();
        o.put("type", "output_text");
        o.put("text", text);
        return o;
    }

    private static ArrayNode inputContent(JsonNode content) {
        ArrayNode parts = Json.array();
        if (content == null || content.isNull()) return parts;
        if (content.isTextual()) {
            parts.addObject().put("type", "input_text").put("text", content.asText());
            return parts;
        }
        for (JsonNode p : content) {
            String type = Json.text(p, "type");
            if ("text".equals(type)) {
                parts.addObject().put("type", "input_text").put("text", Json.text(p, "text"));
            } else if ("image_url".equals(type)) {
                JsonNode img = p.get("image_url");
                String url = img != null && img.isTextual() ? img.asText() : Json.text(img, "url");
                if (url == null) throw new ConversionException("an 'image_url' part needs a 'url'");
                ObjectNode o = parts.addObject().put("type", "input_image").put("image_url", url);
                String detail = Json.text(img, "detail");
                o.put("detail", detail == null ? "auto" : detail);
            } else if ("file".equals(type)) {
                JsonNode f = p.path("file");
                ObjectNode o = parts.addObject().put("type", "input_file");
                if (f.hasNonNull("file_id")) o.put("file_id", Json.text(f, "file_id"));
                if (f.hasNonNull("file_data")) o.put("file_data", Json.text(f, "file_data"));
                if (f.hasNonNull("filename")) o.put("filename", Json.text(f, "filename"));
            } else {
                throw new ConversionException("content part type '" + type + "' is not supported: send text, image_url or file");
            }
        }
        return parts;
    }

    private static ArrayNode tools(JsonNode tools, List<String> dropped) {
        ArrayNode out = Json.array();
        for (JsonNode t : tools) {
            if (!"function".equals(Json.text(t, "type"))) {
                dropped.add("tools[type=" + Json.text(t, "type") + "]");
                continue;
            }
            out.add(function(t.path("function")));
        }
        return out;
    }

    private static ArrayNode legacyFunctions(JsonNode functions) {
        ArrayNode out = Json.array();
        for (JsonNode f : functions) out.add(function(f));
        return out;
    }

    private static ObjectNode function(JsonNode f) {
        ObjectNode o = Json.object();
        o.put("type", "function");
        o.put("name", Json.text(f, "name"));
        if (f.hasNonNull("description")) o.put("description", Json.text(f, "description"));
        JsonNode params = f.get("parameters");
        o.set("parameters", params == null || params.isNull() ? Json.object().put("type", "object") : params);
        // Chat defaults strict to false; Responses defaults it to true, which rejects most hand-written schemas
        o.put("strict", f.path("strict").asBoolean(false));
        return o;
    }

    private static JsonNode toolChoice(JsonNode choice) {
        if (choice.isTextual()) return choice;
        String name = Json.text(choice.path("function"), "name");
        if (name == null) return Json.NODES.textNode("auto");
        return Json.object().put("type", "function").put("name", name);
    }

    private static ObjectNode textFormat(JsonNode format) {
        String type = Json.text(format, "type");
        ObjectNode o = Json.object();
        if ("json_schema".equals(type)) {
            JsonNode js = format.path("json_schema");
            o.put("type", "json_schema");
            o.put("name", js.hasNonNull("name") ? Json.text(js, "name") : "response");
            if (js.hasNonNull("description")) o.put("description", Json.text(js, "description"));
            o.set("schema", js.get("schema"));
            if (js.has("strict")) o.put("strict", js.path("strict").asBoolean());
        } else if ("json_object".equals(type)) {
            o.put("type", "json_object");
        } else {
            o.put("type", "text");
        }
        return o;
    }

    private static void copy(JsonNode from, String field, ObjectNode to, String as) {
        JsonNode v = from.get(field);
        if (v != null && !v.isNull()) to.set(as, v);
    }
}
